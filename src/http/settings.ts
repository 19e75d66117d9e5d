// The HTTP listeners' settings, from the configuration: timeouts, the
// connection cap, TLS files, the metrics listener, and the metrics they count.

import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { registerHttpMetrics } from '../metrics/health-metrics.js';
import type { HttpCounters, ListenerOptions } from './server.js';

/**
 * Throws a ConfigError for settings that cannot work together, or TLS files
 * that cannot be read; `flipdns serve` calls it before it opens anything.
 */
export function checkHttpSettings(config: Config): void {
  if (config.httpHeadersTimeout > config.httpRequestTimeout) {
    throw new ConfigError(`httpHeadersTimeout (${config.httpHeadersTimeout} ms) must not be longer than httpRequestTimeout (${config.httpRequestTimeout} ms): the headers are part of the request`);
  }
  if ((config.httpTlsCert === undefined) !== (config.httpTlsKey === undefined)) {
    throw new ConfigError('httpTlsCert and httpTlsKey go together: give both for HTTPS, or neither');
  }
  if (config.readToken !== undefined && config.readToken === config.adminToken) {
    throw new ConfigError('readToken must differ from adminToken: whoever holds the read token could change everything');
  }
  if (config.metricsPort !== 0 && config.metricsPort === config.httpPort && config.metricsHost === config.httpHost) {
    throw new ConfigError(`metricsPort ${config.metricsPort} is httpPort: the metrics listener needs a port of its own`);
  }
  if (config.httpTlsCert !== undefined && config.httpTlsKey !== undefined) tlsFiles(config.httpTlsCert, config.httpTlsKey);
}

/** The listeners' options; throws a ConfigError as checkHttpSettings does. */
export function httpListenerOptions(config: Config, log: Logger): ListenerOptions {
  checkHttpSettings(config);
  const metrics = registerHttpMetrics();
  const counters: HttpCounters = {
    refused: (reason) => metrics.refused.inc({ reason }),
    connectionClosed: (reason) => metrics.connectionsClosed.inc({ reason }),
    connections: (listener, open) => metrics.connections.set({ listener }, open),
  };
  return {
    headersTimeoutMs: config.httpHeadersTimeout,
    requestTimeoutMs: config.httpRequestTimeout,
    keepAliveTimeoutMs: config.httpKeepAliveTimeout,
    maxConnections: config.httpMaxConnections,
    tls: config.httpTlsCert !== undefined && config.httpTlsKey !== undefined ? tlsFiles(config.httpTlsCert, config.httpTlsKey) : undefined,
    adminApi: config.adminApi,
    metricsListener: config.metricsPort !== 0 ? { host: config.metricsHost, port: config.metricsPort } : undefined,
    log,
    counters,
  };
}

function tlsFiles(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const files = { cert: readPem(certFile, 'httpTlsCert'), key: readPem(keyFile, 'httpTlsKey') };
  try {
    createSecureContext(files);
  } catch (err) {
    throw new ConfigError(`httpTlsCert ${certFile}, httpTlsKey ${keyFile}: not a PEM certificate and its key: ${(err as Error).message}`);
  }
  return files;
}

function readPem(path: string, setting: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new ConfigError(`${setting}: cannot read ${path}: ${(err as Error).message}`);
  }
}
