// What a ledger reports, as JSON: the primary with --workers gathers one per
// worker over IPC and merges them (view.ts).

export interface ReportedFlip {
  /** Ms (wall clock) when the new answer took effect in this process. */
  at: number;
  /** Answer versions before and after. */
  from: number;
  to: number;
  previous: string[];
  values: string[];
  ttl: number;
  watchUntil: number;
  /** Resolvers that may still hold the old answer: [resolver, last served at, TTL served, version served]. */
  stale: Array<[string, number, number, number]>;
  /** First time each resolver was served the pool after the flip: [resolver, at]. */
  requeries: Array<[string, number]>;
}

export interface ReportedPool {
  key: string;
  name: string;
  type: string;
  version: number;
  values: string[];
  /** Resolvers tracked for this pool now. */
  resolvers: number;
  /** Oldest first. */
  flips: ReportedFlip[];
}

export interface LedgerReport {
  now: number;
  capacity: number;
  /** Resolvers tracked, and (resolver, pool) entries. */
  tracked: number;
  entries: number;
  evictions: number;
  requeriesDropped: number;
  watchMs: number;
  pools: ReportedPool[];
}

/** `app.example.test./A` → name and type. */
export function keyParts(key: string): { name: string; type: string } {
  const slash = key.lastIndexOf('/');
  return { name: key.slice(0, slash), type: key.slice(slash + 1) };
}
