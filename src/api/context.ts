// What the admin API needs from a running instance. The instance implements it
// (src/server/instance.ts); the routes (src/api/routes.ts) only use this.

import type { NodeCheck } from '../checks/model.js';
import type { AdminState, Health } from '../health/model.js';
import type { HealthStore } from '../health/store.js';
import type { Logger } from '../log/logger.js';
import type { NodeReport, NodeReportResult } from '../metrics/health-metrics.js';
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
  /** Its server-side check, every instance's verdict, and what they conclude together. */
  check?: NodeCheckStatus;
}

export interface NodeCheckStatus extends NodeCheck {
  /** Most instances' verdicts say the check fails: the node is out of every answer, whatever its heartbeats. */
  failing: boolean;
  verdicts: Array<{ instance: string; failing: boolean; reason?: string; since: number }>;
}

export interface PoolMemberStatus {
  id: string;
  node: string;
  value: string;
  priority: number;
  weight: number;
  /** The answer is chosen among it now (health, admin state, startup rule, held). */
  available: boolean;
  /** Held out after a failure until an operator releases the pool (failback: manual). */
  held: boolean;
  /** Its node exists; a member without one counts by the startup rule and can never fail over. */
  hasNode: boolean;
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
  /** What the pool answers: records, NODATA or SERVFAIL. */
  outcome: 'answer' | 'nodata' | 'servfail';
  /** True when no member is available and the all-down behaviour is in force. */
  allDown: boolean;
  /** Why no member is available: down, taken out by an operator, or not known yet (startup: assume-down). */
  allDownCause?: 'down' | 'operator' | 'unknown';
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
  /** What is not served as configured: failed files, node definitions in conflict, pools and records not placed. */
  problems: string[];
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
  /** Counts a node's heartbeat or down report by what became of it (`flipdns_node_reports_total`). */
  countNodeReport(report: NodeReport, result: NodeReportResult): void;
}
