// Pools and run-time records: what the layers above health keep in the shared
// state (as documents, see health/store.ts) and in pool files.

export type PoolType = 'A' | 'AAAA' | 'CNAME';
export type PoolPolicy = 'failover' | 'multivalue' | 'weighted';
/** What a pool answers when no member is available. */
export type AllDownBehaviour = 'all' | 'last-known' | 'fallback' | 'nodata' | 'servfail';
/** How a member in `unknown` health counts. */
export type StartupBehaviour = 'assume-up' | 'assume-down';

export interface PoolMember {
  /** Unique within the pool. */
  id: string;
  /** The node whose health this member follows. */
  node: string;
  /** Address (A, AAAA) or target name (CNAME), in presentation form. */
  value: string;
  /** Relative share for `weighted` (default 1). */
  weight: number;
  /** Lower is preferred, for `failover` (default 0: primaries). */
  priority: number;
}

export interface PoolSpec {
  /** Owner name, absolute, presentation form (`app.example.test.`). */
  name: string;
  type: PoolType;
  policy: PoolPolicy;
  members: PoolMember[];
  /** TTL of pool answers, seconds. */
  ttl: number;
  /** `adaptive`: answers carry `shortTtl` while a member in the answer is late on its heartbeats, or for `ttl` seconds after the answer changed. */
  ttlPolicy: 'static' | 'adaptive';
  shortTtl: number;
  /** `failover`: come back to a recovered better level by itself (`auto`) or only when an operator says so (`manual`). */
  failback: 'auto' | 'manual';
  /** `multivalue`: most addresses per answer; `weighted`: members per answer. */
  limit: number;
  allDown: AllDownBehaviour;
  /** Values answered when `allDown` is `fallback` (e.g. a status page). */
  fallback: string[];
  startup: StartupBehaviour;
}

/** Where a pool's definition came from; a pool set at run time wins over a file's of the same name and type. */
export type PoolSource = 'file' | 'store';

/** A static record added at run time (`flipdns record set`), served as if it were in its zone file. */
export interface RuntimeRecord {
  /** Owner name, absolute, presentation form. */
  name: string;
  /** Mnemonic, e.g. `A`, `TXT`. */
  type: string;
  ttl: number;
  /** RDATA values in presentation form, one per record. */
  values: string[];
}

export function poolKey(pool: { name: string; type: string }): string {
  return `${pool.name.toLowerCase()}/${pool.type}`;
}

export function recordKey(record: { name: string; type: string }): string {
  return `${record.name.toLowerCase()}/${record.type.toUpperCase()}`;
}
