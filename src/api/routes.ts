// The admin API under /api/v1/: a request handler for the instance's HTTP
// server. Operator endpoints need the admin token; heartbeats need the node's.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { StoreUnavailableError } from '../health/store.js';
import { ValidationError } from '../validation/fields.js';
import { bearerToken, sameSecret } from './auth.js';
import type { AdminContext } from './context.js';
import { nodeReportRoutes } from './node-report-routes.js';
import { ApiError, headerText, readJson, sendError, sendJson } from './http-io.js';
import { instanceRoutes } from './instance-routes.js';
import { nodeRoutes } from './node-routes.js';
import { poolRoutes } from './pool-routes.js';
import { recordRoutes } from './record-routes.js';
import { type ApiCall, matchRoute, type Route } from './router.js';

export interface ApiOptions {
  /** Bearer token for operator endpoints; without one they all answer 401 (heartbeats still work). */
  adminToken?: string;
}

/** Handles every request under /api/ and returns true; returns false for anything else. */
export type ApiHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

/** `extra`: routes a serving plugin adds (src/server/tap.ts). */
export function createApiHandler(ctx: AdminContext, options: ApiOptions, extra: Route[] = []): ApiHandler {
  const routes: Route[] = [...instanceRoutes(ctx), ...recordRoutes(ctx), ...poolRoutes(ctx), ...nodeRoutes(ctx), ...nodeReportRoutes(ctx), ...extra];
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/api' && !path.startsWith('/api/')) return false;
    serve(routes, options, path, req, res).catch((err: unknown) => {
      // RFC 6750 §3: a 401 names the scheme it wants.
      if (err instanceof ApiError) return sendError(res, err.status, err.message, err.status === 401 ? { 'www-authenticate': 'Bearer' } : {});
      // Bad input is the client's to fix; anything else is ours, logged below.
      if (err instanceof ValidationError) return sendError(res, 400, err.message);
      if (err instanceof StoreUnavailableError) return sendError(res, 503, err.message);
      ctx.log.error({ err, method: req.method, path }, 'admin API request failed');
      sendError(res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
    });
    return true;
  };
}

async function serve(routes: Route[], options: ApiOptions, path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const match = matchRoute(routes, req.method ?? 'GET', path);
  if (!match) throw new ApiError(404, `no endpoint ${req.method} ${path} (see docs/api.md)`);
  if ('allowed' in match) {
    sendError(res, 405, `${req.method} is not allowed on ${path}`, { allow: match.allowed.join(', ') });
    return;
  }
  const bearer = bearerToken(req);
  if (bearer === undefined) throw new ApiError(401, 'missing Authorization: Bearer <token>');
  if (match.route.auth === 'admin') {
    if (!options.adminToken) throw new ApiError(401, 'this server has no admin token configured');
    if (!sameSecret(bearer, options.adminToken)) throw new ApiError(401, 'wrong admin token');
  }
  const call: ApiCall = {
    params: match.params,
    body: req.method === 'PUT' || req.method === 'PATCH' || req.method === 'POST' ? await readJson(req) : {},
    actor: headerText(req, 'x-flipdns-actor', 100) ?? 'api',
    reason: headerText(req, 'x-flipdns-reason', 500),
    bearer,
    req,
  };
  const reply = await match.route.handle(call);
  sendJson(res, reply.status ?? 200, reply.body);
}
