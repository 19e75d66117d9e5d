// The HTTP side of an instance: /metrics for Prometheus, /healthz for load
// balancers and probes, and the admin API. Loopback by default: it is an
// operator interface.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HttpRoutes {
  metrics(): Promise<{ contentType: string; body: string }>;
  health(): { healthy: boolean; [detail: string]: unknown };
  /** Gets first go at every request and returns true when it took it (the admin API, src/api/routes.ts). */
  api?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

export async function startHttpServer(host: string, port: number, routes: HttpRoutes): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (routes.api?.(req, res)) return;
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/metrics') {
      routes.metrics().then(
        ({ contentType, body }) => res.writeHead(200, { 'content-type': contentType }).end(body),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
      );
    } else if (path === '/healthz') {
      const health = routes.health();
      res.writeHead(health.healthy ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(health) + '\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
