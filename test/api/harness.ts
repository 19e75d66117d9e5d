// The admin API served in process over a real HTTP socket, on an EmbeddedStore,
// with a test AdminContext: the real pool and record validators, and small
// stand-ins for the instance's status and reload that follow the same contract.

import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { AdminContext, NodeStatus, PoolStatus, StatusView } from '../../src/api/context.js';
import { type ApiOptions, createApiHandler } from '../../src/api/routes.js';
import { EmbeddedStore } from '../../src/health/embedded-store.js';
import { type PoolSpec, poolKey } from '../../src/pools/model.js';
import type { HealthStore, StoreSnapshot } from '../../src/health/store.js';
import { type ListenerOptions, startHttpServer } from '../../src/http/server.js';
import { parsePoolSpec } from '../../src/pools/spec.js';
import { nodeStatus } from '../../src/server/admin-context.js';
import type { ReloadResult } from '../../src/api/context.js';
import { storeHeld, storePools } from '../../src/pools/documents.js';
import { parseRuntimeRecord } from '../../src/pools/records.js';

export const ADMIN_TOKEN = 'admin-token-0123456789';

/** A pool "from a zone file": shown by the API, never in the store. */
export const FILE_POOL: PoolSpec = {
  name: 'file.example.test.',
  type: 'A',
  policy: 'failover',
  members: [{ id: 'm1', node: 'file-node', value: '192.0.2.50', weight: 1, priority: 0 }],
  ttl: 30,
  ttlPolicy: 'static',
  shortTtl: 1,
  failback: 'auto',
  limit: 1,
  allDown: 'all',
  fallback: [],
  startup: 'assume-up',
};

export interface Harness {
  url: string;
  store: HealthStore;
  /** Every log line, parsed. */
  logs: Array<Record<string, unknown>>;
  changes: string[];
  /** Node reports as counted for the metrics: `report/result`. */
  nodeReports: string[];
  /** Requests refused, by reason, as counted for the metrics (the API's and the listener's). */
  refused: string[];
  /** Connections the listener closed to keep room, by reason. */
  closedConnections: string[];
  port: number;
  call(method: string, path: string, options?: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  store?: HealthStore;
  adminToken?: string;
  /** More of the API's options (readToken, the failure limit...). */
  api?: Partial<ApiOptions>;
  /** The listener's options (timeouts, the connection cap, TLS); its log and counters are the harness's. */
  listener?: ListenerOptions;
  /** Whether the API checks a node's token against the store before reading a body, as an instance does with what it serves; default true. */
  precheck?: boolean;
}

export async function startHarness({ store = new EmbeddedStore(), adminToken = ADMIN_TOKEN, api = {}, listener = {}, precheck = true }: HarnessOptions = {}): Promise<Harness> {
  const logs: Array<Record<string, unknown>> = [];
  const changes: string[] = [];
  const nodeReports: string[] = [];
  const refused: string[] = [];
  const closedConnections: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  const ctx: AdminContext = {
    instanceId: 'api-test',
    store,
    log: pino({ level: 'info' }, sink),
    status: async () => statusOf('api-test', store, await store.snapshot()),
    reloadZones: (): ReloadResult => ({ zones: 2, records: 14, pools: 3, errors: [], failedFiles: [] }),
    parsePool: (input) => parsePoolSpec(input),
    parseRecord: parseRuntimeRecord,
    // Every name is placeable here: placement is the overlay's, tested with it.
    problemWith: () => undefined,
    countChange: (kind) => changes.push(kind),
    countNodeReport: (report, result) => nodeReports.push(`${report}/${result}`),
  };
  const countRefused = (reason: string): number => refused.push(reason);
  // What an instance knows of its nodes without asking the store (overlay.node): here, read from the store.
  const nodeTokenHash = async (id: string): Promise<string | null> => (await store.snapshot()).nodes.find((node) => node.spec.id === id)?.spec.tokenHash ?? null;
  const http = await startHttpServer(
    '127.0.0.1',
    0,
    {
      metrics: async () => ({ contentType: 'text/plain', body: '' }),
      health: () => ({ healthy: true }),
      api: createApiHandler(ctx, { adminToken, countRefused, ...(precheck && { nodeTokenHash }), ...api }),
    },
    {
      log: ctx.log,
      ...listener,
      counters: { refused: countRefused, connectionClosed: (reason) => closedConnections.push(reason), connections: () => undefined },
    },
  );
  const { port } = http;
  const url = `${listener.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    url,
    port,
    store,
    logs,
    changes,
    nodeReports,
    refused,
    closedConnections,
    async call(method, path, { token = ADMIN_TOKEN, body, rawBody, headers = {} } = {}) {
      const response = await fetch(url + path, {
        method,
        headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers },
        body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
    },
    close: () => http.close(),
  };
}

function statusOf(instance: string, store: HealthStore, snapshot: StoreSnapshot): StatusView {
  const nodes = snapshot.nodes.map((node) => nodeStatus(node, snapshot.now));
  const pools = [...storePools(snapshot).map((pool) => ({ pool, source: 'store' as const })), { pool: FILE_POOL, source: 'file' as const }].map(({ pool, source }) =>
    poolStatus(pool, source, nodes, storeHeld(snapshot)[poolKey(pool)] ?? []),
  );
  return { instance, generation: snapshot.generation, now: snapshot.now, store: { kind: store.kind, connected: store.connected() }, problems: [], nodes, pools };
}

function poolStatus(pool: PoolSpec, source: 'file' | 'store', nodes: NodeStatus[], held: string[]): PoolStatus {
  const members = pool.members.map((member) => {
    const node = nodes.find((candidate) => candidate.id === member.node);
    const healthy = node?.admin === 'force-up' || (node?.health === 'up' && node.admin === 'none');
    return { ...member, hasNode: node !== undefined, held: held.includes(member.id), available: healthy && !held.includes(member.id) };
  });
  const available = members.filter((member) => member.available);
  return {
    name: pool.name,
    type: pool.type,
    policy: pool.policy,
    source,
    ttl: pool.ttl,
    ttlPolicy: pool.ttlPolicy,
    answerTtl: pool.ttl,
    answer: (available.length > 0 ? available : members).map((member) => member.value),
    outcome: 'answer',
    allDown: available.length === 0,
    ...(available.length === 0 && { allDownCause: 'down' as const }),
    members,
  };
}
