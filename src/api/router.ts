// A route table for the admin API: `records/:name/:type` style patterns under
// /api/v1/, matched segment by segment on the percent-decoded path.

import type { IncomingMessage } from 'node:http';
import { ApiError } from './http-io.js';

export type Method = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

export interface ApiCall {
  params: Record<string, string>;
  /** The parsed JSON body (`{}` when empty); only read for PUT, PATCH and POST. */
  body: unknown;
  /** Who asked: the `X-Flipdns-Actor` header, or "api". */
  actor: string;
  /** Why, from the `X-Flipdns-Reason` header, when given. */
  reason?: string;
  /** The bearer token, for routes that authenticate it themselves (heartbeats). */
  bearer: string;
  req: IncomingMessage;
}

export interface Reply {
  status?: number;
  body: unknown;
}

export interface Route {
  method: Method;
  /** Relative to /api/v1/, e.g. `pools/:name/:type/failback`. */
  path: string;
  /** `admin`: the admin token is checked before the route runs; `node`: the route checks the bearer itself. */
  auth: 'admin' | 'node';
  handle(call: ApiCall): Promise<Reply>;
}

export const API_PREFIX = '/api/v1/';

export type Match = { route: Route; params: Record<string, string> } | { allowed: Method[] } | undefined;

/** The route for this method and path; or, when only other methods match, which ones would (for 405). */
export function matchRoute(routes: Route[], method: string, path: string): Match {
  if (!path.startsWith(API_PREFIX)) return undefined;
  const segments = path.slice(API_PREFIX.length).split('/').map(decodeSegment);
  const allowed: Method[] = [];
  for (const route of routes) {
    const params = matchPattern(route.path.split('/'), segments);
    if (!params) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { allowed } : undefined;
}

function matchPattern(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of pattern.entries()) {
    if (part.startsWith(':')) {
      if (segments[i] === '') return undefined;
      params[part.slice(1)] = segments[i];
    } else if (part !== segments[i]) {
      return undefined;
    }
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ApiError(400, `bad percent-encoding in path segment ${JSON.stringify(segment)}`);
  }
}
