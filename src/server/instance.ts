// One serving instance. Start order matters: zones and pool files are loaded
// and the shared health state is read before any DNS socket opens, so that a
// (re)started instance never hands out a member it has not seen the state of.

import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:dgram';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { dirname } from 'node:path';
import { ZoneSet } from '../answer/zoneset.js';
import type { ReloadResult } from '../api/context.js';
import { createApiHandler } from '../api/routes.js';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createStore } from '../health/create-store.js';
import { Decider } from '../health/decider.js';
import { type HealthStore, StoreUnavailableError } from '../health/store.js';
import { StateSync } from '../health/sync.js';
import { type HttpRoutes, startHttpServer } from '../http/server.js';
import type { Logger } from '../log/logger.js';
import { registerHealthMetrics } from '../metrics/health-metrics.js';
import { QueryStats } from '../metrics/query-stats.js';
import { type ServerMetrics, metricsRegistry, registerServerMetrics } from '../metrics/registry.js';
import { type OverlayTarget, PoolOverlay } from '../pools/overlay.js';
import { nameToText } from '../zone/name.js';
import { typeToText } from '../zone/types.js';
import { createAdminContext, readNodes } from './admin-context.js';
import { ConfiguredData } from './configured-data.js';
import { QueryHandler } from './handler.js';
import { listenTcp } from './tcp.js';
import { type ServingTap, type TapPlugin, type TapView, tapChange } from './tap.js';
import { listenUdp } from './udp.js';


export interface Instance {
  readonly handler: QueryHandler;
  readonly httpPort: number | undefined;
  /** The tap's report, for the primary when this is a worker. */
  readonly tap: ServingTap | undefined;
  reload(): ReloadResult;
  close(): Promise<void>;
}

export interface InstanceOptions {
  /** Serve /metrics, /healthz and the admin API (not in workers: the primary does). */
  serveHttp: boolean;
  plugin?: TapPlugin;
}

/** Everything an instance knows besides its sockets: zones, pools, the store and its decisions. */
export interface SharedState {
  store: HealthStore;
  overlay: PoolOverlay;
  sync: StateSync;
  decider: Decider;
  reload(): ReloadResult;
  /** The HTTP routes of an instance holding this state: /metrics, /healthz, the admin API, and the plugin's view. */
  httpRoutes(details: () => Record<string, unknown>, view?: TapView): HttpRoutes;
  close(): Promise<void>;
}

export async function startInstance(config: Config, log: Logger, { serveHttp, plugin }: InstanceOptions): Promise<Instance> {
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
    },
    stats,
  );
  const serverMetrics = registerServerMetrics(stats, {
    records: () => [...handler.zoneSet.zones.values()].map((zone) => [nameToText(zone.origin), zone.recordCount]),
    cacheEntries: () => handler.cache.size,
    cacheOverflows: () => handler.cache.overflows,
  });
  const state = await startSharedState(config, log, handler, serverMetrics, { tap });

  const udp: Socket = await listenUdp(config.host, config.port, handler, log);
  const tcp: Server = await listenTcp(config.host, config.port, handler, { idleTimeoutMs: config.tcpIdleTimeout, maxConnections: config.tcpMaxConnections }, log);
  const http =
    serveHttp && config.httpPort !== 0
      ? await startHttpServer(
          config.httpHost,
          config.httpPort,
          state.httpRoutes(() => ({ zones: handler.zoneSet.zones.size, records: handler.zoneSet.recordCount }), plugin?.createView(config, async () => (tap ? [tap.report()] : []))),
        )
      : undefined;
  log.info({ host: config.host, port: config.port, http: http ? `${config.httpHost}:${http.port}` : 'off', store: state.store.kind }, 'serving DNS over UDP and TCP');

  return {
    handler,
    httpPort: http?.port,
    tap,
    reload: state.reload,
    async close() {
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        http ? new Promise<void>((resolve) => (http.server.close(() => resolve()), http.server.closeAllConnections())) : undefined,
      ]);
      await state.close();
    },
  };
}

/**
 * Loads zones and pool files into `target`, opens the store and reads the
 * shared state, and starts following and deciding. Resolves only once the state
 * is read. The cluster primary uses it with no DNS sockets, to serve the admin API.
 */
export async function startSharedState(
  config: Config,
  log: Logger,
  target: OverlayTarget & { zoneSet: ZoneSet },
  serverMetrics: ServerMetrics,
  { afterReload, tap }: { afterReload?: () => void; tap?: ServingTap } = {},
): Promise<SharedState> {
  try {
    readdirSync(config.zones);
  } catch (err) {
    throw new ConfigError(`zones: cannot read the folder ${config.zones}: ${(err as Error).message}`);
  }
  const store = await openStore(config, log);
  let sync: StateSync | undefined;
  const overlay = new PoolOverlay(target, log, (change) => {
    const { pool, previous, from, to } = change;
    healthMetrics.answerChanges.inc({ pool: `${pool.spec.name} ${pool.spec.type}` });
    log.info({ pool: pool.spec.name, type: pool.spec.type, from: previous.variants[0], to: pool.selection.variants[0], allDown: pool.selection.allDown, versions: [from, to] }, 'pool answer changed');
    tap?.answerChanged(tapChange(change));
  });
  const healthMetrics = registerHealthMetrics({
    members: () => [...overlay.pools().values()].flatMap(({ spec, views }) => views.map((view) => ({ pool: `${spec.name} ${spec.type}`, member: view.member.id, available: view.available }))),
    nodes: async () => {
      const { nodes, now } = await readNodes(store, overlay, () => sync?.storeNow() ?? 0);
      return nodes.map(({ spec, state }) => ({
        node: spec.id,
        health: state.health === 'up' ? 1 : state.health === 'down' ? 0 : -1,
        heartbeatAgeSeconds: state.lastBeatAt === undefined ? undefined : Math.max(0, now - state.lastBeatAt) / 1000,
      }));
    },
  });

  const data = new ConfiguredData(config.zones, overlay, store, serverMetrics, log);
  const reload = (): ReloadResult => {
    const result = data.reload(target.zoneSet);
    afterReload?.();
    return result;
  };
  data.reload(target.zoneSet);
  const liveSync = (sync = new StateSync(store, overlay, healthMetrics, log));
  store.onEvent((event) => {
    if (event.kind === 'resync') void data.registerFileNodes();
  });
  await liveSync.start();
  await data.registerFileNodes();
  const decider = new Decider(store, config.id, overlay, healthMetrics, log);
  decider.start();

  return {
    store,
    overlay,
    sync: liveSync,
    decider,
    reload,
    httpRoutes: (details, view) => ({
      metrics: async () => ({ contentType: metricsRegistry.contentType, body: (await metricsRegistry.metrics()) + ((await view?.metrics()) ?? '') }),
      health: () => ({
        healthy: true,
        status: store.connected() ? 'ok' : 'degraded',
        instance: config.id,
        ...details(),
        pools: overlay.pools().size,
        store: { kind: store.kind, connected: store.connected() },
        generation: liveSync.currentGeneration,
        decider: decider.isLeading,
      }),
      api: createApiHandler(
        createAdminContext({ instanceId: config.id, store, overlay, sync: liveSync, metrics: healthMetrics, log, reload }),
        { adminToken: adminToken(config, log) },
        view?.routes,
      ),
    }),
    async close() {
      decider.stop();
      liveSync.stop();
      await store.close();
    },
  };
}

/** Waits for the store as long as it takes: serving without the shared state could hand out a dead member. */
async function openStore(config: Config, log: Logger): Promise<HealthStore> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await createStore(config);
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      log.error({ attempt, err: err.message }, 'health store unreachable; DNS sockets stay closed until it answers');
    }
  }
}

/** The configured admin token, or a new one written where the CLI looks for it. */
function adminToken(config: Config, log: Logger): string {
  if (config.adminToken !== undefined) return config.adminToken;
  const token = randomBytes(24).toString('base64url');
  try {
    mkdirSync(dirname(config.adminTokenFile), { recursive: true });
    writeFileSync(config.adminTokenFile, token + '\n', { mode: 0o600 });
    log.info({ file: config.adminTokenFile }, 'admin token generated (set adminToken to choose one)');
  } catch (err) {
    // DNS matters more than the admin API: serve, and say how to get the API back.
    log.error({ err, file: config.adminTokenFile }, 'cannot write the generated admin token: set adminToken or a writable adminTokenFile to use the admin API');
  }
  return token;
}
