// The Prometheus view of a worker. Per-query figures live in QueryStats and
// are copied into prom-client only when /metrics is scraped.

import { Counter, Gauge, collectDefaultMetrics, register } from 'prom-client';
import { VERSION } from '../config/version.js';
import type { QueryStats } from './query-stats.js';
import { counterFrom } from './counter-from.js';
import { registerUdpMetrics } from './udp-metrics.js';

export interface ZoneFigures {
  /** Per zone served: records, SOA serial, when its file last loaded (s since the epoch). */
  zones(): Iterable<{ zone: string; records: number; serial: number; loadedAt: number }>;
  cacheEntries(): number;
  cacheOverflows(): number;
  /** The UDP response rate limiter's counts (src/rrl/), absent or undefined when it is off. */
  rateLimiter?(): { readonly dropped: number; readonly slipped: number; readonly evictions: number } | undefined;
}

export interface ServerMetrics {
  zoneReloads: Counter<'result'>;
  zoneFileFailures: Counter<'file'>;
  /** Counted by the TCP listener (src/server/tcp.ts) as it closes connections. */
  tcpConnectionsClosed: Counter<'reason'>;
}

let created: ServerMetrics | undefined;

/** Registers the server's metrics in prom-client's global registry (which cluster aggregation reads). */
export function registerServerMetrics(stats: QueryStats, zones: ZoneFigures): ServerMetrics {
  if (created !== undefined) return created;
  collectDefaultMetrics({ prefix: 'flipdns_' });
  new Counter({
    name: 'flipdns_queries_total',
    help: 'DNS queries answered, by transport, query type and response code.',
    labelNames: ['transport', 'qtype', 'rcode'],
    collect() {
      this.reset();
      stats.forEachQueryCount((transport, qtype, rcode, value) => this.inc({ transport, qtype, rcode }, value));
    },
  });
  counterFrom('flipdns_answer_cache_hits_total', 'Queries answered from a precompiled response.', () => stats.cacheHits);
  counterFrom('flipdns_answer_cache_misses_total', 'Queries that needed a lookup and an encoding.', () => stats.cacheMisses);
  counterFrom('flipdns_answer_cache_overflows_total', 'Times the answer cache was emptied because it was full.', () => zones.cacheOverflows());
  counterFrom('flipdns_dropped_packets_total', 'Packets given no answer (shorter than a header, or responses).', () => stats.dropped);
  registerUdpMetrics(stats);
  new Counter({
    name: 'flipdns_rrl_responses_total',
    help: 'UDP responses response rate limiting held back, by action: dropped, or slipped (sent truncated, question only, so a real client retries over TCP).',
    labelNames: ['action'],
    collect() {
      const limiter = zones.rateLimiter?.();
      this.reset();
      this.inc({ action: 'dropped' }, limiter?.dropped ?? 0);
      this.inc({ action: 'slipped' }, limiter?.slipped ?? 0);
    },
  });
  counterFrom('flipdns_rrl_evictions_total', 'Rate-limiting buckets still being drawn on that gave their slot to a new one (the table was full there).', () => zones.rateLimiter?.()?.evictions ?? 0);
  new Gauge({
    name: 'flipdns_answer_cache_entries',
    help: 'Precompiled responses held.',
    collect() {
      this.set(zones.cacheEntries());
    },
  });
  const zoneGauge = (name: string, help: string, value: (zone: ReturnType<ZoneFigures['zones']> extends Iterable<infer Z> ? Z : never) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['zone'],
      aggregator: 'max',
      collect() {
        this.reset();
        for (const zone of zones.zones()) this.set({ zone: zone.zone }, value(zone));
      },
    });
  };
  zoneGauge('flipdns_zone_records', 'Records loaded, by zone.', (zone) => zone.records);
  zoneGauge('flipdns_zone_serial', 'SOA serial served, by zone.', (zone) => zone.serial);
  zoneGauge('flipdns_zone_loaded_timestamp_seconds', "When the zone's file last loaded, by zone (a file that fails keeps its earlier time).", (zone) => zone.loadedAt);
  new Gauge({
    name: 'flipdns_build_info',
    help: 'Always 1: the flipdns version and the Node.js version it runs on, as labels.',
    labelNames: ['version', 'node'],
    aggregator: 'max',
    collect() {
      this.set({ version: VERSION, node: process.version }, 1);
    },
  });
  created = {
    zoneReloads: new Counter({ name: 'flipdns_zone_reloads_total', help: 'Zone set reloads, by result: ok; partial when a file failed and kept its old zone; failed when the folder could not be read and nothing changed.', labelNames: ['result'], aggregator: 'max' }),
    zoneFileFailures: new Counter({ name: 'flipdns_zone_load_failures_total', help: 'Zone and pool files that failed to load on a reload (a failure at start stops the start), by file.', labelNames: ['file'], aggregator: 'max' }),
    tcpConnectionsClosed: new Counter({ name: 'flipdns_tcp_connections_closed_total', help: 'TCP connections the server closed, by reason: idle, incomplete (part of a query within the timeout), unread (answers the client did not read), client-limit (its address held its share), evicted (room made for a new connection).', labelNames: ['reason'] }),
  };
  return created;
}

export { register as metricsRegistry };
