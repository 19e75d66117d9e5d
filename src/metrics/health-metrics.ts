// Health, pools and the store in Prometheus terms. Events are rare (flips,
// operator changes), so these use prom-client directly.

import { Counter, Gauge, Histogram } from 'prom-client';

/** Seconds; detection and propagation are expected in milliseconds, misconfigurations in seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export interface HealthMetrics {
  detection: Histogram;
  propagation: Histogram;
  transitions: Counter<'node' | 'to'>;
  answerChanges: Counter<'pool'>;
  adminChanges: Counter<'kind'>;
  storeConnected: Gauge;
  generation: Gauge;
  resyncs: Counter;
}

let created: HealthMetrics | undefined;

export interface HealthFigures {
  /** Per pool member: 1 when it counts as available now. */
  members(): Iterable<{ pool: string; member: string; available: boolean }>;
  /** Per node: health as a number (1 up, 0 down, -1 unknown), and heartbeat age when known. */
  nodes(): Promise<Iterable<{ node: string; health: number; heartbeatAgeSeconds?: number }>>;
}

export function registerHealthMetrics(figures: HealthFigures): HealthMetrics {
  if (created !== undefined) return created;
  new Gauge({
    name: 'flipdns_pool_member_available',
    help: 'Pool member counted as available for answers (1) or not (0).',
    labelNames: ['pool', 'member'],
    collect() {
      this.reset();
      for (const { pool, member, available } of figures.members()) this.set({ pool, member }, available ? 1 : 0);
    },
  });
  const age = new Gauge({ name: 'flipdns_node_heartbeat_age_seconds', help: 'Time since the node\'s last heartbeat, on the store clock.', labelNames: ['node'], aggregator: 'max' });
  new Gauge({
    name: 'flipdns_node_health',
    help: 'Node health: 1 up, 0 down, -1 unknown.',
    labelNames: ['node'],
    aggregator: 'max',
    async collect() {
      this.reset();
      age.reset();
      for (const { node, health, heartbeatAgeSeconds } of await figures.nodes()) {
        this.set({ node }, health);
        if (heartbeatAgeSeconds !== undefined) age.set({ node }, heartbeatAgeSeconds);
      }
    },
  });
  created = {
    detection: new Histogram({ name: 'flipdns_detection_seconds', help: 'From a missed heartbeat deadline to the down decision (store clock).', buckets: LATENCY_BUCKETS }),
    propagation: new Histogram({ name: 'flipdns_propagation_seconds', help: 'From a decision in the store to this instance serving it (store clock, estimated).', buckets: LATENCY_BUCKETS }),
    transitions: new Counter({ name: 'flipdns_node_transitions_total', help: 'Node health changes seen, by node and new health (up, down, unknown), and times a node turned late (a missed beat).', labelNames: ['node', 'to'] }),
    answerChanges: new Counter({ name: 'flipdns_pool_answer_changes_total', help: 'Times a pool\'s answer changed.', labelNames: ['pool'] }),
    adminChanges: new Counter({ name: 'flipdns_admin_changes_total', help: 'Operator changes made through this instance, by kind.', labelNames: ['kind'] }),
    storeConnected: new Gauge({ name: 'flipdns_store_connected', help: '1 while the health store is reachable.', aggregator: 'min' }),
    generation: new Gauge({ name: 'flipdns_store_generation', help: 'Generation of the shared state this instance serves.', aggregator: 'min' }),
    resyncs: new Counter({ name: 'flipdns_store_resyncs_total', help: 'Full re-reads of the shared state (start, reconnect, missed event).' }),
  };
  return created;
}
