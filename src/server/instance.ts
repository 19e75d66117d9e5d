// One serving instance: zones loaded, UDP and TCP sockets open, and (unless a
// cluster primary serves it) the HTTP endpoint.

import type { Socket } from 'node:dgram';
import type { Server } from 'node:net';
import { ZoneSet } from '../answer/zoneset.js';
import type { Config } from '../config/schema.js';
import { startHttpServer } from '../http/server.js';
import type { Logger } from '../log/logger.js';
import { QueryStats } from '../metrics/query-stats.js';
import { type ServerMetrics, metricsRegistry, registerServerMetrics } from '../metrics/registry.js';
import { loadZoneDir } from '../zone/load.js';
import { formatZoneError } from '../zone/model.js';
import { nameToText } from '../zone/name.js';
import { typeToText } from '../zone/types.js';
import { QueryHandler } from './handler.js';
import { listenTcp } from './tcp.js';
import { listenUdp } from './udp.js';

export interface ReloadResult {
  zones: number;
  records: number;
  errors: string[];
  failedFiles: string[];
}

export interface Instance {
  readonly handler: QueryHandler;
  readonly httpPort: number | undefined;
  reload(): ReloadResult;
  close(): Promise<void>;
}

export async function startInstance(config: Config, log: Logger, { serveHttp }: { serveHttp: boolean }): Promise<Instance> {
  const stats = new QueryStats();
  const handler = new QueryHandler(
    new ZoneSet(new Map()),
    {
      identity: { id: config.id, version: config.serverVersion },
      ednsPayload: config.ednsPayload,
      cacheEntries: config.answerCacheEntries,
      queryLogSample: config.queryLog,
      logQuery: (q) => log.info({ qname: nameToText(q.qname), qtype: typeToText(q.qtype), qclass: q.qclass, rcode: q.rcode, transport: q.transport === 0 ? 'udp' : 'tcp', cached: q.cached }, 'query'),
    },
    stats,
  );
  const metrics = registerServerMetrics(stats, {
    records: () => [...handler.zoneSet.zones.values()].map((zone) => [nameToText(zone.origin), zone.recordCount]),
    cacheEntries: () => handler.cache.size,
    cacheOverflows: () => handler.cache.overflows,
  });

  const reload = (): ReloadResult => loadZones(config.zones, handler, metrics, log);
  // Zones are in place before a socket opens, so the first query already gets a real answer.
  reload();

  const udp: Socket = await listenUdp(config.host, config.port, handler, log);
  const tcp: Server = await listenTcp(config.host, config.port, handler, { idleTimeoutMs: config.tcpIdleTimeout, maxConnections: config.tcpMaxConnections }, log);
  const http = serveHttp && config.httpPort !== 0
    ? await startHttpServer(config.httpHost, config.httpPort, {
        metrics: async () => ({ contentType: metricsRegistry.contentType, body: await metricsRegistry.metrics() }),
        health: () => ({ healthy: true, instance: config.id, zones: handler.zoneSet.zones.size, records: handler.zoneSet.recordCount }),
      })
    : undefined;
  log.info({ host: config.host, port: config.port, http: http ? `${config.httpHost}:${http.port}` : 'off' }, 'serving DNS over UDP and TCP');

  return {
    handler,
    httpPort: http?.port,
    reload,
    async close() {
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
        http ? new Promise<void>((resolve) => http.server.close(() => resolve())) : undefined,
      ]);
    },
  };
}

/** Loads the zone folder; a file that fails keeps its previous zone serving. */
function loadZones(dir: string, handler: QueryHandler, metrics: ServerMetrics, log: Logger): ReloadResult {
  const started = performance.now();
  const result = loadZoneDir(dir, handler.zoneSet.zones);
  for (const warning of result.warnings) log.warn(formatZoneError(warning));
  for (const error of result.errors) log.error(formatZoneError(error));
  if (result.failedFiles.length > 0) {
    metrics.zoneFileFailures.inc(result.failedFiles.length);
    log.error({ failedFiles: result.failedFiles }, 'zone files failed to load; their previous version (if any) keeps serving');
  }
  const zoneSet = new ZoneSet(result.zones);
  handler.setZones(zoneSet);
  metrics.zoneReloads.inc({ result: result.failedFiles.length > 0 ? 'partial' : 'ok' });
  log.info({ zones: zoneSet.zones.size, records: zoneSet.recordCount, ms: Math.round(performance.now() - started) }, 'zone set in place');
  return { zones: zoneSet.zones.size, records: zoneSet.recordCount, errors: result.errors.map(formatZoneError), failedFiles: result.failedFiles };
}
