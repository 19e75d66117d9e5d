// JSON in and out for the admin API. Anything a client can get wrong becomes an
// ApiError, answered as { "error": "one line" } with its status.

import type { IncomingMessage, ServerResponse } from 'node:http';

export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Bodies are a few fields; anything bigger is a mistake or an attack. */
const MAX_BODY_BYTES = 64 * 1024;

/** The request body parsed as JSON; an empty body reads as `{}`. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, `request body is over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ApiError(400, `body is not JSON: ${(err as Error).message}`);
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(JSON.stringify(body) + '\n');
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
