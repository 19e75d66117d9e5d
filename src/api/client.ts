// Calling a flipdns admin API, for the CLI and the agent: one request, its JSON
// answer, and a distinct error when no answer came at all.

import { API_PREFIX } from './router.js';

export class ServerUnreachableError extends Error {
  override name = 'ServerUnreachableError';
}

export interface ApiAnswer {
  status: number;
  /** The JSON body; error answers carry `{ error }`. */
  body: unknown;
}

export interface ApiRequest {
  method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';
  /** Path segments under /api/v1/, percent-encoded here. */
  path: string[];
  token: string;
  body?: unknown;
  /** Extra headers, e.g. X-Flipdns-Actor. Values are percent-encoded, as the server expects. */
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Cancels the request early (the agent stopping). */
  signal?: AbortSignal;
}

export async function callApi(server: string, request: ApiRequest): Promise<ApiAnswer> {
  const url = server.replace(/\/+$/, '') + API_PREFIX + request.path.map(encodeURIComponent).join('/');
  const headers: Record<string, string> = { authorization: `Bearer ${request.token}` };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name] = encodeURIComponent(value);
  if (request.body !== undefined) headers['content-type'] = 'application/json';
  const timeout = AbortSignal.timeout(request.timeoutMs);
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : JSON.stringify(request.body),
      signal: request.signal ? AbortSignal.any([timeout, request.signal]) : timeout,
    });
    text = await response.text();
  } catch (err) {
    throw new ServerUnreachableError(`${server}: ${timeout.aborted ? `no answer within ${request.timeoutMs} ms` : causeOf(err)}`);
  }
  try {
    return { status: response.status, body: JSON.parse(text) };
  } catch {
    return { status: response.status, body: { error: `HTTP ${response.status} with a body that is not JSON: ${text.slice(0, 80)}` } };
  }
}

/** The server's one-line complaint in an error answer. */
export function errorOf(answer: ApiAnswer): string {
  const error = (answer.body as { error?: unknown } | null)?.error;
  return typeof error === 'string' ? error : `HTTP ${answer.status}`;
}

/** fetch says only "fetch failed"; the cause says why (ECONNREFUSED, a bad URL). */
function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
