// `--workers N`: N processes share the DNS port (the primary hands each worker
// the same listening sockets), while the primary alone serves HTTP and sums the
// workers' metrics. Node 20 has no SO_REUSEPORT for UDP, so cluster it is.

import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { Config } from '../config/schema.js';
import { startHttpServer } from '../http/server.js';
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

const NO_ZONE_FIGURES = { records: () => [], cacheEntries: () => 0, cacheOverflows: () => 0 };

const CONFIG_ENV = 'FLIPDNS_WORKER_CONFIG';
const RELOAD = 'flipdns:reload';
const READY = 'flipdns:ready';
const REPORT = 'flipdns:tap-report';
/** A worker that has not sent its tap report by then is left out of the view. */
const REPORT_TIMEOUT_MS = 2000;
/** A worker that keeps crashing is not restarted faster than this. */
const RESTART_DELAY_MS = 1000;
const WORKER_STOP_MS = 5000;

export function isClusterWorker(): boolean {
  return cluster.isWorker && process.env[CONFIG_ENV] !== undefined;
}

export async function runPrimary(config: Config, log: Logger, plugin?: TapPlugin): Promise<void> {
  const ready = new Set<Worker>();
  let stopping = false;
  const fork = (): Worker => {
    const worker = cluster.fork({ [CONFIG_ENV]: JSON.stringify(config) });
    worker.on('message', (message) => {
      if (message === READY) ready.add(worker);
    });
    return worker;
  };
  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker);
    if (stopping) return;
    log.error({ worker: worker.process.pid, code, signal }, 'worker exited; starting another');
    setTimeout(fork, RESTART_DELAY_MS);
  });
  for (let i = 0; i < config.workers; i++) fork();

  const reloadWorkers = (): void => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send(RELOAD);
  };
  const aggregator = new AggregatorRegistry();
  const metrics = async (): Promise<{ contentType: string; body: string }> => ({ contentType: aggregator.contentType, body: await aggregator.clusterMetrics() });
  const workerHealth = () => ({ workers: config.workers, workersReady: ready.size });
  // With a shared store the primary follows the state too and serves the admin API;
  // an embedded store lives inside each worker, where no API can reach it.
  const state = config.store === 'embedded' ? undefined : await startSharedState(config, log, new StateOnlyTarget(), registerServerMetrics(new QueryStats(), NO_ZONE_FIGURES), { afterReload: reloadWorkers });
  if (state === undefined) log.warn('with --workers and the embedded store there is no admin API: use a Redis store to change pools and take heartbeats');
  if (config.httpPort !== 0) {
    const view = plugin?.createView(config, () => workerReports(ready));
    const routes = state?.httpRoutes(workerHealth, view);
    await startHttpServer(config.httpHost, config.httpPort, {
      metrics: async () => {
        const workers = await metrics();
        return { ...workers, body: workers.body + ((await view?.metrics()) ?? '') };
      },
      health: () => ({ ...(routes?.health() ?? { instance: config.id, ...workerHealth() }), healthy: ready.size > 0 }),
      api: routes?.api,
    });
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
    void Promise.race([Promise.all(exited), giveUp]).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Each ready worker's tap report, asked for over IPC as prom-client does for metrics. */
async function workerReports(ready: Set<Worker>): Promise<unknown[]> {
  const asks = [...ready].map(
    (worker) =>
      new Promise<unknown>((resolve) => {
        const id = Math.random().toString(36).slice(2);
        const timer = setTimeout(() => finish(undefined), REPORT_TIMEOUT_MS);
        const onMessage = (message: { type?: string; id?: string; report?: unknown }): void => {
          if (message?.type === REPORT && message.id === id) finish(message.report);
        };
        const finish = (report: unknown): void => {
          clearTimeout(timer);
          worker.off('message', onMessage);
          resolve(report);
        };
        worker.on('message', onMessage);
        worker.send({ type: REPORT, id });
      }),
  );
  return (await Promise.all(asks)).filter((report) => report !== undefined);
}

export async function runWorker(config: Config, log: Logger, plugin?: TapPlugin): Promise<void> {
  // Constructing one installs the worker's side of prom-client's metrics exchange.
  new AggregatorRegistry();
  const instance = await startInstance(config, log, { serveHttp: false, plugin });
  process.on('message', (message: unknown) => {
    if (message === RELOAD) instance.reload();
    const ask = message as { type?: string; id?: string } | null;
    if (ask?.type === REPORT) process.send?.({ type: REPORT, id: ask.id, report: instance.tap?.report() });
  });
  // A worker outliving its primary would hold the port with no one to manage it.
  process.on('disconnect', () => process.exit(0));
  process.send?.(READY);
}

/** The configuration the primary validated and handed down. */
export function workerConfig(): Config {
  return JSON.parse(process.env[CONFIG_ENV]!) as Config;
}
