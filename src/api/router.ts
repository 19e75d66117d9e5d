// A route table for the admin API: `records/:name/:type` style patterns under
// /api/v1/, matched segment by segment on the percent-decoded path.

import type { IncomingMessage } from 'node:http';
import { ApiError } from './http-io.js';

export type Method = 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';

export interface ApiCall {
  params: Record<string, string>;
  /** The parsed JSON body (`{}` when empty); only read for routes that take one (PUT, PATCH, POST unless `body: false`). */
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
  /**
   * `admin`: the admin token is checked before the route runs; for GET, the
   * read token is taken too (reads change nothing). `node`: the node's own
   * token, checked against what the instance knows before a body is read, and
   * by the store when the route runs.
   */
  auth: 'admin' | 'node';
  /** Whether the route reads a JSON body: by default PUT, PATCH and POST do; a heartbeat does not (a body sent is not read). */
  body?: boolean;
  /** Default 64 KiB. */
  maxBodyBytes?: number;
  /** For `node` routes: refuses the credentials before any body is read (throws an AuthRefusal). */
  authorize?(call: Omit<ApiCall, 'body'>): Promise<void>;
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
