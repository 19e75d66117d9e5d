// The CLI's side of the admin API: options every client command shares, and
// requests whose failures map to exit codes (1 refused, 2 usage, 3 unreachable).

import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { type Command, Option } from 'commander';
import { type ApiRequest, CA_FILE_ENV, CaFileError, ServerUnreachableError, callApi, errorOf } from '../api/client.js';
import { SCHEMA, envFor } from '../config/schema.js';
import { urlArg } from './arg-parsers.js';
import { CliError } from './cli-error.js';
import { EXIT_PROBLEMS, EXIT_UNREACHABLE, EXIT_USAGE } from './exit-codes.js';

export const DEFAULT_SERVER = `http://127.0.0.1:${SCHEMA.httpPort.default}`;
const REQUEST_TIMEOUT_MS = 10_000;

export interface ClientFlags {
  server: string;
  token?: string;
  /** Where commander took --token from: `cli` or `env`. */
  tokenSource?: string;
  json?: boolean;
  reason?: string;
  /** --ca-file: the CA of an https:// server's certificate. */
  caFile?: string;
}

export function serverOption(): Option {
  return new Option('--server <URL>', 'admin API of a flipdns instance').env('FLIPDNS_SERVER').default(DEFAULT_SERVER).argParser(urlArg);
}

/** For an https:// server whose certificate a private CA signed; every client command also reads $FLIPDNS_CA_FILE without it. */
export function caFileOption(): Option {
  return new Option('--ca-file <FILE>', 'PEM file of the CA that signed an https:// server\'s certificate (trusted besides the usual CAs)').env(CA_FILE_ENV);
}

/** --server, --token (the admin token), --json, and for commands that change something, --reason. */
export function withClientOptions(command: Command, { reason }: { reason: 'none' | 'optional' | 'required' }): Command {
  command
    .addOption(serverOption())
    .addOption(caFileOption())
    .addOption(new Option('--token <TOKEN>', `admin token, or for a command that only reads, the read token (default: $${envFor('readToken')} for those, else the one a local server generated, read from $${envFor('adminTokenFile')} or ${SCHEMA.adminTokenFile.default})`).env(envFor('adminToken')))
    .option('--json', 'print the server answer as JSON')
    // Kept for the error when the server refuses the token, which names where it came from.
    .hook('preAction', (self) => {
      self.setOptionValue('tokenSource', self.getOptionValueSource('token'));
    });
  if (reason !== 'none') command.addOption(new Option('--reason <TEXT>', 'why: logged with the change').makeOptionMandatory(reason === 'required'));
  return command;
}

/** One request as the operator; resolves to the answer's body, or throws a CliError. */
export async function adminRequest(flags: ClientFlags, method: ApiRequest['method'], path: string[], body?: unknown, extraHeaders: Record<string, string> = {}): Promise<unknown> {
  const headers: Record<string, string> = { 'x-flipdns-actor': actor(), ...extraHeaders };
  if (flags.reason) headers['x-flipdns-reason'] = flags.reason;
  const token = adminToken(flags, method);
  return request(flags.server, { method, path, token: token.value, body, headers, caFile: flags.caFile }, token.origin);
}

/**
 * One request with any token (a node's heartbeat); resolves to the body, or throws a CliError.
 * `tokenOrigin` says where the token came from when the server refuses it (401).
 */
export async function request(server: string, req: Omit<ApiRequest, 'timeoutMs'>, tokenOrigin?: string): Promise<unknown> {
  try {
    const answer = await callApi(server, { ...req, timeoutMs: REQUEST_TIMEOUT_MS });
    if (answer.status === 401 && tokenOrigin) throw new CliError(`${errorOf(answer)} (${tokenOrigin})`, EXIT_PROBLEMS);
    if (answer.status >= 400) throw new CliError(errorOf(answer), EXIT_PROBLEMS);
    return answer.body;
  } catch (err) {
    if (err instanceof ServerUnreachableError) throw new CliError(err.message, EXIT_UNREACHABLE);
    if (err instanceof CaFileError) throw new CliError(err.message, EXIT_USAGE);
    throw err;
  }
}

/**
 * --token or its variable; for a read, $FLIPDNS_READ_TOKEN; else the file where
 * `flipdns serve` wrote the token it generated, as on the same machine. With
 * where it came from, never the token itself.
 */
function adminToken(flags: ClientFlags, method: ApiRequest['method']): { value: string; origin: string } {
  if (flags.token) return { value: flags.token, origin: flags.tokenSource === 'env' ? `the token from ${envFor('adminToken')}` : 'the token given with --token' };
  // A read needs no more than the read token: a monitoring host can hold that one only.
  const readToken = process.env[envFor('readToken')];
  if (method === 'GET' && readToken) return { value: readToken, origin: `the read token from ${envFor('readToken')}` };
  const file = process.env[envFor('adminTokenFile')] ?? SCHEMA.adminTokenFile.default;
  let token = '';
  try {
    token = readFileSync(file, 'utf8').trim();
  } catch {
    // Reported below, with the other ways to give a token.
  }
  if (!token) throw new CliError(`no admin token: give --token, set ${envFor('adminToken')}, or run where ${file} is`, EXIT_USAGE);
  return { value: token, origin: `the token read from ${file}; a server writes that file when it generates a token at start: give --token or set ${envFor('adminToken')}` };
}

/** Who makes the change, for the server's log: user@host. */
function actor(): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry (some containers).
    user = process.env.USER ?? `uid ${process.getuid?.() ?? '?'}`;
  }
  return `${user}@${hostname()}`;
}
