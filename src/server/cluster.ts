// `--workers N`: N processes share the DNS port, while the primary alone serves
// HTTP and sums the workers' metrics. The primary hands each worker the same
// TCP listener, and the same dgram socket (Node 20 has no SO_REUSEPORT for
// UDP); the native UDP transport binds a socket per worker with SO_REUSEPORT.

import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, register } from 'prom-client';
import type { Config } from '../config/schema.js';
import { startHttpServer } from '../http/server.js';
import { httpListenerOptions } from '../http/settings.js';
import type { Logger } from '../log/logger.js';
import { ZoneSet } from '../answer/zoneset.js';
import { QueryStats } from '../metrics/query-stats.js';
import { registerServerMetrics } from '../metrics/registry.js';
import type { OverlayTarget } from '../pools/overlay.js';
import { startInstance, startSharedState } from './instance.js';
import type { TapPlugin } from './tap.js';

/** The primary answers no queries: it keeps the zone set only to place pools and report them. */
class StateOnlyTarget implements OverlayTarget {
  zoneSet = new ZoneSet(new Map());

  setZones(zones: ZoneSet): void {
    this.zoneSet = zones;
  }

  invalidatePool(): number {
    return 0;
  }
}

const NO_ZONE_FIGURES = { zones: () => [], cacheEntries: () => 0, cacheOverflows: () => 0 };

const CONFIG_ENV = 'FLIPDNS_WORKER_CONFIG';
const RELOAD = 'flipdns:reload';
const READY = 'flipdns:ready';
const REPORT = 'flipdns:tap-report';
const METRICS = 'flipdns:metrics';
/** A worker that has not answered by then is left out (of the tap view, of /metrics). */
const ASK_TIMEOUT_MS = 2000;
/** A worker that keeps crashing is not restarted faster than this. */
const RESTART_DELAY_MS = 1000;
const WORKER_STOP_MS = 5000;

export function isClusterWorker(): boolean {
  return cluster.isWorker && process.env[CONFIG_ENV] !== undefined;
}

/** Returns once HTTP is up; `failed` as Instance's: rejects when the store's settings cannot work. */
export async function runPrimary(config: Config, log: Logger, plugin?: TapPlugin): Promise<{ failed?: Promise<never> }> {
  const ready = new Set<Worker>();
  /** How each ready worker serves UDP: the same for all, unless the native module loads in some only. */
  const udpTransports = new Map<Worker, string>();
  let stopping = false;
  const fork = (): Worker => {
    const worker = cluster.fork({ [CONFIG_ENV]: JSON.stringify(config) });
    worker.on('message', (message: { type?: string; udpTransport: string } | null) => {
      if (message?.type !== READY) return;
      ready.add(worker);
      udpTransports.set(worker, message.udpTransport);
    });
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker);
    udpTransports.delete(worker);
    if (stopping) return;
    log.error({ worker: worker.process.pid, code, signal }, 'worker exited; starting another');
    setTimeout(fork, RESTART_DELAY_MS);
  });
  for (let i = 0; i < config.workers; i++) fork();

  const reloadWorkers = (): void => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send(RELOAD);
  };
  // The workers' metrics and the primary's own (the health decisions, heartbeats and
  // operator changes it takes), merged by each metric's aggregator.
  const metrics = async (): Promise<{ contentType: string; body: string }> => {
    const all = [...(await askWorkers(ready, METRICS)), await register.getMetricsAsJSON()] as Parameters<typeof AggregatorRegistry.aggregate>[0];
    const merged = AggregatorRegistry.aggregate(all);
    return { contentType: merged.contentType, body: await merged.metrics() };
  };
  const workerHealth = () => ({ workers: config.workers, workersReady: ready.size, udpTransport: [...new Set(udpTransports.values())].join(', ') || undefined });
  // With a shared store the primary follows the state too and serves the admin API;
  // an embedded store lives inside each worker, where no API can reach it.
  // The primary decides for every worker: one decider per deployment, not one per process.
  const state = config.store === 'embedded' ? undefined : startSharedState(config, log, new StateOnlyTarget(), registerServerMetrics(new QueryStats(), NO_ZONE_FIGURES), { afterReload: reloadWorkers, decide: true });
  if (state === undefined) log.warn('with --workers and the embedded store there is no admin API: use a Redis store to change pools and take heartbeats');
  if (config.httpPort !== 0) {
    const view = plugin?.createView(config, () => askWorkers(ready, REPORT));
    const routes = state?.httpRoutes(workerHealth, view);
    await startHttpServer(config.httpHost, config.httpPort, {
      metrics: async () => {
        const workers = await metrics();
        return { ...workers, body: workers.body + ((await view?.metrics()) ?? '') };
      },
      health: () => ({ ...(routes?.health() ?? { instance: config.id, ...workerHealth() }), healthy: ready.size > 0 }),
      api: routes?.api,
    }, httpListenerOptions(config, log));
  }
  process.on('SIGHUP', () => {
    log.info('reloading zones in every worker');
    if (state !== undefined) state.reload();
    else reloadWorkers();
  });
  const stop = (): void => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((worker) => worker !== undefined);
    // Signal the processes themselves: a disconnect-first kill would not finish before we exit.
    const exited = workers.map((worker) => new Promise((resolve) => worker.process.once('exit', resolve)));
    for (const worker of workers) worker.process.kill('SIGTERM');
    const giveUp = new Promise((resolve) => setTimeout(resolve, WORKER_STOP_MS));
    // The lease goes with a clean stop, so that another instance decides at once.
    void Promise.race([Promise.all(exited), giveUp])
      .then(() => state?.close())
      .finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return { failed: state?.failed };
}

/** Asks each ready worker over IPC (its tap report, its metrics) and gathers the answers that come in time. */
async function askWorkers(ready: Set<Worker>, type: typeof REPORT | typeof METRICS): Promise<unknown[]> {
  const asks = [...ready].map(
    (worker) =>
      new Promise<unknown>((resolve) => {
        const id = Math.random().toString(36).slice(2);
        const timer = setTimeout(() => finish(undefined), ASK_TIMEOUT_MS);
        const onMessage = (message: { type?: string; id?: string; answer?: unknown }): void => {
          if (message?.type === type && message.id === id) finish(message.answer);
        };
        const finish = (answer: unknown): void => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          resolve(answer);
        };
        worker.on('message', onMessage);
        worker.send({ type, id });
      }),
  );
  return (await Promise.all(asks)).filter((answer) => answer !== undefined);
}

export async function runWorker(config: Config, log: Logger, plugin?: TapPlugin): Promise<void> {
  // With a shared store the primary decides; an embedded store is this worker's alone, so it decides for it.
  const instance = await startInstance(config, log, { serveHttp: false, decide: config.store === 'embedded', plugin });
  process.on('message', (message: unknown) => {
    if (message === RELOAD) instance.reload();
    const ask = message as { type?: string; id?: string } | null;
    if (ask?.type === REPORT) process.send?.({ type: REPORT, id: ask.id, answer: instance.tap?.report() });
    if (ask?.type === METRICS) void register.getMetricsAsJSON().then((answer) => process.send?.({ type: METRICS, id: ask.id, answer }));
  });
  // A worker outliving its primary would hold the port with no one to manage it.
  process.on('disconnect', () => process.exit(0));
  process.send?.({ type: READY, udpTransport: instance.udpTransport });
}

/** The configuration the primary validated and handed down. */
export function workerConfig(): Config {
  return JSON.parse(process.env[CONFIG_ENV]!) as Config;
}
