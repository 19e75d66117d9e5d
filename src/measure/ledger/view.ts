// The staleness view: the reports of every process answering queries (one, or
// each worker) merged, and each flip's resolvers classified. A resolver served
// by several workers counts once: its stale window ends at the latest bound any
// worker saw, and its re-query is the earliest any worker saw.

import { CLOCK_GRAIN_MS } from './ledger.js';
import type { LedgerReport, ReportedFlip, ReportedPool } from './report.js';

/** A re-query more than this long before the copy expired was early: a prefetch, most likely. */
export const EARLY_MS = 500;
/** A re-query more than this long after the copy expired was late: a TTL floor, serve-stale, or no client asked sooner. */
export const LATE_MS = 2000;

export type RequeryClass = 'early' | 'on-time' | 'late' | 'watching' | 'none';
export const REQUERY_CLASSES: RequeryClass[] = ['early', 'on-time', 'late', 'watching', 'none'];

export interface ResolverWindow {
  resolver: string;
  /** When it was last served the old answer (ms, wall clock). */
  lastServed: number;
  /** TTL of that answer, seconds. */
  ttl: number;
  versionServed: number;
  /** When its copy expires by the TTL: lastServed + ttl. */
  expires: number;
  /** The latest its copy can be handed out by a cache that honours the TTL: expires + 1 s (whole-second clocks). */
  bound: number;
  /** When it asked again after the flip, and how that compares with `expires` (ms, negative: before). */
  requery?: { at: number; delayMs: number };
  class: RequeryClass;
}

/** A flip as the processes reported it (the earliest moment any saw it), with its resolvers merged and classified. */
export interface FlipView extends Omit<ReportedFlip, 'stale' | 'requeries'> {
  /** Resolvers that may have held the old answer at the flip. */
  staleResolvers: number;
  possiblyStaleNow: number;
  /** The end of the last stale window; absent when no resolver was stale. */
  lastBound?: number;
  /** Resolvers possibly stale against seconds since the flip: a step down at each bound, ending at 0. */
  curve: Array<[seconds: number, resolvers: number]>;
  classes: Record<RequeryClass, number>;
  /** By bound, latest first. */
  resolvers: ResolverWindow[];
}

export interface PoolStaleness extends Omit<ReportedPool, 'flips'> {
  /** Newest first. */
  flips: FlipView[];
}

/** The reports merged: counts summed over the processes. */
export interface StalenessView extends Omit<LedgerReport, 'pools'> {
  /** The instance this view describes; with a Redis store, each instance reports only what it served. */
  instance: string;
  /** Processes whose ledgers were merged (the workers, or 1). */
  processes: number;
  rules: { clockGrainMs: number; earlyMs: number; lateMs: number };
  pools: PoolStaleness[];
}

export function buildView(instance: string, reports: LedgerReport[]): StalenessView {
  const now = Math.max(0, ...reports.map((report) => report.now));
  const byKey = new Map<string, ReportedPool[]>();
  for (const report of reports) for (const pool of report.pools) byKey.set(pool.key, [...(byKey.get(pool.key) ?? []), pool]);
  const pools = [...byKey.values()].map((seen) => mergePool(seen, now)).sort((a, b) => a.key.localeCompare(b.key));
  return {
    instance,
    processes: reports.length,
    now,
    capacity: sum(reports.map((report) => report.capacity)),
    tracked: sum(reports.map((report) => report.tracked)),
    entries: sum(reports.map((report) => report.entries)),
    evictions: sum(reports.map((report) => report.evictions)),
    requeriesDropped: sum(reports.map((report) => report.requeriesDropped)),
    watchMs: reports[0]?.watchMs ?? 0,
    rules: { clockGrainMs: CLOCK_GRAIN_MS, earlyMs: EARLY_MS, lateMs: LATE_MS },
    pools,
  };
}

function mergePool(seen: ReportedPool[], now: number): PoolStaleness {
  // The process that saw the newest version describes the pool.
  const latest = seen.reduce((a, b) => (b.version > a.version ? b : a));
  const flips = new Map<number, ReportedFlip[]>();
  for (const pool of seen) for (const flip of pool.flips) flips.set(flip.to, [...(flips.get(flip.to) ?? []), flip]);
  return {
    key: latest.key,
    name: latest.name,
    type: latest.type,
    version: latest.version,
    values: latest.values,
    resolvers: sum(seen.map((pool) => pool.resolvers)),
    flips: [...flips.values()].map((same) => mergeFlip(same, now)).sort((a, b) => b.at - a.at),
  };
}

function mergeFlip(same: ReportedFlip[], now: number): FlipView {
  const first = same.reduce((a, b) => (b.at < a.at ? b : a));
  const stale = new Map<string, { servedAt: number; ttl: number; version: number }>();
  const requeries = new Map<string, number>();
  for (const flip of same) {
    for (const [resolver, servedAt, ttl, version] of flip.stale) {
      const known = stale.get(resolver);
      if (known === undefined || servedAt + ttl * 1000 > known.servedAt + known.ttl * 1000) stale.set(resolver, { servedAt, ttl, version });
    }
    for (const [resolver, at] of flip.requeries) requeries.set(resolver, Math.min(at, requeries.get(resolver) ?? Infinity));
  }
  const watchUntil = Math.max(...same.map((flip) => flip.watchUntil));
  const resolvers = [...stale].map(([resolver, { servedAt, ttl, version }]) => windowOf(resolver, servedAt, ttl, version, requeries.get(resolver), now, watchUntil));
  resolvers.sort((a, b) => b.bound - a.bound || a.resolver.localeCompare(b.resolver));
  const classes = Object.fromEntries(REQUERY_CLASSES.map((name) => [name, 0])) as Record<RequeryClass, number>;
  for (const window of resolvers) classes[window.class]++;
  return {
    at: first.at,
    from: first.from,
    to: first.to,
    previous: first.previous,
    values: first.values,
    ttl: first.ttl,
    watchUntil,
    staleResolvers: resolvers.length,
    possiblyStaleNow: resolvers.filter((window) => window.bound > now).length,
    ...(resolvers.length > 0 && { lastBound: resolvers[0].bound }),
    curve: curveOf(first.at, resolvers),
    classes,
    resolvers,
  };
}

function windowOf(resolver: string, lastServed: number, ttl: number, versionServed: number, requeryAt: number | undefined, now: number, watchUntil: number): ResolverWindow {
  const expires = lastServed + ttl * 1000;
  const window = { resolver, lastServed, ttl, versionServed, expires, bound: expires + CLOCK_GRAIN_MS };
  if (requeryAt === undefined) return { ...window, class: now < watchUntil ? 'watching' : 'none' };
  const delayMs = requeryAt - expires;
  return { ...window, requery: { at: requeryAt, delayMs }, class: delayMs < -EARLY_MS ? 'early' : delayMs <= LATE_MS ? 'on-time' : 'late' };
}

/**
 * "Possibly stale" counts a resolver until its bound even when it asked again
 * sooner: a resolver address often fronts several caches, and one re-query
 * refreshes only one of them.
 */
function curveOf(flipAt: number, resolvers: ResolverWindow[]): Array<[number, number]> {
  const bounds = resolvers.map((window) => window.bound).sort((a, b) => a - b);
  const curve: Array<[number, number]> = [[0, bounds.length]];
  bounds.forEach((bound, i) => {
    const seconds = Math.max(0, Math.round(bound - flipAt) / 1000);
    const remaining = bounds.length - i - 1;
    if (curve[curve.length - 1][0] === seconds) curve[curve.length - 1][1] = remaining;
    else curve.push([seconds, remaining]);
  });
  return curve;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
