// The staleness ledger as a serving plugin (src/server/tap.ts): a Ledger in
// every process that answers queries, and over HTTP the merged view at
// GET /api/v1/staleness and its metrics.

import { ApiError } from '../../api/http-io.js';
import { ownerName, rrType } from '../../api/params.js';
import type { Config } from '../../config/schema.js';
import type { TapPlugin, TapView } from '../../server/tap.js';
import { poolKey } from '../../pools/model.js';
import { Ledger } from './ledger.js';
import { LedgerMetrics } from './metrics.js';
import type { LedgerReport } from './report.js';
import { type StalenessView, buildView } from './view.js';

export const stalenessPlugin: TapPlugin = {
  createTap(config) {
    if (!config.ledger) return undefined;
    return new Ledger({ capacity: config.ledgerEntries, flipsKept: config.ledgerFlips, watchMs: config.ledgerWatch * 1000 });
  },
  createView,
};

function createView(config: Config, reports: () => Promise<unknown[]>): TapView {
  const metrics = new LedgerMetrics();
  const view = async (): Promise<StalenessView> => {
    if (!config.ledger) throw new ApiError(404, 'the staleness ledger is off on this instance (setting ledger: false)');
    return buildView(config.id, (await reports()) as LedgerReport[]);
  };
  return {
    routes: [
      { method: 'GET', path: 'staleness', auth: 'admin', handle: async () => ({ body: await view() }) },
      {
        method: 'GET',
        path: 'staleness/:name/:type',
        auth: 'admin',
        handle: async (call) => {
          const key = poolKey({ name: ownerName(call.params.name), type: rrType(call.params.type) });
          const all = await view();
          const pools = all.pools.filter((pool) => pool.key === key);
          if (pools.length === 0) throw new ApiError(404, `the ledger has seen no answer of pool ${key} served yet`);
          return { body: { ...all, pools } };
        },
      },
    ],
    metrics: async () => (config.ledger ? metrics.render(await view()) : ''),
  };
}
