// Health, pools and the store in Prometheus terms. Events are rare (flips,
// operator changes), so these use prom-client directly. Gauges read at scrape
// time are read in their own collect, so that every one is current at the
// scrape that reads it.

import { Counter, Gauge, Histogram } from 'prom-client';

/** Seconds; detection and propagation are expected in milliseconds, misconfigurations in seconds. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Scrapes read the nodes once: every gauge of one scrape sees the same reading. */
const NODES_READ_REUSE_MS = 250;

export type NodeReport = 'heartbeat' | 'down';
export type NodeReportResult = 'accepted' | 'wrong-token' | 'unknown-node' | 'store-unavailable';

export interface HealthMetrics {
  detection: Histogram;
  propagation: Histogram;
  transitions: Counter<'node' | 'to'>;
  answerChanges: Counter<'name' | 'type'>;
  adminChanges: Counter<'kind'>;
  nodeReports: Counter<'report' | 'result'>;
  checkProbes: Counter<'node' | 'result'>;
  storeConnected: Gauge;
  generation: Gauge;
  resyncs: Counter;
  http: HttpMetrics;
}

let created: HealthMetrics | undefined;

/** The HTTP listener's own figures (src/http/): what it refused, and its connections. */
export interface HttpMetrics {
  refused: Counter<'reason'>;
  connectionsClosed: Counter<'reason'>;
  connections: Gauge<'listener'>;
}

let createdHttp: HttpMetrics | undefined;

/** Registered once per process, also by registerHealthMetrics; the primary of `--workers` with the embedded store has no health metrics, but has a listener. */
export function registerHttpMetrics(): HttpMetrics {
  createdHttp ??= {
    refused: new Counter({
      name: 'flipdns_http_requests_refused_total',
      help: 'HTTP requests refused or lost by this instance, by reason: no-token, wrong-token, read-only, rate-limited, aborted, timeout, too-large, bad-request.',
      labelNames: ['reason'],
    }),
    connectionsClosed: new Counter({
      name: 'flipdns_http_connections_closed_total',
      help: 'HTTP connections this instance closed to keep room, by reason: evicted (an idle or silent one, for a new one), full (the new one: every slot held a request), silent (no request within httpHeadersTimeout).',
      labelNames: ['reason'],
    }),
    connections: new Gauge({ name: 'flipdns_http_connections', help: 'HTTP connections open now, by listener (main, metrics).', labelNames: ['listener'] }),
  };
  return createdHttp;
}

export interface HealthFigures {
  /** Per pool member: whether the answer is chosen among it now, and whether its node exists. */
  members(): Iterable<{ name: string; type: string; member: string; available: boolean; hasNode: boolean }>;
  /** Per node: health as a number (1 up, 0 down, -1 unknown), and heartbeat age when known. */
  nodes(): Promise<Iterable<{ node: string; health: number; heartbeatAgeSeconds?: number }>>;
  /** Whether this process holds the decider lease. */
  leading(): boolean;
  /** Every instance's verdict on every server-side check, from the shared state. */
  verdicts(): Iterable<{ node: string; instance: string; failing: boolean }>;
  /** Nodes whose pool-file definition differs from the shared one (the shared one is kept). */
  conflicts(): Iterable<string>;
}

export function registerHealthMetrics(figures: HealthFigures): HealthMetrics {
  if (created !== undefined) return created;
  let reading: { at: number; nodes: ReturnType<HealthFigures['nodes']> } | undefined;
  const nodes = (): ReturnType<HealthFigures['nodes']> => {
    if (reading === undefined || performance.now() - reading.at > NODES_READ_REUSE_MS) reading = { at: performance.now(), nodes: figures.nodes() };
    return reading.nodes;
  };
  new Gauge({
    name: 'flipdns_pool_member_available',
    help: 'Pool member the answer is chosen among now (1) or not (0): down, taken out by an operator, or held after a failure.',
    labelNames: ['name', 'type', 'member'],
    // Every process (the primary and each worker) serves the same shared state: not a sum.
    aggregator: 'max',
    collect() {
      this.reset();
      for (const { name, type, member, available } of figures.members()) this.set({ name, type, member }, available ? 1 : 0);
    },
  });
  new Gauge({
    name: 'flipdns_pool_members_without_node',
    help: 'Pool members whose node does not exist: they count by the pool startup rule and can never fail over.',
    labelNames: ['name', 'type'],
    aggregator: 'max',
    collect() {
      this.reset();
      for (const { name, type, hasNode } of figures.members()) if (!hasNode) this.inc({ name, type });
    },
  });
  new Gauge({
    name: 'flipdns_node_health',
    help: 'Node health: 1 up, 0 down, -1 unknown.',
    labelNames: ['node'],
    aggregator: 'max',
    async collect() {
      this.reset();
      for (const { node, health } of await nodes()) this.set({ node }, health);
    },
  });
  new Gauge({
    name: 'flipdns_node_heartbeat_age_seconds',
    help: "Time since the node's last heartbeat, on the store clock.",
    labelNames: ['node'],
    aggregator: 'max',
    async collect() {
      this.reset();
      for (const { node, heartbeatAgeSeconds } of await nodes()) if (heartbeatAgeSeconds !== undefined) this.set({ node }, heartbeatAgeSeconds);
    },
  });
  new Gauge({
    name: 'flipdns_node_check_failing',
    help: "Server-side check of a node failing (1) or passing (0), by the instance that probes it; the node is out of answers while most instances' checks fail.",
    labelNames: ['node', 'instance'],
    aggregator: 'max',
    collect() {
      this.reset();
      for (const { node, instance, failing } of figures.verdicts()) this.set({ node, instance }, failing ? 1 : 0);
    },
  });
  new Gauge({
    name: 'flipdns_node_definition_conflict',
    help: "1 for each node this instance's pool files define otherwise than the shared state, which is kept: fix the file or the shared definition.",
    labelNames: ['node'],
    aggregator: 'max',
    collect() {
      this.reset();
      for (const node of figures.conflicts()) this.set({ node }, 1);
    },
  });
  new Gauge({
    name: 'flipdns_decider_leader',
    help: '1 while this process holds the decider lease and makes the health decisions for every instance.',
    aggregator: 'sum',
    collect() {
      this.set(figures.leading() ? 1 : 0);
    },
  });
  created = {
    detection: new Histogram({ name: 'flipdns_detection_seconds', help: 'From a missed heartbeat deadline to the down decision (store clock).', buckets: LATENCY_BUCKETS }),
    propagation: new Histogram({ name: 'flipdns_propagation_seconds', help: 'From a decision in the store to this instance serving it (store clock, estimated).', buckets: LATENCY_BUCKETS }),
    transitions: new Counter({ name: 'flipdns_node_transitions_total', help: 'Node health changes seen, by node and new health (up, down, unknown), and times a node turned late (a missed beat).', labelNames: ['node', 'to'], aggregator: 'max' }),
    answerChanges: new Counter({ name: 'flipdns_pool_answer_changes_total', help: "Times a pool's answer values changed.", labelNames: ['name', 'type'], aggregator: 'max' }),
    adminChanges: new Counter({ name: 'flipdns_admin_changes_total', help: 'Operator changes made through this instance, by kind.', labelNames: ['kind'] }),
    nodeReports: new Counter({ name: 'flipdns_node_reports_total', help: 'Heartbeats and down reports this instance received from nodes, by what became of them.', labelNames: ['report', 'result'] }),
    checkProbes: new Counter({ name: 'flipdns_node_check_probes_total', help: "This instance's probes of nodes' server-side checks, by node and result (ok, failed).", labelNames: ['node', 'result'] }),
    storeConnected: new Gauge({ name: 'flipdns_store_connected', help: '1 while the health store is reachable.', aggregator: 'min' }),
    generation: new Gauge({ name: 'flipdns_store_generation', help: 'Generation of the shared state this instance serves.', aggregator: 'min' }),
    resyncs: new Counter({ name: 'flipdns_store_resyncs_total', help: 'Full re-reads of the shared state (start, reconnect, missed event).' }),
    http: registerHttpMetrics(),
  };
  return created;
}
