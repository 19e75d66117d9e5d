// The ledger in Prometheus terms, in a registry of its own whose text is
// appended to /metrics. Observations are taken from the merged view at scrape
// time, each (flip, resolver) once, so that a resolver served by several
// workers is counted once too.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { StalenessView } from './view.js';

const WINDOW_BUCKETS = [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600];
const DELAY_BUCKETS = [-30, -10, -5, -2, -1, -0.5, 0, 0.5, 1, 2, 5, 10, 30, 60, 300];

interface Observed {
  windows: Set<string>;
  requeries: Set<string>;
}

export class LedgerMetrics {
  readonly registry = new Registry();
  private readonly windows: Histogram;
  private readonly delays: Histogram<'class'>;
  private readonly possiblyStale: Gauge<'name' | 'type'>;
  private readonly observed = new Map<string, Observed>();
  private current?: StalenessView;

  constructor() {
    const registers = [this.registry];
    this.windows = new Histogram({
      name: 'flipdns_staleness_window_seconds',
      help: 'Per flip and resolver that may have held the old answer: seconds from the flip to the bound of its stale window (last served + TTL + 1 s).',
      buckets: WINDOW_BUCKETS,
      registers,
    });
    this.delays = new Histogram({
      name: 'flipdns_staleness_requery_delay_seconds',
      help: 'Per flip and stale resolver: when it asked again, in seconds after its copy expired (negative: before), by class (early, on-time, late, none: not within the watch period).',
      labelNames: ['class'],
      buckets: DELAY_BUCKETS,
      registers,
    });
    this.possiblyStale = new Gauge({
      name: 'flipdns_staleness_resolvers_possibly_stale',
      help: 'Resolvers that may still hold an old answer of the pool now (their stale-window bound is in the future).',
      labelNames: ['name', 'type'],
      registers,
    });
    const view = (): StalenessView | undefined => this.current;
    new Counter({
      name: 'flipdns_staleness_evictions_total',
      help: 'Resolvers dropped from the ledger because it was full (setting ledgerEntries).',
      registers,
      collect() {
        this.reset();
        this.inc(view()?.evictions ?? 0);
      },
    });
    new Gauge({
      name: 'flipdns_staleness_resolvers_tracked',
      help: 'Resolvers the ledger tracks now.',
      registers,
      collect() {
        this.set(view()?.tracked ?? 0);
      },
    });
  }

  /** Brings the metrics up to date with a view, then renders them. */
  async render(view: StalenessView): Promise<string> {
    this.current = view;
    this.possiblyStale.reset();
    const live = new Set<string>();
    for (const pool of view.pools) {
      const stale = new Set<string>();
      for (const flip of pool.flips) {
        const id = `${pool.key}@${flip.to}`;
        live.add(id);
        let observed = this.observed.get(id);
        if (observed === undefined) this.observed.set(id, (observed = { windows: new Set(), requeries: new Set() }));
        for (const window of flip.resolvers) {
          if (window.bound > view.now) stale.add(window.resolver);
          if (!observed.windows.has(window.resolver)) {
            observed.windows.add(window.resolver);
            this.windows.observe(Math.max(0, window.bound - flip.at) / 1000);
          }
          if (window.class === 'watching' || observed.requeries.has(window.resolver)) continue;
          observed.requeries.add(window.resolver);
          this.delays.observe({ class: window.class }, window.requery === undefined ? (flip.watchUntil - window.expires) / 1000 : window.requery.delayMs / 1000);
        }
      }
      this.possiblyStale.set({ name: pool.name, type: pool.type }, stale.size);
    }
    for (const id of this.observed.keys()) if (!live.has(id)) this.observed.delete(id);
    return this.registry.metrics();
  }
}
