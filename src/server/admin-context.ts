// The running instance as the admin API sees it: status read from the store
// (heartbeat ages need the store's clock) and from what this instance serves.

import type { AdminContext, NodeStatus, PoolStatus, ReloadResult, StatusView } from '../api/context.js';
import type { NodeRecord } from '../health/model.js';
import type { HealthStore } from '../health/store.js';
import type { StateSync } from '../health/sync.js';
import type { Logger } from '../log/logger.js';
import type { HealthMetrics } from '../metrics/health-metrics.js';
import type { PoolOverlay } from '../pools/overlay.js';
import { parsePoolSpec } from '../pools/spec.js';
import { parseRuntimeRecord } from '../pools/records.js';


export function createAdminContext(deps: {
  instanceId: string;
  store: HealthStore;
  overlay: PoolOverlay;
  sync: StateSync;
  metrics: HealthMetrics;
  log: Logger;
  reload: () => ReloadResult;
  /** What is not served as configured: failed files, node conflicts, pools and records not placed. */
  problems: () => string[];
}): AdminContext {
  const { instanceId, store, overlay, sync, metrics, log } = deps;
  return {
    instanceId,
    store,
    log,
    async status(): Promise<StatusView> {
      const { nodes, now } = await readNodes(store, overlay, () => sync.storeNow());
      return {
        instance: instanceId,
        generation: sync.currentGeneration,
        now,
        store: { kind: store.kind, connected: store.connected() },
        nodes: nodes.map((record) => nodeStatus(record, now, overlay.checkOf(record.spec.id))).sort((a, b) => a.id.localeCompare(b.id)),
        pools: poolStatuses(overlay),
        problems: deps.problems(),
      };
    },
    reloadZones: deps.reload,
    parsePool: (input) => parsePoolSpec(input),
    parseRecord: parseRuntimeRecord,
    problemWith: (change) => overlay.problemWith(change),
    countChange: (kind) => metrics.adminChanges.inc({ kind }),
    countNodeReport: (report, result) => metrics.nodeReports.inc({ report, result }),
  };
}

/**
 * Nodes and the store clock: fresh from the store when it answers (heartbeat
 * ages need its clock), otherwise what this instance serves, on its estimate.
 */
export async function readNodes(store: HealthStore, overlay: PoolOverlay, storeNow: () => number): Promise<{ nodes: NodeRecord[]; now: number }> {
  const snapshot = store.connected() ? await store.snapshot().catch(() => undefined) : undefined;
  return { nodes: snapshot?.nodes ?? [...overlay.allNodes()], now: snapshot?.now ?? storeNow() };
}

export function nodeStatus({ spec, state }: NodeRecord, now: number, checked?: ReturnType<PoolOverlay['checkOf']>): NodeStatus {
  const check = checked?.check && {
    ...checked.check,
    failing: checked.consensus.failing,
    verdicts: checked.verdicts.map(({ instance, failing, reason, since }) => ({ instance, failing, reason, since })).sort((a, b) => a.instance.localeCompare(b.instance)),
  };
  return {
    id: spec.id,
    health: state.health,
    admin: state.admin,
    adminReason: state.adminReason,
    adminBy: state.adminBy,
    intervalMs: spec.intervalMs,
    fall: spec.fall,
    rise: spec.rise,
    heartbeatAgeMs: state.lastBeatAt === undefined ? undefined : Math.max(0, Math.round(now - state.lastBeatAt)),
    sinceChangeMs: state.changedAt === undefined ? undefined : Math.max(0, Math.round(now - state.changedAt)),
    changedAt: state.changedAt,
    late: state.late,
    downReason: state.health === 'down' ? state.downReason : undefined,
    generation: state.generation,
    ...(check && { check }),
  };
}

export function poolStatuses(overlay: PoolOverlay): PoolStatus[] {
  return [...overlay.pools().values()].map(({ spec, source, views, selection, ttl }) => ({
    name: spec.name,
    type: spec.type,
    policy: spec.policy,
    source,
    ttl: spec.ttl,
    ttlPolicy: spec.ttlPolicy ?? 'static',
    answerTtl: ttl,
    answer: [...new Set(selection.variants.flat())],
    outcome: selection.outcome,
    allDown: selection.allDown,
    ...(selection.allDownCause !== undefined && { allDownCause: selection.allDownCause }),
    members: views.map((view) => ({
      id: view.member.id,
      node: view.member.node,
      value: view.member.value,
      priority: view.member.priority,
      weight: view.member.weight,
      available: selection.eligible.includes(view.member.id),
      held: view.held,
      hasNode: overlay.node(view.member.node) !== undefined,
    })),
  }));
}
