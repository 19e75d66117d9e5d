// The HTTP side of an instance: /metrics for Prometheus, /healthz for load
// balancers and probes, and the admin API. Loopback by default: it is an
// operator interface. Hardened for when it is not: slow or silent clients are
// timed out, connections are capped with room kept for new ones (heartbeats),
// what clients get refused is counted and logged at most once an interval,
// TLS when given a certificate, and /metrics and /healthz on a listener of
// their own when asked.

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { pino } from 'pino';
import type { Logger } from '../log/logger.js';
import { type ClosedReason, ConnectionCap } from './connections.js';
import { type RefusalReason, Refusals } from './refusals.js';
import { bodyPending } from './requests.js';

export interface HttpRoutes {
  metrics(): Promise<{ contentType: string; body: string }>;
  health(): { healthy: boolean; [detail: string]: unknown };
  /** Gets first go at every request and returns true when it took it (the admin API, src/api/routes.ts). */
  api?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

/** What the listener counts; src/metrics/health-metrics.ts registers the metrics (`registerHttpMetrics`). */
export interface HttpCounters {
  refused(reason: RefusalReason): void;
  connectionClosed(reason: ClosedReason): void;
  connections(listener: 'main' | 'metrics', open: number): void;
}

export interface ListenerOptions {
  /** Ms from a connection (or the start of a request) to the end of its headers; also the TLS handshake's limit. */
  headersTimeoutMs?: number;
  /** Ms from the start of a request to the end of its body. */
  requestTimeoutMs?: number;
  /** Ms an idle keep-alive connection stays open. */
  keepAliveTimeoutMs?: number;
  /** Connections per listener; at the cap one holding no request is closed for a new one. */
  maxConnections?: number;
  /** PEM certificate (chain) and key: the listeners speak HTTPS. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Serve the admin API (/api/) on the main listener; default true. */
  adminApi?: boolean;
  /** A second listener with /metrics and /healthz only. */
  metricsListener?: { host: string; port: number };
  log?: Logger;
  counters?: HttpCounters;
}

export const LISTENER_DEFAULTS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 15_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
} as const;

export interface HttpListeners {
  server: Server;
  port: number;
  /** The /metrics and /healthz listener, when asked for. */
  metricsServer?: Server;
  metricsPort?: number;
  /** Closes both listeners and every connection. */
  close(): Promise<void>;
}

export async function startHttpServer(host: string, port: number, routes: HttpRoutes, options: ListenerOptions = {}): Promise<HttpListeners> {
  const log = options.log ?? pino({ level: 'silent' });
  const refusals = new Refusals(log, (reason) => options.counters?.refused(reason));
  const main = await listen(host, port, 'main', handlerFor(routes, options.adminApi !== false), options, refusals);
  let metrics: Server | undefined;
  try {
    if (options.metricsListener) metrics = await listen(options.metricsListener.host, options.metricsListener.port, 'metrics', handlerFor(routes, false), options, refusals);
  } catch (err) {
    await closeServer(main);
    throw err;
  }
  return {
    server: main,
    port: (main.address() as AddressInfo).port,
    metricsServer: metrics,
    metricsPort: metrics ? (metrics.address() as AddressInfo).port : undefined,
    close: async () => {
      refusals.limit.flush();
      await Promise.all([closeServer(main), metrics ? closeServer(metrics) : undefined]);
    },
  };
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function handlerFor(routes: HttpRoutes, withApi: boolean): Handler {
  return (req, res) => {
    if (withApi && routes.api?.(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' && path !== '/healthz') {
      // Whatever the method: a path that is not served here is not found, and nothing more is said.
      send(req, res, 404, { 'content-type': 'text/plain' }, 'not found: try /metrics or /healthz\n');
    } else if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(req, res, 405, { allow: 'GET, HEAD' });
    } else if (path === '/metrics') {
      routes.metrics().then(
        ({ contentType, body }) => send(req, res, 200, { 'content-type': contentType }, body),
        (err: Error) => send(req, res, 500, { 'content-type': 'text/plain' }, err.message),
      );
    } else {
      const health = routes.health();
      send(req, res, health.healthy ? 200 : 503, { 'content-type': 'application/json' }, JSON.stringify(health) + '\n');
    }
  };
}

/** A body the request announced is not read here: the connection closes with the answer. */
function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body?: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, bodyPending(req) ? { ...headers, connection: 'close' } : headers).end(body);
}

async function listen(host: string, port: number, name: 'main' | 'metrics', handler: Handler, options: ListenerOptions, refusals: Refusals): Promise<Server> {
  const headersTimeout = options.headersTimeoutMs ?? LISTENER_DEFAULTS.headersTimeoutMs;
  const requestTimeout = options.requestTimeoutMs ?? LISTENER_DEFAULTS.requestTimeoutMs;
  const httpOptions: ServerOptions = {
    headersTimeout,
    requestTimeout,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? LISTENER_DEFAULTS.keepAliveTimeoutMs,
    // How often Node looks for requests past their timeouts (30 s by default): a timeout is kept to within this.
    connectionsCheckingInterval: Math.min(1000, headersTimeout),
  };
  const server: Server = options.tls
    ? (createHttpsServer({ ...httpOptions, cert: options.tls.cert, key: options.tls.key, handshakeTimeout: headersTimeout }) as unknown as Server)
    : createHttpServer(httpOptions);
  const cap = new ConnectionCap(options.maxConnections ?? LISTENER_DEFAULTS.maxConnections, headersTimeout, {
    closed: (reason) => options.counters?.connectionClosed(reason),
    open: (count) => options.counters?.connections(name, count),
  });
  /** Sockets whose request the listener itself gave up on: their answer is not an abort. */
  const givenUp = new WeakSet<Socket>();
  server.on('connection', (socket: Socket) => cap.accept(socket));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    cap.request(req, res);
    res.once('close', () => {
      if (res.writableFinished || givenUp.has(req.socket)) return;
      refusals.refuse('aborted', { remote: req.socket.remoteAddress, method: req.method, path: (req.url ?? '/').split('?')[0] }, 'HTTP request aborted: the connection closed before its answer was sent');
    });
    handler(req, res);
  });
  // Node's own handling, counted and logged (at most once an interval) rather than silent.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const answering = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    givenUp.add(socket);
    if (err.code === 'ECONNRESET' || !socket.writable || answering?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, text, reason]: [number, string, RefusalReason] =
      err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'timeout']
        : err.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large', 'bad-request']
          : [400, 'Bad Request', 'bad-request'];
    refusals.refuse(reason, { remote: socket.remoteAddress, code: err.code, listener: name }, reason === 'timeout' ? 'HTTP request refused: headers or body too slow' : 'HTTP request refused: not HTTP this server can parse');
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroySoon();
  });
  // A failed or too slow TLS handshake (plain HTTP sent to the HTTPS port, a client that does not trust us, a silent one).
  server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const timeout = err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT';
    refusals.refuse(timeout ? 'timeout' : 'bad-request', { remote: socket.remoteAddress, code: err.code, listener: name }, timeout ? 'HTTPS connection closed: no TLS handshake in time' : 'HTTPS connection refused: the TLS handshake failed');
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
