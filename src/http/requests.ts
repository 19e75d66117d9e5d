// Small facts about one request, shared by the listener and the admin API.

import type { IncomingMessage } from 'node:http';

/**
 * The request announced a body that has not all arrived: an answer given now
 * closes the connection rather than wait for the rest (a slow body is
 * otherwise read to its end before the connection can carry another request).
 */
export function bodyPending(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** The peer's address as the auth limit and the logs name it. */
export function remoteOf(req: IncomingMessage): string | undefined {
  return req.socket.remoteAddress;
}
