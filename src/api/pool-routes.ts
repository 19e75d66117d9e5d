// Pools: names whose answer follows the health of their members' nodes. Pools
// from zone files are shown here too; only run-time pools are changed here.

import { poolKey } from '../health/model.js';
import { recordChange } from './audit.js';
import type { AdminContext, PoolStatus } from './context.js';
import { ApiError, asObject, validated } from './http-io.js';
import { ownerName, rrType } from './params.js';
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
        // The full definition is at hand only for run-time pools; a file pool's is in its zone file.
        const spec = (await ctx.store.snapshot()).pools.find((candidate) => poolKey(candidate) === key);
        return { body: { pool, ...(spec ? { spec } : {}) } };
      },
    },
    {
      method: 'PUT',
      path: 'pools/:name/:type',
      auth: 'admin',
      handle: async (call) => {
        const input = { ...asObject(call.body), name: ownerName(call.params.name), type: rrType(call.params.type) };
        const pool = validated(() => ctx.parsePool(input));
        await ctx.store.putPool(pool);
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
        if (!(await ctx.store.removePool(key))) throw new ApiError(404, `no run-time pool ${key} (pools from zone files are changed in their files)`);
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
        await ctx.store.setHeld(key, []);
        recordChange(ctx, call, 'pool-failback', { pool: key, released });
        return { body: { pool: key, released } };
      },
    },
  ];
}
