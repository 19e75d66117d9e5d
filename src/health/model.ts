// Nodes, their health, and pools: the shared state every flipdns instance
// serves from. Health is decided once, in the store, on the store's clock, and
// every change carries a generation number that only grows.

/** Ids of nodes and pool members: short, safe in Redis keys, URLs and logs. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** A machine or service whose liveness is judged by the heartbeats it sends. */
export interface NodeSpec {
  id: string;
  /** Milliseconds between the heartbeats the node promises. */
  intervalMs: number;
  /** Missed intervals before the node is down: down when no beat came for fall × interval. */
  fall: number;
  /** Consecutive on-time heartbeats that bring a down node back up. */
  rise: number;
  /** SHA-256 (hex) of the node's heartbeat token; the token itself is never stored. */
  tokenHash: string;
}

/** A node not heard from for this many intervals is late, when its `fall` is larger. */
export const LATE_AFTER_INTERVALS = 2;

/** The `downReason` of a node taken down by its deadline. */
export const MISSED_DEADLINE = 'no heartbeat for fall x interval';

/** `unknown` until the first heartbeat or the first deadline, whichever comes first. */
export type Health = 'unknown' | 'up' | 'down';

/** Operator overrides, shown in status with who set them and why. */
export type AdminState = 'none' | 'drain' | 'force-up' | 'force-down';

export interface NodeState {
  health: Health;
  /** Store-clock ms of the last heartbeat. */
  lastBeatAt?: number;
  /** Store-clock ms by which the next heartbeat must come. */
  deadlineAt?: number;
  /** Consecutive on-time beats while down, counting toward `rise`. */
  streak: number;
  /** Store-clock ms of the last health change. */
  changedAt?: number;
  /** Not down, but not heard from for `LATE_AFTER_INTERVALS` intervals: a beat was missed. */
  late?: true;
  /** Why a down node is down: its deadline passed, or what its agent reported. */
  downReason?: string;
  admin: AdminState;
  adminReason?: string;
  adminBy?: string;
  /** Generation of this node's last change. */
  generation: number;
}

export interface NodeRecord {
  spec: NodeSpec;
  state: NodeState;
}

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
