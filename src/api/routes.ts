// The admin API under /api/v1/: a request handler for the instance's HTTP
// server. Changes need the admin token, reads the admin or the read token,
// heartbeats the node's. Credentials are checked before a body is read.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { StoreUnavailableError } from '../health/store.js';
import { LogLimit } from '../http/log-limit.js';
import { type RefusalCounter, Refusals } from '../http/refusals.js';
import { remoteOf } from '../http/requests.js';
import { ValidationError } from '../validation/fields.js';
import { AuthFailureLimit } from './auth-limit.js';
import { bearerToken, sameSecret } from './auth.js';
import type { AdminContext } from './context.js';
import { nodeReportRoutes } from './node-report-routes.js';
import { ApiError, AuthRefusal, ClientGoneError, MAX_BODY_BYTES, headerText, readJson, sendError, sendJson } from './http-io.js';
import { instanceRoutes } from './instance-routes.js';
import { nodeRoutes } from './node-routes.js';
import { poolRoutes } from './pool-routes.js';
import { recordRoutes } from './record-routes.js';
import { type ApiCall, matchRoute, type Route } from './router.js';

/** Refused authentications a second one address may have before it gets 429 unchecked, when not configured. */
export const DEFAULT_AUTH_FAILURES_PER_SECOND = 10;

export interface ApiOptions {
  /** Bearer token for every endpoint but heartbeats; without one they all answer 401 (heartbeats still work). */
  adminToken?: string;
  /** Bearer token for the GET endpoints only (status, records, pools, nodes, staleness): 403 on anything that changes something. */
  readToken?: string;
  /** Refused authentications a second per address (an IPv6 /64), in bursts of as many; past it 429 without a check. 0: no limit. */
  authFailuresPerSecond?: number;
  /** Ms a body may take to arrive once the credentials are checked (408 after); the server's requestTimeout is the backstop. */
  bodyTimeoutMs?: number;
  /**
   * What the instance knows of a node's token without asking the store: its
   * SHA-256 (hex), `null` for a node it does not know, `undefined` when it
   * cannot tell (the shared state not read yet). Lets a node's report with a
   * body be refused before the body is read; without it the store decides,
   * after.
   */
  nodeTokenHash?: (id: string) => string | null | undefined | Promise<string | null | undefined>;
  /** Counts a refused request (`flipdns_http_requests_refused_total{reason}`). */
  countRefused?: RefusalCounter;
  /** Ms between two log lines of one kind of refusal or failure; 10 s by default. */
  logEveryMs?: number;
}

/** Handles every request under /api/ and returns true; returns false for anything else. */
export type ApiHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** `extra`: routes a serving plugin adds (src/server/tap.ts). */
export function createApiHandler(ctx: AdminContext, options: ApiOptions, extra: Route[] = []): ApiHandler {
  const routes: Route[] = [...instanceRoutes(ctx), ...recordRoutes(ctx), ...poolRoutes(ctx), ...nodeRoutes(ctx), ...nodeReportRoutes(ctx, options), ...extra];
  const refusals = new Refusals(ctx.log, options.countRefused, options.logEveryMs);
  const failures = new LogLimit(ctx.log, options.logEveryMs);
  const limit = new AuthFailureLimit(options.authFailuresPerSecond ?? DEFAULT_AUTH_FAILURES_PER_SECOND);
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/api' && !path.startsWith('/api/')) return false;
    const remote = remoteOf(req);
    if (limit.blocked(remote)) {
      refusals.refuse('rate-limited', { remote, method: req.method, path }, 'admin API request refused unchecked: too many refused authentications from this address');
      sendError(res, 429, 'too many refused authentications from this address: try again later', { 'retry-after': String(limit.retryAfterSeconds()) });
      return true;
    }
    serve(routes, options, path, req, res).catch((err: unknown) => {
      // The listener counts a request whose client went away; there is nobody to answer.
      if (err instanceof ClientGoneError) return;
      if (err instanceof AuthRefusal) {
        if (err.reason !== 'read-only') limit.failed(remote);
        refusals.refuse(err.reason, { ...err.details, remote, method: req.method, path }, err.logMsg);
      } else if (err instanceof ApiError && (err.status === 413 || err.status === 408)) {
        refusals.refuse(err.status === 413 ? 'too-large' : 'timeout', { remote, method: req.method, path }, err.status === 413 ? 'admin API request refused: body too large' : 'admin API request refused: body too slow');
      }
      // RFC 6750 §3: a 401 names the scheme it wants.
      if (err instanceof ApiError) return sendError(res, err.status, err.message, err.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
      // Bad input is the client's to fix; anything else is ours, logged below.
      if (err instanceof ValidationError) return sendError(res, 400, err.message);
      if (err instanceof StoreUnavailableError) return sendError(res, 503, err.message);
      // Ours, but possibly caused at will: one line an interval, with the error of the first.
      failures.line('error', 'admin API request failed', { err, method: req.method, path }, 'admin API request failed');
      sendError(res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
    });
    return true;
  };
}

async function serve(routes: Route[], options: ApiOptions, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const match = matchRoute(routes, req.method ?? 'GET', path);
  // Said before any credential is checked: the route table is public (docs/api.md), and nothing else is said.
  if (!match) throw new ApiError(404, `no endpoint ${req.method} ${shown(path)} (see docs/api.md)`);
  if ('allowed' in match) {
    sendError(res, 405, `${req.method} is not allowed on ${shown(path)}`, { allow: match.allowed.join(', ') });
    return;
  }
  const { route, params } = match;
  const bearer = bearerToken(req);
  if (bearer === undefined) throw new AuthRefusal(401, 'missing Authorization: Bearer <token>', 'no-token', 'admin API request refused: no token');
  if (route.auth === 'admin') checkOperator(options, route, bearer);
  const call: Omit<ApiCall, 'body'> = {
    params,
    actor: headerText(req, 'x-flipdns-actor', 100) ?? 'api',
    reason: headerText(req, 'x-flipdns-reason', 500),
    bearer,
    req,
  };
  // A node's token is checked by the route, before its body is read.
  if (route.auth === 'node') await route.authorize?.(call);
  const readsBody = route.body ?? (route.method === 'PUT' || route.method === 'PATCH' || route.method === 'POST');
  const body = readsBody ? await readJson(req, { maxBytes: route.maxBodyBytes ?? MAX_BODY_BYTES, deadlineMs: options.bodyTimeoutMs }) : {};
  const reply = await route.handle({ ...call, body });
  sendJson(res, reply.status ?? 200, reply.body);
}

/** A path as an error repeats it: no longer than a line. */
function shown(path: string): string {
  return path.length > 120 ? `${path.slice(0, 120)}...` : path;
}

/** The admin token for anything; the read token for GET only. Both compared in constant time, both always. */
function checkOperator(options: ApiOptions, route: Route, bearer: string): void {
  const admin = options.adminToken ? sameSecret(bearer, options.adminToken) : false;
  const read = options.readToken ? sameSecret(bearer, options.readToken) : false;
  if (admin) return;
  const reading = route.method === 'GET';
  if (read) {
    if (reading) return;
    throw new AuthRefusal(403, 'the read token only reads (GET): changes need the admin token', 'read-only', 'admin API change refused: the read token only reads');
  }
  if (!options.adminToken && !(reading && options.readToken)) throw new AuthRefusal(401, 'this server has no admin token configured', 'wrong-token', 'admin API request refused: no admin token configured');
  throw new AuthRefusal(401, reading && options.readToken ? 'wrong token: neither the admin token nor the read token' : 'wrong admin token', 'wrong-token', 'admin API request refused: wrong token');
}
