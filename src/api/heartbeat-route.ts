// Heartbeats, authenticated per node: a node's token speaks for that node only.

import { hashToken } from './auth.js';
import type { AdminContext } from './context.js';
import { ApiError } from './http-io.js';
import { nodeId } from './params.js';
import type { Route } from './router.js';
import { nodeView } from './views.js';

export function heartbeatRoute(ctx: AdminContext): Route {
  return {
    method: 'POST',
    path: 'nodes/:id/heartbeat',
    auth: 'node',
    handle: async (call) => {
      const id = nodeId(call.params.id);
      const result = await ctx.store.heartbeat(id, hashToken(call.bearer));
      if (result.status === 'unknown-node') throw new ApiError(404, `no node ${id}`);
      if (result.status === 'bad-token') {
        // Worth a warning: a misconfigured agent, or someone trying to keep a dead node up.
        ctx.log.warn({ node: id, remote: call.req.socket.remoteAddress }, 'heartbeat refused: wrong token for this node');
        throw new ApiError(403, `this token is not ${id}'s`);
      }
      return { body: { node: nodeView(result.record) } };
    },
  };
}
