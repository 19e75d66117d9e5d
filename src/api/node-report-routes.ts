// What a node says about itself, authenticated per node: a node's token speaks
// for that node only. A heartbeat keeps it up; a down report (its agent's
// local check failed) takes it down at once.

import { type HeartbeatResult, StoreUnavailableError } from '../health/store.js';
import { hashToken } from './auth.js';
import type { AdminContext } from './context.js';
import { ApiError } from './http-io.js';
import { object } from '../validation/fields.js';
import { nodeId } from './params.js';
import type { ApiCall, Route } from './router.js';
import { nodeView } from './views.js';

const MAX_REASON_LENGTH = 200;

export function nodeReportRoutes(ctx: AdminContext): Route[] {
  return [
    {
      method: 'POST',
      path: 'nodes/:id/heartbeat',
      auth: 'node',
      handle: (call) => answer(ctx, call, 'heartbeat', (id, tokenHash) => ctx.store.heartbeat(id, tokenHash)),
    },
    {
      method: 'POST',
      path: 'nodes/:id/down',
      auth: 'node',
      handle: (call) => {
        const { reason = 'reported down by its agent' } = object(call.body, 'body');
        if (typeof reason !== 'string' || reason.length > MAX_REASON_LENGTH) throw new ApiError(400, `reason must be a string of at most ${MAX_REASON_LENGTH} characters`);
        return answer(ctx, call, 'down report', (id, tokenHash) => ctx.store.reportDown(id, tokenHash, reason));
      },
    },
  ];
}

async function answer(ctx: AdminContext, call: ApiCall, what: 'heartbeat' | 'down report', report: (id: string, tokenHash: string) => Promise<HeartbeatResult>) {
  const id = nodeId(call.params.id);
  const kind = what === 'heartbeat' ? 'heartbeat' : 'down';
  const result = await report(id, hashToken(call.bearer)).catch((err: unknown) => {
    if (err instanceof StoreUnavailableError) ctx.countNodeReport(kind, 'store-unavailable');
    throw err;
  });
  if (result.status === 'unknown-node') {
    ctx.countNodeReport(kind, 'unknown-node');
    throw new ApiError(404, `no node ${id}`);
  }
  if (result.status === 'bad-token') {
    ctx.countNodeReport(kind, 'wrong-token');
    // Worth a warning: a misconfigured agent, or someone trying to speak for a node.
    ctx.log.warn({ node: id, remote: call.req.socket.remoteAddress }, `${what} refused: wrong token for this node`);
    throw new ApiError(403, `this token is not ${id}'s`);
  }
  ctx.countNodeReport(kind, 'accepted');
  return { body: { node: nodeView(result.record) } };
}
