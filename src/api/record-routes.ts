// Static records added at run time, served as if they were in their zone file.
// A record this instance could not serve as asked is refused, and nothing is stored.

import { putRecord, removeRecord, storeRecords } from '../pools/documents.js';
import { recordKey } from '../pools/model.js';
import { object } from '../validation/fields.js';
import { recordChange } from './audit.js';
import type { AdminContext } from './context.js';
import { ApiError } from './http-io.js';
import { ownerName, refuseProblem, rrType } from './params.js';
import type { Route } from './router.js';

export function recordRoutes(ctx: AdminContext): Route[] {
  return [
    {
      method: 'GET',
      path: 'records',
      auth: 'admin',
      handle: async () => ({ body: { records: storeRecords(await ctx.store.snapshot()) } }),
    },
    {
      method: 'PUT',
      path: 'records/:name/:type',
      auth: 'admin',
      handle: async (call) => {
        // The path names the record; a name or type in the body cannot contradict it.
        const record = ctx.parseRecord({ ...object(call.body, 'body'), name: ownerName(call.params.name), type: rrType(call.params.type) });
        refuseProblem(ctx.problemWith({ record }));
        await putRecord(ctx.store, record);
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
        if (!(await removeRecord(ctx.store, key))) throw new ApiError(404, `no run-time record ${key} (records from zone files are changed in their files)`);
        recordChange(ctx, call, 'record-removed', { record: key });
        return { body: { removed: key } };
      },
    },
  ];
}
