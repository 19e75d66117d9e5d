// Pools: names whose answer follows the health of their members' nodes. Pools
// from pool files are shown here too; only run-time pools are changed here. A
// pool this instance could not serve as asked is refused, and nothing is stored.

import { type PoolSpec, poolKey } from '../pools/model.js';
import { putPool, removePool, setHeld } from '../pools/documents.js';
import { object } from '../validation/fields.js';
import { recordChange } from './audit.js';
import type { AdminContext, PoolStatus } from './context.js';
import { ApiError } from './http-io.js';
import { ownerName, refuseProblem, rrType } from './params.js';
import type { ApiCall, Route } from './router.js';

export function poolRoutes(ctx: AdminContext): Route[] {
  const keyOf = (call: ApiCall): string => poolKey({ name: ownerName(call.params.name), type: rrType(call.params.type) });

  async function servedPool(key: string): Promise<PoolStatus> {
    const pool = (await ctx.status()).pools.find((candidate) => poolKey(candidate) === key);
    if (!pool) throw new ApiError(404, `no pool ${key}`);
    return pool;
  }

  return [
    {
      method: 'GET',
      path: 'pools',
      auth: 'admin',
      handle: async () => ({ body: { pools: (await ctx.status()).pools } }),
    },
    {
      method: 'GET',
      path: 'pools/:name/:type',
      auth: 'admin',
      handle: async (call) => {
        const key = keyOf(call);
        const pool = await servedPool(key);
        // The full definition is at hand only for run-time pools; a file pool's is in its file.
        const spec = (await ctx.store.snapshot()).documents.pools[key] as PoolSpec | undefined;
        return { body: { pool, ...(spec ? { spec } : {}) } };
      },
    },
    {
      method: 'PUT',
      path: 'pools/:name/:type',
      auth: 'admin',
      handle: async (call) => {
        const pool = ctx.parsePool({ ...object(call.body, 'body'), name: ownerName(call.params.name), type: rrType(call.params.type) });
        const { nodes } = await ctx.store.snapshot();
        const known = new Set(nodes.map((node) => node.spec.id));
        for (const member of pool.members) {
          if (!known.has(member.node)) throw new ApiError(400, `member ${member.id}: node "${member.node}" does not exist (nodes: ${[...known].sort().join(', ') || 'none'}; add it with flipdns node add)`);
        }
        refuseProblem(ctx.problemWith({ pool }));
        await putPool(ctx.store, pool);
        recordChange(ctx, call, 'pool-set', { pool: poolKey(pool), policy: pool.policy, members: pool.members.map((m) => `${m.id}=${m.value}@${m.node}`) });
        return { body: { pool } };
      },
    },
    {
      method: 'DELETE',
      path: 'pools/:name/:type',
      auth: 'admin',
      handle: async (call) => {
        const key = keyOf(call);
        if (!(await removePool(ctx.store, key))) throw new ApiError(404, `no run-time pool ${key} (pools from pool files are changed in their files)`);
        recordChange(ctx, call, 'pool-removed', { pool: key });
        return { body: { removed: key } };
      },
    },
    {
      method: 'POST',
      path: 'pools/:name/:type/failback',
      auth: 'admin',
      handle: async (call) => {
        const key = keyOf(call);
        const released = (await servedPool(key)).members.filter((member) => member.held).map((member) => member.id);
        await setHeld(ctx.store, key, []);
        recordChange(ctx, call, 'pool-failback', { pool: key, released });
        return { body: { pool: key, released } };
      },
    },
  ];
}
