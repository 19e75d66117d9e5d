// Bearer tokens: the admin token guards operator endpoints, and each node has
// its own token for its heartbeats. Node tokens are kept only as SHA-256.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export function bearerToken(req: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  return match?.[1];
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Compares digests rather than the strings so neither the content nor the length leaks through timing. */
export function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** 256 random bits, URL- and shell-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Visible ASCII only, so a token survives headers, shells and env files unchanged. */
export const TOKEN_PATTERN = /^[\x21-\x7e]{16,256}$/;
