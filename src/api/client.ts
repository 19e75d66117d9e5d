// Calling a flipdns admin API, for the CLI and the agent: one request, its JSON
// answer, and a distinct error when no answer came at all. http:// and
// https:// alike; a server whose certificate is signed by a private CA is
// trusted with that CA's file (`ca`, else $FLIPDNS_CA_FILE).

import { readFileSync } from 'node:fs';
import { type ClientRequest, type IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { rootCertificates } from 'node:tls';
import { API_PREFIX } from './router.js';

/** The environment variable naming a PEM file of CA certificates to trust for https:// servers, besides those Node trusts. */
export const CA_FILE_ENV = 'FLIPDNS_CA_FILE';

/** Answers are a few KiB; a server sending more than this is not a flipdns API. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

export class ServerUnreachableError extends Error {
  override name = 'ServerUnreachableError';
}

/** A CA file that cannot be read: the CLI's usage error, not the server's fault. */
export class CaFileError extends Error {
  override name = 'CaFileError';
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
  /** PEM file of CA certificates to trust for an https:// server, besides those Node trusts; default $FLIPDNS_CA_FILE. */
  caFile?: string;
}

export async function callApi(server: string, request: ApiRequest): Promise<ApiAnswer> {
  const base = server.replace(/\/+$/, '');
  let url: URL;
  try {
    url = new URL(base + API_PREFIX + request.path.map(encodeURIComponent).join('/'));
  } catch {
    throw new ServerUnreachableError(`${server}: not a URL`);
  }
  const headers: Record<string, string> = { authorization: `Bearer ${request.token}` };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name] = encodeURIComponent(value);
  const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body), 'utf8');
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(payload.length);
  }
  const ca = url.protocol === 'https:' ? caOf(request.caFile ?? process.env[CA_FILE_ENV]) : undefined;
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const signal = request.signal ? AbortSignal.any([timeout, request.signal]) : timeout;
  let answer: { status: number; text: string };
  try {
    answer = await exchange(url, { method: request.method, headers, signal, ...(ca && { ca }) }, payload);
  } catch (err) {
    throw new ServerUnreachableError(`${server}: ${timeout.aborted ? `no answer within ${request.timeoutMs} ms` : causeOf(err)}`);
  }
  try {
    return { status: answer.status, body: JSON.parse(answer.text) };
  } catch {
    return { status: answer.status, body: { error: `HTTP ${answer.status} with a body that is not JSON: ${answer.text.slice(0, 80)}` } };
  }
}

function exchange(url: URL, options: { method: string; headers: Record<string, string>; signal: AbortSignal; ca?: Array<string | Buffer> }, payload: Buffer | undefined): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const onAnswer = (res: IncomingMessage): void => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_ANSWER_BYTES) return res.destroy(new Error(`answer over ${MAX_ANSWER_BYTES} bytes`));
        chunks.push(chunk);
      });
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', reject);
      res.once('aborted', () => reject(new Error('the answer was cut short')));
    };
    const req: ClientRequest = url.protocol === 'https:' ? httpsRequest(url, options, onAnswer) : httpRequest(url, options, onAnswer);
    req.once('error', reject);
    req.end(payload);
  });
}

/** Node's CAs and the CA file's certificates, read on each call (a renewed CA is taken at once); undefined: Node's alone. */
function caOf(file: string | undefined): Array<string | Buffer> | undefined {
  if (file === undefined || file === '') return undefined;
  try {
    // Node's `ca` replaces its own list: keep it, and add.
    return [...rootCertificates, readFileSync(file)];
  } catch (err) {
    throw new CaFileError(`cannot read the CA file ${file} (--ca-file, ${CA_FILE_ENV}): ${(err as Error).message}`);
  }
}

/** The server's one-line complaint in an error answer. */
export function errorOf(answer: ApiAnswer): string {
  const error = (answer.body as { error?: unknown } | null)?.error;
  return typeof error === 'string' ? error : `HTTP ${answer.status}`;
}

/** Why no answer came: the system's code (ECONNREFUSED), or what TLS found wrong, with what to do. */
function causeOf(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code !== undefined && TLS_TRUST_CODES.has(code)) return `${code}: the server's certificate is not signed by a CA this client trusts (give its CA with --ca-file or ${CA_FILE_ENV})`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `${code}: the server's certificate is not for this host name`;
  if (code === 'EPROTO' || (err as Error).message?.includes('wrong version number')) return `${code ?? 'EPROTO'}: no TLS there (is it http:// rather than https://?)`;
  return code ?? (err instanceof Error ? err.message : String(err));
}

const TLS_TRUST_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_UNTRUSTED']);
