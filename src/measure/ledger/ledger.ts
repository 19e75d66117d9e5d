// The staleness ledger of one serving process. Per resolver (the source address
// of the query) and pool, it remembers which version of the pool's answer the
// resolver was last served, when, and with which TTL. At each flip it keeps the
// resolvers that may still hold the old answer and the bound of each one's
// stale window; afterwards, when each of them asked again. Static answers never
// reach it; a pool answer costs one Map lookup and a few stores.

import type { PoolAnswerChange, PoolServed, ServingTap } from '../../server/tap.js';
import { type LedgerReport, type ReportedFlip, keyParts } from './report.js';

export interface LedgerOptions {
  /** Most (resolver, pool) entries kept; beyond it the resolver first seen longest ago is evicted, with all its entries. */
  capacity: number;
  /** Flips kept per pool. */
  flipsKept: number;
  /** How long after a flip re-queries are watched for, ms. */
  watchMs: number;
  /** Wall-clock-like ms; injectable so that tests control time. */
  now?: () => number;
}

interface PoolTrack {
  key: string;
  name: string;
  type: string;
  version: number;
  values: string[];
  /** Values of the recent versions, to tell whether a resolver's copy differs from the new answer. */
  valuesByVersion: Map<number, string>;
  /** Newest last, at most flipsKept. */
  flips: FlipRecord[];
  /** Flips still watched for re-queries, oldest first. */
  watching: FlipRecord[];
}

interface Entry {
  pool: PoolTrack;
  version: number;
  servedAt: number;
  ttl: number;
  /** Highest flip sequence number this entry's re-query was recorded for. */
  seen: number;
}

interface FlipRecord extends Omit<ReportedFlip, 'stale' | 'requeries'> {
  seq: number;
  stale: Map<string, { servedAt: number; ttl: number; version: number }>;
  /** Every resolver served the pool after the flip (first time only), so that workers' reports can be merged. */
  requeries: Map<string, number>;
}

/**
 * Resolvers keep time in whole seconds: a copy received at t with TTL n is
 * answered until as late as t + n + 1 s (unbound and BIND both count
 * seconds and still answer at the second the TTL reaches 0). The bound of a
 * stale window allows for it.
 */
export const CLOCK_GRAIN_MS = 1000;

const monotonicWallClock = (): number => performance.timeOrigin + performance.now();

export class Ledger implements ServingTap {
  /** By source address, then by pool key: two Map lookups per pool answer, whatever the number of either. */
  private readonly resolvers = new Map<string, Map<string, Entry>>();
  private readonly pools = new Map<string, PoolTrack>();
  private entries = 0;
  /** The end of the latest watch period of any flip. */
  private watchingUntil = 0;
  private readonly now: () => number;
  private seq = 0;
  private evictions = 0;
  private requeriesDropped = 0;

  constructor(private readonly options: LedgerOptions) {
    this.now = options.now ?? monotonicWallClock;
  }

  served(source: string, pools: readonly PoolServed[]): void {
    const now = this.now();
    let byPool = this.resolvers.get(source);
    if (byPool === undefined) {
      byPool = new Map();
      this.resolvers.set(source, byPool);
    }
    for (let i = 0; i < pools.length; i++) {
      const served = pools[i];
      let entry = byPool.get(served.key);
      if (entry === undefined) {
        entry = { pool: this.track(served.key), version: 0, servedAt: 0, ttl: 0, seen: 0 };
        byPool.set(served.key, entry);
        if (++this.entries > this.options.capacity) this.evict();
      }
      entry.version = served.version;
      entry.servedAt = now;
      entry.ttl = served.ttl;
      // Flips are rare: outside their watch this touches nothing but the entry (the bench found each extra object a cache miss).
      if (now <= this.watchingUntil && entry.pool.watching.length !== 0) this.noteRequery(entry, source, now);
    }
  }

  answerChanged(change: PoolAnswerChange): void {
    const now = this.now();
    const pool = this.track(change.key);
    pool.name = change.name;
    pool.type = change.type;
    pool.version = change.to;
    pool.values = change.values;
    pool.valuesByVersion.set(change.from, JSON.stringify(change.previous));
    pool.valuesByVersion.set(change.to, JSON.stringify(change.values));
    const flip: FlipRecord = {
      seq: ++this.seq,
      at: now,
      from: change.from,
      to: change.to,
      previous: change.previous,
      values: change.values,
      ttl: change.ttl,
      watchUntil: now + this.options.watchMs,
      stale: new Map(),
      requeries: new Map(),
    };
    const newValues = pool.valuesByVersion.get(change.to);
    for (const [resolver, byPool] of this.resolvers) {
      const entry = byPool.get(change.key);
      if (entry === undefined || entry.version >= change.to) continue;
      // A copy of an older version with the same values as the new one is not stale (a flap back).
      if (pool.valuesByVersion.get(entry.version) === newValues) continue;
      if (entry.servedAt + entry.ttl * 1000 + CLOCK_GRAIN_MS > now) flip.stale.set(resolver, { servedAt: entry.servedAt, ttl: entry.ttl, version: entry.version });
    }
    pool.flips.push(flip);
    if (pool.flips.length > this.options.flipsKept) pool.flips.shift();
    pool.watching = pool.watching.filter((watched) => pool.flips.includes(watched));
    pool.watching.push(flip);
    this.watchingUntil = Math.max(this.watchingUntil, flip.watchUntil);
    const keep = new Set(pool.flips.flatMap((kept) => [kept.from, kept.to]));
    for (const version of pool.valuesByVersion.keys()) if (!keep.has(version)) pool.valuesByVersion.delete(version);
  }

  report(): LedgerReport {
    const counts = new Map<PoolTrack, number>();
    for (const byPool of this.resolvers.values()) {
      for (const entry of byPool.values()) {
        counts.set(entry.pool, (counts.get(entry.pool) ?? 0) + 1);
        // Kept here rather than on every answer: the newest version any resolver was served.
        if (entry.version > entry.pool.version) entry.pool.version = entry.version;
      }
    }
    return {
      now: this.now(),
      capacity: this.options.capacity,
      tracked: this.resolvers.size,
      entries: this.entries,
      evictions: this.evictions,
      requeriesDropped: this.requeriesDropped,
      watchMs: this.options.watchMs,
      pools: [...this.pools.values()].map((pool) => ({
        key: pool.key,
        name: pool.name,
        type: pool.type,
        version: pool.version,
        values: pool.values,
        resolvers: counts.get(pool) ?? 0,
        flips: pool.flips.map(({ seq: _seq, stale, requeries, ...flip }) => ({
          ...flip,
          stale: [...stale].map(([resolver, { servedAt, ttl, version }]) => [resolver, servedAt, ttl, version]),
          requeries: [...requeries],
        })),
      })),
    };
  }

  /** Map order is insertion order: the resolver first seen longest ago goes, with all its entries. */
  private evict(): void {
    const [source, byPool] = this.resolvers.entries().next().value!;
    this.resolvers.delete(source);
    this.entries -= byPool.size;
    this.evictions++;
  }

  private track(key: string): PoolTrack {
    let pool = this.pools.get(key);
    if (pool === undefined) {
      const { name, type } = keyParts(key);
      pool = { key, name, type, version: 0, values: [], valuesByVersion: new Map(), flips: [], watching: [] };
      this.pools.set(key, pool);
    }
    return pool;
  }

  private noteRequery(entry: Entry, source: string, now: number): void {
    const pool = entry.pool;
    for (const flip of pool.watching) {
      if (flip.seq <= entry.seen) continue;
      if (now > flip.watchUntil) continue;
      if (flip.requeries.size < this.options.capacity) flip.requeries.set(source, now);
      else this.requeriesDropped++;
    }
    entry.seen = pool.watching[pool.watching.length - 1].seq;
    // Flips past their watch period stop costing anything.
    while (pool.watching.length !== 0 && now > pool.watching[0].watchUntil) pool.watching.shift();
  }
}
