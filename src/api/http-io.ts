// JSON in and out for the admin API. Anything a client can get wrong becomes an
// ApiError, answered as { "error": "one line" } with its status.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { bodyPending } from '../http/requests.js';

export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A request refused for its credentials: answered like any ApiError, and also
 * counted, logged at most once an interval (`logMsg`, with `details`), and
 * for a missing or wrong token, charged to the address's failure budget.
 */
export class AuthRefusal extends ApiError {
  override name = 'AuthRefusal';

  constructor(
    status: 401 | 403,
    message: string,
    readonly reason: 'no-token' | 'wrong-token' | 'read-only',
    readonly logMsg: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(status, message);
  }
}

/** Bodies are a few fields; anything bigger is a mistake or an attack. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The client went away before its body was read: nothing to answer, nobody to answer to. */
export class ClientGoneError extends Error {
  override name = 'ClientGoneError';
}

export interface BodyLimits {
  /** Default 64 KiB. */
  maxBytes?: number;
  /** Ms the whole body may take to arrive, from now; none by default (the server's requestTimeout still applies). */
  deadlineMs?: number;
}

/**
 * The request body parsed as JSON; an empty body reads as `{}`. A body over
 * `maxBytes` is refused as soon as it is known to be (413), one that has not
 * arrived within `deadlineMs` likewise (408): neither is waited for.
 */
export async function readJson(req: IncomingMessage, limits: BodyLimits = {}): Promise<unknown> {
  const text = (await readBody(req, limits)).trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, `body is not JSON: ${(err as Error).message}`);
  }
}

function readBody(req: IncomingMessage, { maxBytes = MAX_BODY_BYTES, deadlineMs }: BodyLimits): Promise<string> {
  const tooLarge = () => new ApiError(413, `request body is over ${maxBytes} bytes`);
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (err: Error | undefined): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err) reject(err);
      else resolve(Buffer.concat(chunks).toString('utf8'));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) return finish(tooLarge());
      chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined);
    const onError = (): void => finish(new ClientGoneError('the client went away before its body was read'));
    const onClose = (): void => finish(new ClientGoneError('the client went away before its body was read'));
    const timer = deadlineMs === undefined ? undefined : setTimeout(() => finish(new ApiError(408, `the request body did not arrive within ${deadlineMs} ms`)), deadlineMs);
    req.on('data', onData).once('end', onEnd).once('error', onError).once('close', onClose);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  // A body not read (refused before it, too large, too slow) is not waited for: the connection goes with the answer.
  const close = bodyPending(res.req) ? { connection: 'close' } : {};
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers, ...close }).end(JSON.stringify(body) + '\n');
}

export function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  sendJson(res, status, { error: message.split('\n')[0] }, headers);
}

/**
 * A free-text header such as the actor or the reason of a change, trimmed and
 * capped. The CLI percent-encodes them so any UTF-8 survives HTTP's Latin-1
 * headers; plain text from curl decodes to itself.
 */
export function headerText(req: IncomingMessage, name: string, maxLength: number): string | undefined {
  const raw = req.headers[name];
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  let text: string;
  try {
    text = decodeURIComponent(raw);
  } catch {
    text = raw;
  }
  return text.trim().slice(0, maxLength);
}
