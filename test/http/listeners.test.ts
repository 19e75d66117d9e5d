// The HTTP listeners of a real `flipdns serve` (issue 9): a flood of silent
// connections against a small httpMaxConnections while a heartbeat is still
// taken and DNS still answers over UDP and TCP; refused authentications
// limited per address (429) and counted in /metrics, without a log line
// each; a listener with /metrics and /healthz only, and `adminApi: false`.

import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryTcp, queryUdp } from '../helpers/dns.js';
import { type FlipdnsHandle, startFlipdns } from '../helpers/flipdns.js';
import { getFreePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';
import { RULES_FILES, zoneDir } from '../helpers/zones.js';
import { rawConnect } from './raw.js';

const ADMIN_TOKEN = 'listeners-admin-token-0123456789';
const WEB1_TOKEN = 'web1-token-abcdefghijkl';
const MAX_CONNECTIONS = 16;

/** One request from `localAddress` (127.0.0.2 and up are other clients to the server), with its status. */
function call(port: number, method: string, path: string, { token, body, localAddress = '127.0.0.1' }: { token?: string; body?: unknown; localAddress?: string } = {}): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        localAddress,
        agent: false,
        headers: { ...(token && { authorization: `Bearer ${token}` }), ...(payload !== undefined && { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) }) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** The series of one metric in the server's /metrics, by its label text. */
async function series(port: number, metric: string): Promise<Record<string, number>> {
  const text = (await call(port, 'GET', '/metrics')).text;
  const found: Record<string, number> = {};
  for (const m of text.matchAll(new RegExp(`^${metric}(\\{[^}]*\\})? (\\S+)$`, 'gm'))) found[m[1] ?? ''] = Number(m[2]);
  return found;
}

async function dnsAnswers(port: number): Promise<{ udp: boolean; tcp: boolean }> {
  const [udp, tcp] = await Promise.all([
    queryUdp(port, { name: 'www.example.test' }, { timeoutMs: 1000, retries: 1 }).then((r) => r.packet?.flag_aa === true, () => false),
    queryTcp(port, { name: 'www.example.test' }, { timeoutMs: 2000 }).then((r) => r.packet?.flag_aa === true, () => false),
  ]);
  return { udp, tcp };
}

describe('a real server under hostile HTTP', () => {
  let server: FlipdnsHandle;
  beforeAll(async () => {
    server = await startFlipdns(zoneDir(RULES_FILES), ['--admin-token', ADMIN_TOKEN, '--http-max-connections', String(MAX_CONNECTIONS), '--http-auth-failures', '5']);
    expect((await call(server.httpPort, 'PUT', '/api/v1/nodes/web1', { token: ADMIN_TOKEN, body: { token: WEB1_TOKEN, intervalMs: 60_000 } })).status).toBe(201);
  });
  afterAll(() => server.stop());

  it(`takes heartbeats and answers DNS over UDP and TCP through 300 silent HTTP connections, holding at most ${MAX_CONNECTIONS}`, async () => {
    const flood = await Promise.all(Array.from({ length: 300 }, () => rawConnect(server.httpPort).catch(() => undefined)));
    try {
      const open = () => flood.filter((connection) => connection !== undefined && !connection.socket.destroyed).length;
      await waitFor(() => open() <= MAX_CONNECTIONS, 'the flood beyond the cap to be closed', 10_000);
      for (let i = 0; i < 5; i++) {
        expect((await call(server.httpPort, 'POST', '/api/v1/nodes/web1/heartbeat', { token: WEB1_TOKEN })).status).toBe(200);
        expect(await dnsAnswers(server.port)).toEqual({ udp: true, tcp: true });
      }
      expect((await call(server.httpPort, 'GET', '/healthz')).status).toBe(200);
      const closed = await series(server.httpPort, 'flipdns_http_connections_closed_total');
      expect(closed['{reason="evicted"}']).toBeGreaterThanOrEqual(300 - MAX_CONNECTIONS);
      const connections = await series(server.httpPort, 'flipdns_http_connections');
      expect(connections['{listener="main"}']).toBeLessThanOrEqual(MAX_CONNECTIONS);
    } finally {
      for (const connection of flood) connection?.socket.destroy();
    }
  });

  it('answers 429 to an address after its burst of refused authentications, not to others, counts it, and logs neither one by one', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 40; i++) statuses.push((await call(server.httpPort, 'POST', '/api/v1/nodes/web1/heartbeat', { token: `guess-${i}-0123456789abcdef`, localAddress: '127.0.0.2' })).status);
    expect(statuses.slice(0, 5)).toEqual([403, 403, 403, 403, 403]);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(30);
    // The node itself, from its own address, is not held back.
    expect((await call(server.httpPort, 'POST', '/api/v1/nodes/web1/heartbeat', { token: WEB1_TOKEN })).status).toBe(200);
    const refused = await series(server.httpPort, 'flipdns_http_requests_refused_total');
    expect(refused['{reason="wrong-token"}']).toBe(statuses.filter((status) => status === 403).length);
    expect(refused['{reason="rate-limited"}']).toBe(statuses.filter((status) => status === 429).length);
    const lines = server.logs.filter((line) => /"reason":"(wrong-token|rate-limited)"/.test(line));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(4);
  });
});

describe('a listener with /metrics and /healthz only', () => {
  let server: FlipdnsHandle;
  let metricsPort: number;
  beforeAll(async () => {
    [metricsPort] = await getFreePorts(1);
    server = await startFlipdns(zoneDir(RULES_FILES), ['--admin-token', ADMIN_TOKEN, '--metrics-port', String(metricsPort)]);
  });
  afterAll(() => server.stop());

  it('serves /metrics and /healthz, and 404s the admin API, whatever the token and method', async () => {
    const metrics = await call(metricsPort, 'GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toMatch(/^flipdns_queries_total/m);
    expect((await call(metricsPort, 'GET', '/healthz')).status).toBe(200);
    for (const [method, path] of [['GET', '/api/v1/status'], ['POST', '/api/v1/nodes/web1/heartbeat'], ['PUT', '/api/v1/nodes/web9'], ['GET', '/api/v1/nothing']]) {
      const answer = await call(metricsPort, method, path, { token: ADMIN_TOKEN });
      expect(answer.status, `${method} ${path}`).toBe(404);
      expect(answer.text).toBe('not found: try /metrics or /healthz\n');
    }
    // The main listener still serves the API.
    expect((await call(server.httpPort, 'GET', '/api/v1/status', { token: ADMIN_TOKEN })).status).toBe(200);
    const connections = await series(server.httpPort, 'flipdns_http_connections');
    expect(Object.keys(connections)).toEqual(expect.arrayContaining(['{listener="main"}', '{listener="metrics"}']));
  });
});

describe('adminApi: false', () => {
  let server: FlipdnsHandle;
  beforeAll(async () => {
    server = await startFlipdns(zoneDir(RULES_FILES), ['--admin-token', ADMIN_TOKEN, '--admin-api', 'false']);
  });
  afterAll(() => server.stop());

  it('leaves /metrics and /healthz on the HTTP port, and no admin API', async () => {
    expect((await call(server.httpPort, 'GET', '/metrics')).status).toBe(200);
    expect((await call(server.httpPort, 'GET', '/healthz')).status).toBe(200);
    expect((await call(server.httpPort, 'GET', '/api/v1/status', { token: ADMIN_TOKEN })).status).toBe(404);
    expect((await call(server.httpPort, 'POST', '/api/v1/nodes/web1/heartbeat', { token: WEB1_TOKEN })).status).toBe(404);
  });
});
