// The Redis connection options against real servers: TLS with a password, and
// a master found through Redis Sentinel. All on loopback, all started here.

import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { queryUdp } from '../helpers/dns.js';
import { type FlipdnsHandle, REPO, startFlipdns } from '../helpers/flipdns.js';
import { getFreePort } from '../helpers/ports.js';
import { redisServerBinary } from '../../src/measure/drill/redis.js';
import { startRedis } from '../helpers/redis.js';

/** Starts a Redis process and waits until redis-cli gets PONG through `cliArgs`. */
async function startRedisProcess(command: string, args: string[], cliArgs: string[]): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: 'ignore' });
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      if (execFileSync('redis-cli', [...cliArgs, 'ping'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes('PONG')) return child;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${command} did not start: ${args.join(' ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

async function servesPoolFromRedis(server: FlipdnsHandle): Promise<void> {
  const health = (await (await fetch(`http://127.0.0.1:${server.httpPort}/healthz`)).json()) as { store: { kind: string; connected: boolean }; generation: number };
  expect(health.store).toEqual({ kind: 'redis', connected: true });
  // The example pool file's two nodes were registered in this Redis.
  expect(health.generation).toBeGreaterThanOrEqual(2);
  expect((await queryUdp(server.port, { name: 'app.example.test' })).packet!.answers![0]).toMatchObject({ data: '192.0.2.21' });
}

describe('Redis connection options', () => {
  it('connects over TLS with a password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flipdns-redis-tls-'));
    const cert = join(dir, 'cert.pem');
    const key = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const port = await getFreePort();
    const redis = await startRedisProcess(
      redisServerBinary(),
      ['--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no', '--requirepass', 's3cret', '--save', '', '--dir', dir],
      ['--tls', '--cacert', cert, '-p', String(port), '-a', 's3cret', '--no-auth-warning'],
    );
    let server: FlipdnsHandle | undefined;
    try {
      server = await startFlipdns(join(REPO, 'zones'), ['--store', `rediss://127.0.0.1:${port}`, '--redis-password', 's3cret', '--admin-token', 'tls-test'], { NODE_EXTRA_CA_CERTS: cert });
      await servesPoolFromRedis(server);
    } finally {
      await server?.stop();
      await stopProcess(redis);
    }
  });

  it('finds the master through Redis Sentinel', async () => {
    const master = await startRedis();
    const dir = mkdtempSync(join(tmpdir(), 'flipdns-sentinel-'));
    const port = await getFreePort();
    const config = join(dir, 'sentinel.conf');
    writeFileSync(config, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor flipdns-test 127.0.0.1 ${master.port} 1`, ''].join('\n'));
    const sentinel = await startRedisProcess('redis-sentinel', [config], ['-p', String(port)]);
    let server: FlipdnsHandle | undefined;
    try {
      server = await startFlipdns(join(REPO, 'zones'), ['--store', 'redis://127.0.0.1', '--redis-sentinels', `127.0.0.1:${port}`, '--redis-sentinel-name', 'flipdns-test', '--admin-token', 'sentinel-test']);
      await servesPoolFromRedis(server);
      expect(execFileSync('redis-cli', ['-p', String(master.port), 'exists', 'flipdns:node:web1'], { encoding: 'utf8' }).trim()).toBe('1');
    } finally {
      await server?.stop();
      await stopProcess(sentinel);
      await master.stop();
    }
  });

  it('follows a Sentinel failover at once: heartbeats reach the new master long before the old one is demoted', async () => {
    const master = await startRedis();
    const replica = await startRedis();
    execFileSync('redis-cli', ['-p', String(replica.port), 'replicaof', '127.0.0.1', String(master.port)]);
    const dir = mkdtempSync(join(tmpdir(), 'flipdns-sentinel-'));
    const port = await getFreePort();
    const config = join(dir, 'sentinel.conf');
    writeFileSync(config, [`port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, `sentinel monitor flipdns-test 127.0.0.1 ${master.port} 1`, 'sentinel down-after-milliseconds flipdns-test 60000', ''].join('\n'));
    const sentinel = await startRedisProcess('redis-sentinel', [config], ['-p', String(port)]);
    const cli = (redisPort: number, ...args: string[]): string => execFileSync('redis-cli', ['-p', String(redisPort), ...args], { encoding: 'utf8' }).trim();
    let server: FlipdnsHandle | undefined;
    try {
      server = await startFlipdns(join(REPO, 'zones'), ['--store', 'redis://127.0.0.1', '--redis-sentinels', `127.0.0.1:${port}`, '--redis-sentinel-name', 'flipdns-test', '--admin-token', 'sentinel-test']);
      await servesPoolFromRedis(server);
      await waitUntil(() => cli(port, 'sentinel', 'replicas', 'flipdns-test').includes(String(replica.port)), 'the sentinel to see the replica', 15_000);
      const beat = () => fetch(`http://127.0.0.1:${server!.httpPort}/api/v1/nodes/web1/heartbeat`, { method: 'POST', headers: { authorization: 'Bearer web1-example-token' } }).catch(() => undefined);
      expect(cli(port, 'sentinel', 'failover', 'flipdns-test')).toBe('OK');
      await waitUntil(() => cli(replica.port, 'role').startsWith('master'), 'the replica promoted', 5_000);
      // From here only a write sent to the new master changes it (the old master no longer feeds it). Sentinel
      // reconfigures the old master only ~10 s later: that long, a client that does not follow +switch-master
      // keeps writing there.
      const promoted = cli(replica.port, 'hget', 'flipdns:node:web1', 'lastBeatAt');
      await waitUntil(async () => {
        await beat();
        return cli(replica.port, 'hget', 'flipdns:node:web1', 'lastBeatAt') !== promoted;
      }, 'a heartbeat written to the new master', 8_000);
    } finally {
      await server?.stop();
      await stopProcess(sentinel);
      await Promise.all([master.stop(), replica.stop()]);
    }
  }, 40_000);
});

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
