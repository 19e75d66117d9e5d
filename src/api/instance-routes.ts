// The instance as a whole: what it serves now, and reloading its zone files.

import { recordChange } from './audit.js';
import type { AdminContext } from './context.js';
import type { Route } from './router.js';

export function instanceRoutes(ctx: AdminContext): Route[] {
  return [
    {
      method: 'GET',
      path: 'status',
      auth: 'admin',
      handle: async () => ({ body: await ctx.status() }),
    },
    {
      method: 'POST',
      path: 'zones/reload',
      auth: 'admin',
      handle: async (call) => {
        const result = ctx.reloadZones();
        recordChange(ctx, call, 'zones-reload', { zones: result.zones, records: result.records, failedFiles: result.failedFiles });
        return { body: result };
      },
    },
  ];
}
