// What a node says about itself, authenticated per node: a node's token speaks
// for that node only. A heartbeat keeps it up; a down report (its agent's
// local check failed) takes it down at once. A wrong token and an unknown node
// get the same answer, so that node ids cannot be found out without a token.

import { timingSafeEqual } from 'node:crypto';
import { type HeartbeatResult, StoreUnavailableError } from '../health/store.js';
import type { NodeReport, NodeReportResult } from '../metrics/health-metrics.js';
import { hashToken } from './auth.js';
import type { AdminContext } from './context.js';
import { ApiError, AuthRefusal } from './http-io.js';
import { object } from '../validation/fields.js';
import { nodeId } from './params.js';
import type { ApiCall, Route } from './router.js';
import type { ApiOptions } from './routes.js';
import { nodeView } from './views.js';

const MAX_REASON_LENGTH = 200;
/** `{"reason": "..."}` with 200 characters, escaped at worst, and room to spare. */
const MAX_REPORT_BYTES = 4096;

type What = 'heartbeat' | 'down report';

export function nodeReportRoutes(ctx: AdminContext, options: Pick<ApiOptions, 'nodeTokenHash'> = {}): Route[] {
  return [
    {
      method: 'POST',
      path: 'nodes/:id/heartbeat',
      auth: 'node',
      // No body: nothing to wait for, the store checks the token at once.
      body: false,
      handle: (call) => answer(ctx, call, 'heartbeat', (id, tokenHash) => ctx.store.heartbeat(id, tokenHash)),
    },
    {
      method: 'POST',
      path: 'nodes/:id/down',
      auth: 'node',
      maxBodyBytes: MAX_REPORT_BYTES,
      authorize: (call) => precheck(ctx, options, call, 'down report'),
      handle: (call) => {
        const { reason = 'reported down by its agent' } = object(call.body, 'body');
        if (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH) throw new ApiError(400, `reason must be a string of at most ${MAX_REASON_LENGTH} characters`);
        return answer(ctx, call, 'down report', (id, tokenHash) => ctx.store.reportDown(id, tokenHash, reason));
      },
    },
  ];
}

const kindOf = (what: What): NodeReport => (what === 'heartbeat' ? 'heartbeat' : 'down');

/** Refused the same way whether the node exists or not; the log and the metrics say which. */
function refusal(ctx: AdminContext, id: string, what: What, result: 'wrong-token' | 'unknown-node'): AuthRefusal {
  ctx.countNodeReport(kindOf(what), result);
  // Worth a warning (at most one line an interval): a misconfigured agent, or someone trying to speak for a node.
  const logMsg = result === 'wrong-token' ? `${what} refused: wrong token for this node` : `${what} refused: no such node`;
  return new AuthRefusal(403, `this token is not ${id}'s`, 'wrong-token', logMsg, { node: id });
}

/**
 * Before a body is read: the token against what this instance serves. Only a
 * sure refusal refuses; when the instance cannot tell, the store decides after.
 */
async function precheck(ctx: AdminContext, options: Pick<ApiOptions, 'nodeTokenHash'>, call: Omit<ApiCall, 'body'>, what: What): Promise<void> {
  const id = nodeId(call.params.id);
  if (options.nodeTokenHash === undefined) return;
  let known: string | null | undefined;
  try {
    known = await options.nodeTokenHash(id);
  } catch {
    return;
  }
  if (known === undefined) return;
  if (known === null) throw refusal(ctx, id, what, 'unknown-node');
  if (!sameHash(hashToken(call.bearer), known)) throw refusal(ctx, id, what, 'wrong-token');
}

function sameHash(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

async function answer(ctx: AdminContext, call: ApiCall, what: What, report: (id: string, tokenHash: string) => Promise<HeartbeatResult>) {
  const id = nodeId(call.params.id);
  const kind = kindOf(what);
  const result = await report(id, hashToken(call.bearer)).catch((err: unknown) => {
    if (err instanceof StoreUnavailableError) ctx.countNodeReport(kind, 'store-unavailable');
    throw err;
  });
  if (result.status === 'unknown-node') throw refusal(ctx, id, what, 'unknown-node');
  if (result.status === 'bad-token') throw refusal(ctx, id, what, 'wrong-token');
  ctx.countNodeReport(kind, 'accepted' satisfies NodeReportResult);
  return { body: { node: nodeView(result.record) } };
}
