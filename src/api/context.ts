// What the admin API needs from a running instance. The instance implements it
// (src/server/instance.ts); the routes (src/api/routes.ts) only use this.

import type { AdminState, Health } from '../health/model.js';
import type { HealthStore } from '../health/store.js';
import type { Logger } from '../log/logger.js';
import type { Problem } from '../pools/layout.js';
import type { PoolPolicy, PoolSpec, PoolType, RuntimeRecord } from '../pools/model.js';

/** What a reload of the zone and pool files did. */
export interface ReloadResult {
  zones: number;
  records: number;
  pools: number;
  errors: string[];
  failedFiles: string[];
}

export interface NodeStatus {
  id: string;
  health: Health;
  admin: AdminState;
  adminReason?: string;
  adminBy?: string;
  intervalMs: number;
  fall: number;
  rise: number;
  /** Ms since the last heartbeat, on the store's clock; absent before the first. */
  heartbeatAgeMs?: number;
  /** Ms since the last health change, on the store's clock. */
  sinceChangeMs?: number;
  /** Store-clock ms of the last health change. */
  changedAt?: number;
  /** Not down but a beat was missed (see health/README.md). */
  late?: boolean;
  /** Why a down node is down. */
  downReason?: string;
  generation: number;
}

export interface PoolMemberStatus {
  id: string;
  node: string;
  value: string;
  priority: number;
  weight: number;
  /** Counts as available for answers now (health, admin state, startup rule, held). */
  available: boolean;
  /** Held out after a failure until an operator releases the pool (failback: manual). */
  held: boolean;
}

export interface PoolStatus {
  name: string;
  type: PoolType;
  policy: PoolPolicy;
  source: 'file' | 'store';
  ttl: number;
  ttlPolicy: 'static' | 'adaptive';
  /** The TTL answers carry now (below `ttl` while an adaptive pool is unsettled). */
  answerTtl: number;
  /** The values answered now (for weighted/multivalue, the candidates). */
  answer: string[];
  /** True when no member is available and the all-down behaviour is in force. */
  allDown: boolean;
  members: PoolMemberStatus[];
}

export interface StatusView {
  instance: string;
  generation: number;
  /** The store's clock when this view was taken (ms since the epoch): ages and `changedAt` are on it. */
  now: number;
  store: { kind: 'redis' | 'embedded'; connected: boolean };
  nodes: NodeStatus[];
  pools: PoolStatus[];
}

export interface AdminContext {
  instanceId: string;
  store: HealthStore;
  log: Logger;
  status(): Promise<StatusView>;
  reloadZones(): ReloadResult;
  /** Validates an API body as a pool; throws a ValidationError saying what is wrong. */
  parsePool(input: unknown): PoolSpec;
  /** Validates an API body as a runtime record (values checked with the zone parser); throws likewise. */
  parseRecord(input: unknown): RuntimeRecord;
  /** What this instance could not serve if the pool or record were added or replaced, if anything. */
  problemWith(change: { pool: PoolSpec } | { record: RuntimeRecord }): Problem | undefined;
  /** Counts an operator change in metrics (`flipdns_admin_changes_total{kind}`). */
  countChange(kind: string): void;
}
