// Nodes as operators manage them: their heartbeat contract, removal, and
// overrides (drain, force up or down).

import { parseNodeCheck } from '../checks/model.js';
import { parseNodeSpec } from '../pools/spec.js';
import { recordChange } from './audit.js';
import { hashToken, newToken } from './auth.js';
import type { NodeRecord } from '../health/model.js';
import type { AdminContext } from './context.js';
import { ApiError } from './http-io.js';
import { parseAdminBody, parseNodeBody } from './node-body.js';
import { nodeId } from './params.js';
import type { ApiCall, Reply, Route } from './router.js';
import { nodeView } from './views.js';

export function nodeRoutes(ctx: AdminContext): Route[] {
  return [
    {
      method: 'GET',
      path: 'nodes',
      auth: 'admin',
      handle: async () => ({ body: { nodes: (await ctx.status()).nodes } }),
    },
    {
      method: 'PUT',
      path: 'nodes/:id',
      auth: 'admin',
      // Create, or replace: fields not given take their defaults. With If-None-Match: *, create only.
      handle: async (call) => {
        const id = nodeId(call.params.id);
        const { token, contract } = parseNodeBody(call.body);
        const existing = await nodeRecord(ctx, id);
        if (existing && call.req.headers['if-none-match'] === '*') throw new ApiError(412, `node ${id} exists: change it with PATCH nodes/${id} (flipdns node update ${id})`);
        return saveNode(ctx, call, id, contract, token, existing);
      },
    },
    {
      method: 'PATCH',
      path: 'nodes/:id',
      auth: 'admin',
      // Update: what is not given stays as it is.
      handle: async (call) => {
        const id = nodeId(call.params.id);
        const { token, contract } = parseNodeBody(call.body);
        const existing = await nodeRecord(ctx, id);
        if (!existing) throw new ApiError(404, `no node ${id} (add it with PUT nodes/${id}, flipdns node add ${id})`);
        const { intervalMs, fall, rise } = existing.spec;
        return saveNode(ctx, call, id, { intervalMs, fall, rise, ...contract }, token, existing);
      },
    },
    {
      method: 'DELETE',
      path: 'nodes/:id',
      auth: 'admin',
      handle: async (call) => {
        const id = nodeId(call.params.id);
        if (!(await ctx.store.removeNode(id))) throw new ApiError(404, `no node ${id}`);
        await ctx.store.removeDocument('checks', id);
        recordChange(ctx, call, 'node-removed', { node: id });
        return { body: { removed: id } };
      },
    },
    {
      method: 'PUT',
      path: 'nodes/:id/check',
      auth: 'admin',
      // Every instance probes the node's service and votes; see checks/README.md.
      handle: async (call) => {
        const id = nodeId(call.params.id);
        const check = parseNodeCheck(call.body);
        if (!(await nodeRecord(ctx, id))) throw new ApiError(404, `no node ${id}`);
        await ctx.store.putDocument('checks', id, check);
        recordChange(ctx, call, 'node-check-set', { node: id, url: check.url });
        return { body: { node: id, check } };
      },
    },
    {
      method: 'DELETE',
      path: 'nodes/:id/check',
      auth: 'admin',
      handle: async (call) => {
        const id = nodeId(call.params.id);
        if (!(await ctx.store.removeDocument('checks', id))) throw new ApiError(404, `node ${id} has no server-side check`);
        recordChange(ctx, call, 'node-check-removed', { node: id });
        return { body: { node: id, check: null } };
      },
    },
    {
      method: 'POST',
      path: 'nodes/:id/admin',
      auth: 'admin',
      handle: async (call) => {
        const id = nodeId(call.params.id);
        const { state, reason } = parseAdminBody(call.body);
        const record = await ctx.store.setAdmin(id, state, reason, call.actor);
        if (!record) throw new ApiError(404, `no node ${id}`);
        recordChange(ctx, { ...call, reason }, 'node-admin', { node: id, admin: state });
        return { body: { node: nodeView(record) } };
      },
    },
  ];
}

async function nodeRecord(ctx: AdminContext, id: string): Promise<NodeRecord | undefined> {
  return (await ctx.store.snapshot()).nodes.find((node) => node.spec.id === id);
}

/**
 * Changing an interval must not lock out the running agent: an existing node
 * keeps its token unless a new one is given. A new node without one gets a
 * random token, shown in this answer only.
 */
async function saveNode(ctx: AdminContext, call: ApiCall, id: string, contract: Record<string, unknown>, token: string | undefined, existing: NodeRecord | undefined): Promise<Reply> {
  const generated = token === undefined && !existing ? newToken() : undefined;
  const tokenHash = token !== undefined ? hashToken(token) : generated !== undefined ? hashToken(generated) : existing!.spec.tokenHash;
  const spec = parseNodeSpec({ ...contract, id, tokenSha256: tokenHash });
  const record = await ctx.store.putNode(spec);
  const { intervalMs, fall, rise } = spec;
  recordChange(ctx, call, existing ? 'node-changed' : 'node-added', { node: id, intervalMs, fall, rise, tokenChanged: token !== undefined || generated !== undefined });
  return { status: existing ? 200 : 201, body: { node: nodeView(record), ...(generated ? { token: generated } : {}) } };
}
