// Redis is not a single point of failure at start: with the store unreachable,
// HTTP answers at once and says why DNS waits, the static zones are served
// after storeWait, pool names get the configured answer (SERVFAIL by default,
// so resolvers ask another name server), and when Redis comes up everything is
// served as usual.

import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { normalize, queryUdp } from '../helpers/dns.js';
import { BIN, type FlipdnsHandle, startFlipdns } from '../helpers/flipdns.js';
import { getFreePort, getFreePorts } from '../helpers/ports.js';
import { type RedisHandle, startRedis } from '../helpers/redis.js';
import { MINIMAL_ZONE, zoneDir } from '../helpers/zones.js';
import { waitFor } from '../helpers/wait.js';

const STORE_WAIT_MS = 1500;

const POOLS = JSON.stringify({
  nodes: [{ id: 'web1', intervalMs: 1000, fall: 3, rise: 2, tokenSha256: createHash('sha256').update('web1-secret').digest('hex') }],
  pools: [{ name: 'app.example.test.', type: 'A', policy: 'failover', members: [{ id: 'web1', node: 'web1', value: '192.0.2.21' }] }],
});

describe('starting while Redis is unreachable', () => {
  let server: FlipdnsHandle | undefined;
  const redises: RedisHandle[] = [];
  afterAll(async () => {
    await server?.stop();
    await Promise.all(redises.map((redis) => redis.stop()));
  });

  it('answers HTTP at once, serves static zones after storeWait and SERVFAIL for pools, then everything once Redis is up', async () => {
    const redisPort = await getFreePort();
    const started = performance.now();
    server = await startFlipdns(zoneDir({ 'example.test.zone': MINIMAL_ZONE, 'app.pools.json': POOLS }), ['--store', `redis://127.0.0.1:${redisPort}`, '--store-wait', String(STORE_WAIT_MS)], {}, { ready: 'http' });
    const healthz = async (): Promise<{ code: number; body: { status: string; dns: string; problems?: string[] } }> => {
      const response = await fetch(`http://127.0.0.1:${server!.httpPort}/healthz`);
      return { code: response.status, body: (await response.json()) as { status: string; dns: string; problems?: string[] } };
    };

    // HTTP before DNS, saying why.
    const early = await healthz();
    expect(performance.now() - started).toBeLessThan(STORE_WAIT_MS);
    expect(early.code).toBe(503);
    expect(early.body.dns).toMatch(/^closed: waiting for the health store/);
    expect(early.body.problems).toEqual(expect.arrayContaining([expect.stringMatching(/^the health store has not answered since the start/)]));
    expect(server.logs.some((line) => line.includes('"msg":"flipdns starting"'))).toBe(true);

    // After storeWait: static names answered, pool names SERVFAIL (not NXDOMAIN, which resolvers would cache).
    await waitFor(async () => (await healthz()).code === 200, 'DNS open without the store');
    expect(performance.now() - started).toBeGreaterThanOrEqual(STORE_WAIT_MS);
    const ns = await queryUdp(server.port, { name: 'ns1.example.test' });
    expect(normalize(ns).rcode).toBe('NOERROR');
    expect(ns.packet!.answers).toHaveLength(1);
    const pool = await queryUdp(server.port, { name: 'app.example.test' });
    expect(normalize(pool).rcode).toBe('SERVFAIL');
    const waiting = await healthz();
    expect(waiting.body.status).toBe('degraded');
    expect(waiting.body.problems).toEqual(expect.arrayContaining(['pools answer SERVFAIL until the shared state is read']));

    // Redis comes up: the shared state is read and the pool answered.
    redises.push(await startRedis({ port: redisPort }));
    await waitFor(async () => ((await queryUdp(server!.port, { name: 'app.example.test' })).packet!.answers ?? []).length === 1, 'the pool answered from the shared state');
    await waitFor(async () => (await healthz()).body.status === 'ok', 'healthz ok');
  });

  it('stops with one line and exit 2 on a Redis database the server does not have, also when Redis answers only after DNS opened', async () => {
    const refusal = /^flipdns: store: Redis at redis:\/\/127\.0\.0\.1:\d+\/99 has no database 99: /;
    const late = await getFreePort();
    const zones = zoneDir({ 'example.test.zone': MINIMAL_ZONE });
    const exitOf = (child: ChildProcess): Promise<{ code: number | null; stderr: string }> => {
      let stderr = '';
      child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })));
    };

    const at = await startRedis();
    try {
      const ports = await getFreePorts(2);
      const early = exitOf(spawn(process.execPath, [BIN, 'serve', '--zones', zones, '--port', String(ports[0]), '--http-port', String(ports[1]), '--store', `${at.url}/99`], { stdio: ['ignore', 'ignore', 'pipe'] }));
      const { code, stderr } = await early;
      expect(code).toBe(2);
      expect(stderr).toMatch(refusal);
      expect(stderr.trim().split('\n')).toHaveLength(1);
    } finally {
      await at.stop();
    }

    const ports = await getFreePorts(2);
    const child = spawn(process.execPath, [BIN, 'serve', '--zones', zones, '--port', String(ports[0]), '--http-port', String(ports[1]), '--store', `redis://127.0.0.1:${late}/99`, '--store-wait', '200'], { stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = exitOf(child);
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${ports[1]}/healthz`)).status === 200, 'DNS open without the store');
      redises.push(await startRedis({ port: late }));
      const { code, stderr } = await exited;
      expect(code).toBe(2);
      expect(stderr).toMatch(refusal);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
