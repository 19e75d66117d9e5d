// One serving instance. Start order matters:
//   1. zones and pool files load; HTTP opens at once (/healthz says why DNS is
//      not open yet);
//   2. the shared health state is read before any DNS socket opens, so that a
//      (re)started instance never hands out a member the shared state knows is
//      dead; when the store does not answer within `storeWait`, DNS opens
//      anyway: static zones are served, and pools answer as `poolsWithoutState`
//      says (SERVFAIL by default) until the store answers and the state is read.

import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ZoneSet } from '../answer/zoneset.js';
import type { ReloadResult } from '../api/context.js';
import { createApiHandler } from '../api/routes.js';
import { TOKEN_PATTERN } from '../api/auth.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { VERSION } from '../config/version.js';
import { createStore } from '../health/create-store.js';
import { Decider } from '../health/decider.js';
import { PendingStore } from '../health/pending-store.js';
import { type HealthStore, StoreUnavailableError } from '../health/store.js';
import { type StateFollower, StateSync } from '../health/sync.js';
import { Checker } from '../checks/checker.js';
import { type HttpRoutes, startHttpServer } from '../http/server.js';
import { httpListenerOptions } from '../http/settings.js';
import type { Logger } from '../log/logger.js';
import { registerHealthMetrics } from '../metrics/health-metrics.js';
import { QueryStats } from '../metrics/query-stats.js';
import { type ServerMetrics, type ZoneFigures, metricsRegistry, registerServerMetrics } from '../metrics/registry.js';
import { type OverlayTarget, PoolOverlay } from '../pools/overlay.js';
import { rateLimitSettings } from '../rrl/settings.js';
import { nameToText } from '../zone/name.js';
import { typeToText } from '../zone/types.js';
import { createAdminContext, readNodes } from './admin-context.js';
import { ConfiguredData } from './configured-data.js';
import { QueryHandler } from './handler.js';
import { listenTcp, tcpOptions } from './tcp.js';
import { type ServingTap, type TapPlugin, type TapView, tapChange } from './tap.js';
import { listenUdp } from './udp.js';
import type { UdpTransport, UdpTransportKind } from './udp-batch.js';

export interface Instance {
  readonly handler: QueryHandler;
  readonly httpPort: number | undefined;
  /** The tap's report, for the primary when this is a worker. */
  readonly tap: ServingTap | undefined;
  /** Rejects when the store's settings cannot work, also after DNS opened: the instance must stop. */
  readonly failed: Promise<never>;
  /** How UDP is served (src/server/udp.ts). */
  readonly udpTransport: UdpTransportKind;
  reload(): ReloadResult;
  close(): Promise<void>;
}

export interface InstanceOptions {
  /** Serve /metrics, /healthz and the admin API (not in workers: the primary does). */
  serveHttp: boolean;
  /** Make health decisions (not in workers sharing a store with their primary, which decides for them). */
  decide: boolean;
  plugin?: TapPlugin;
}

/** Everything an instance knows besides its sockets: zones, pools, the store and its decisions. */
export interface SharedState {
  store: HealthStore;
  overlay: PoolOverlay;
  sync: StateSync;
  decider?: Decider;
  data: ConfiguredData;
  /** Resolves once the shared state has been read. */
  synced: Promise<void>;
  /** Rejects when the store's settings cannot work (a Redis database that does not exist): the instance must stop. */
  failed: Promise<never>;
  reload(): ReloadResult;
  /** The HTTP routes of an instance holding this state: /metrics, /healthz, the admin API, and the plugin's view. */
  httpRoutes(details: () => Record<string, unknown>, view?: TapView): HttpRoutes;
  close(): Promise<void>;
}

export async function startInstance(config: Config, log: Logger, { serveHttp, decide, plugin }: InstanceOptions): Promise<Instance> {
  const stats = new QueryStats();
  const tap = plugin?.createTap(config);
  const handler = new QueryHandler(
    new ZoneSet(new Map()),
    {
      identity: { id: config.id, version: config.serverVersion },
      ednsPayload: config.ednsPayload,
      cacheEntries: config.answerCacheEntries,
      queryLogSample: config.queryLog,
      logQuery: (q) => log.info({ qname: nameToText(q.qname), qtype: typeToText(q.qtype), qclass: q.qclass, rcode: q.rcode, transport: q.transport === 0 ? 'udp' : 'tcp', cached: q.cached }, 'query'),
      tap,
      rateLimit: rateLimitSettings(config),
    },
    stats,
  );
  let state: SharedState | undefined;
  const serverMetrics = registerServerMetrics(stats, {
    zones: () => state?.data.zoneLoads(handler.zoneSet.zones.values()) ?? [],
    cacheEntries: () => handler.cache.size,
    cacheOverflows: () => handler.cache.overflows,
    rateLimiter: () => handler.limiter,
  } satisfies ZoneFigures);
  const shared = startSharedState(config, log, handler, serverMetrics, { tap, decide });
  state = shared;
  let dnsOpen = false;
  let udp: UdpTransport | undefined;
  const http =
    serveHttp && config.httpPort !== 0
      ? await startHttpServer(
          config.httpHost,
          config.httpPort,
          shared.httpRoutes(() => ({ dns: dnsOpen ? 'open' : 'closed: waiting for the health store', udpTransport: udp?.kind, zones: handler.zoneSet.zones.size, records: handler.zoneSet.recordCount }), plugin?.createView(config, async () => (tap ? [tap.report()] : []))),
          httpListenerOptions(config, log),
        )
      : undefined;

  let waited: NodeJS.Timeout | undefined;
  const read = await Promise.race([
    shared.synced.then(() => true),
    shared.failed,
    new Promise<boolean>((resolve) => (waited = setTimeout(() => resolve(false), config.storeWait))),
  ]).finally(() => clearTimeout(waited));
  if (!read) {
    log.error({ waitedMs: config.storeWait, pools: config.poolsWithoutState }, 'serving DNS without the shared health state: static zones as usual, pools answer as poolsWithoutState says until the store answers');
  }

  udp = await listenUdp(config, handler, stats, log);
  const tcp = await listenTcp(config.host, config.port, handler, tcpOptions(config, serverMetrics.tcpConnectionsClosed), log);
  dnsOpen = true;
  log.info({ host: config.host, port: config.port, udpTransport: udp.kind, http: http ? `${config.httpHost}:${http.port}` : 'off', store: shared.store.kind, state: read ? 'read' : 'not read yet', version: VERSION }, 'serving DNS over UDP and TCP');

  return {
    handler,
    httpPort: http?.port,
    tap,
    failed: shared.failed,
    udpTransport: udp.kind,
    reload: shared.reload,
    async close() {
      await Promise.all([
        udp?.close(),
        // Open connections are closed, not waited for (up to tcpIdleTimeout each): tcp.ts, `close`.
        tcp.close(),
        http?.close(),
      ]);
      await shared.close();
    },
  };
}

/**
 * Loads zones and pool files into `target`, starts opening the store, reading
 * the shared state and following it, and, with `decide`, deciding. Returns at
 * once; `synced` says when the state has been read. The cluster primary uses it
 * with no DNS sockets, to serve the admin API and decide.
 */
export function startSharedState(
  config: Config,
  log: Logger,
  target: OverlayTarget & { zoneSet: ZoneSet },
  serverMetrics: ServerMetrics,
  { afterReload, tap, decide }: { afterReload?: () => void; tap?: ServingTap; decide: boolean },
): SharedState {
  try {
    readdirSync(config.zones);
  } catch (err) {
    throw new ConfigError(`zones: cannot read the folder ${config.zones}: ${(err as Error).message}`);
  }
  const store = new PendingStore(config.store === 'embedded' ? 'embedded' : 'redis');
  let sync: StateSync | undefined;
  let decider: Decider | undefined;
  const overlay = new PoolOverlay(
    target,
    log,
    (change) => {
      const { pool, previous, from, to } = change;
      healthMetrics.answerChanges.inc({ name: pool.spec.name, type: pool.spec.type });
      log.info({ pool: pool.spec.name, type: pool.spec.type, from: previous.variants[0], to: pool.selection.variants[0], allDown: pool.selection.allDown, versions: [from, to] }, 'pool answer changed');
      tap?.answerChanged(tapChange(change));
    },
    undefined,
    config.poolsWithoutState,
  );
  const healthMetrics = registerHealthMetrics({
    members: () =>
      [...overlay.pools().values()].flatMap(({ spec, views, selection }) =>
        views.map((view) => ({ name: spec.name, type: spec.type, member: view.member.id, available: selection.eligible.includes(view.member.id), hasNode: overlay.node(view.member.node) !== undefined })),
      ),
    nodes: async () => {
      const { nodes, now } = await readNodes(store, overlay, () => sync?.storeNow() ?? 0);
      return nodes.map(({ spec, state }) => ({
        node: spec.id,
        health: state.health === 'up' ? 1 : state.health === 'down' ? 0 : -1,
        heartbeatAgeSeconds: state.lastBeatAt === undefined ? undefined : Math.max(0, now - state.lastBeatAt) / 1000,
      }));
    },
    leading: () => decider?.isLeading ?? false,
    verdicts: () => overlay.allVerdicts(),
    conflicts: () => data.conflictingNodes(),
  });

  const data = new ConfiguredData(config.zones, overlay, store, serverMetrics, log);
  const reload = (): ReloadResult => {
    const result = data.reload(target.zoneSet);
    afterReload?.();
    return result;
  };
  data.reload(target.zoneSet);
  // Server-side checks run where the decisions are made: once per instance, not once per worker.
  const checker = decide ? new Checker(store, config.id, { countProbe: (node, ok) => healthMetrics.checkProbes.inc({ node, result: ok ? 'ok' : 'failed' }) }, log) : undefined;
  const follower: StateFollower = checker
    ? {
        applySnapshot: (snapshot) => (overlay.applySnapshot(snapshot), checker.applySnapshot(snapshot)),
        applyEvents: (events) => (overlay.applyEvents(events), checker.applyEvents(events)),
        node: (id) => overlay.node(id),
      }
    : overlay;
  const liveSync = (sync = new StateSync(store, follower, healthMetrics, log));
  store.onEvent((event) => {
    if (event.kind === 'resync') void data.registerFileNodes();
  });
  const failed = openStore(config, log, store);
  failed.catch(() => undefined);
  const synced = liveSync.start().then(() => data.registerFileNodes());
  if (decide) {
    // One lease holder per process: two processes must never both believe they decide.
    decider = new Decider(store, `${config.id}/${process.pid}`, overlay, healthMetrics, log);
    decider.start();
  }

  return {
    store,
    overlay,
    sync: liveSync,
    decider,
    data,
    synced,
    failed,
    reload,
    httpRoutes: (details, view) => ({
      metrics: async () => ({ contentType: metricsRegistry.contentType, body: (await metricsRegistry.metrics()) + ((await view?.metrics()) ?? '') }),
      health: () => {
        const shown = details();
        const problems = [
          ...(store.attached ? [] : [`the health store has not answered since the start: ${store.waitingFor}`]),
          ...(store.attached && !store.connected() ? ['the health store is unreachable: serving the last known state, making no health decisions'] : []),
          ...(overlay.hasState ? [] : [`pools answer ${config.poolsWithoutState === 'servfail' ? 'SERVFAIL' : 'by their startup rule'} until the shared state is read`]),
          ...data.problems(),
          ...overlay.problems,
        ];
        return {
          // Load balancers take 503 while this instance answers no DNS at all.
          healthy: shown.dns === undefined || shown.dns === 'open',
          status: problems.length === 0 ? 'ok' : 'degraded',
          instance: config.id,
          version: VERSION,
          ...shown,
          pools: overlay.pools().size,
          store: { kind: store.kind, connected: store.connected() },
          generation: liveSync.currentGeneration,
          decider: decider?.isLeading ?? false,
          ...(problems.length > 0 && { problems }),
        };
      },
      api: config.adminApi
        ? createApiHandler(
            createAdminContext({ instanceId: config.id, store, overlay, sync: liveSync, metrics: healthMetrics, log, reload, problems: () => [...data.problems(), ...overlay.problems] }),
            {
              adminToken: adminToken(config, log),
              readToken: config.readToken,
              authFailuresPerSecond: config.httpAuthFailures,
              bodyTimeoutMs: config.httpRequestTimeout,
              // What this instance serves, to refuse a node's wrong token before its body is read; the store still decides.
              nodeTokenHash: (id) => (overlay.hasState ? (overlay.node(id)?.spec.tokenHash ?? null) : undefined),
              countRefused: (reason) => healthMetrics.http.refused.inc({ reason }),
            },
            view?.routes,
          )
        : undefined,
    }),
    async close() {
      await Promise.all([decider?.stop(), checker?.stop()]);
      liveSync.stop();
      await store.close();
    },
  };
}

/**
 * Opens the store in the background as long as it takes, and attaches it.
 * Rejects only for settings that cannot work whatever is retried.
 */
async function openStore(config: Config, log: Logger, store: PendingStore): Promise<never> {
  for (let attempt = 1; ; attempt++) {
    try {
      store.attach(await createStore(config));
      return new Promise<never>(() => undefined);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      store.waitingFor = err.message;
      log.error({ attempt, err: err.message }, 'health store unreachable: the shared state is not read yet');
    }
  }
}

/** The configured admin token, or a new one written where the CLI looks for it. */
/**
 * Without a configured token, the token file's: created with a random token if
 * it does not exist, read if it does, so that a restart, or a second instance
 * started from the same folder, keeps the token the CLI finds there.
 */
function adminToken(config: Config, log: Logger): string {
  if (config.adminToken !== undefined) return config.adminToken;
  const file = config.adminTokenFile;
  const generated = randomBytes(24).toString('base64url');
  try {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, generated + '\n', { mode: 0o600, flag: 'wx' });
    log.info({ file }, 'admin token generated (set adminToken to choose one)');
    return generated;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const kept = readFileSync(file, 'utf8').trim();
      if (TOKEN_PATTERN.test(kept)) {
        log.info({ file }, 'admin token read from its file (set adminToken to choose one)');
        return kept;
      }
      log.error({ file }, 'the admin token file holds no valid token (16 to 256 printable characters): the admin API refuses every token until the file is fixed or adminToken is set');
      return generated;
    }
    // DNS matters more than the admin API: serve, and say how to get the API back.
    log.error({ err, file }, 'cannot write the generated admin token: set adminToken or a writable adminTokenFile to use the admin API');
    return generated;
  }
}
