// Static records added at run time, served as if they were in their zone file.

import { recordKey } from '../health/model.js';
import { recordChange } from './audit.js';
import type { AdminContext } from './context.js';
import { ApiError, asObject, validated } from './http-io.js';
import { ownerName, rrType } from './params.js';
import type { Route } from './router.js';

export function recordRoutes(ctx: AdminContext): Route[] {
  return [
    {
      method: 'GET',
      path: 'records',
      auth: 'admin',
      handle: async () => ({ body: { records: (await ctx.store.snapshot()).records } }),
    },
    {
      method: 'PUT',
      path: 'records/:name/:type',
      auth: 'admin',
      handle: async (call) => {
        // The path names the record; a name or type in the body cannot contradict it.
        const input = { ...asObject(call.body), name: ownerName(call.params.name), type: rrType(call.params.type) };
        const record = validated(() => ctx.parseRecord(input));
        await ctx.store.putRecord(record);
        recordChange(ctx, call, 'record-set', { record: recordKey(record), ttl: record.ttl, values: record.values });
        return { body: { record } };
      },
    },
    {
      method: 'DELETE',
      path: 'records/:name/:type',
      auth: 'admin',
      handle: async (call) => {
        const key = recordKey({ name: ownerName(call.params.name), type: rrType(call.params.type) });
        if (!(await ctx.store.removeRecord(key))) throw new ApiError(404, `no run-time record ${key} (records from zone files are changed in their files)`);
        recordChange(ctx, call, 'record-removed', { record: key });
        return { body: { removed: key } };
      },
    },
  ];
}
