// The product, end to end: two flipdns instances sharing a real redis-server,
// heartbeats over HTTP, and the answer a client gets when a member stops.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryUdp } from '../helpers/dns.js';
import { type FlipdnsHandle, startFlipdns } from '../helpers/flipdns.js';
import { type RedisHandle, startRedis } from '../helpers/redis.js';
import { zoneDir } from '../helpers/zones.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);

const INTERVAL_MS = 100;
const FALL = 3;
const RISE = 2;
const PRIMARY = '192.0.2.21';
const BACKUP = '192.0.2.22';
const ADMIN_TOKEN = 'e2e-admin-token';
const TOKENS: Record<string, string> = { web1: 'web1-secret', web2: 'web2-secret' };

const ZONE = `$TTL 300
@    SOA ns1 hostmaster 1 3600 600 86400 60
@    NS  ns1
ns1  A   192.0.2.1
`;

const POOLS = JSON.stringify({
  nodes: Object.entries(TOKENS).map(([id, token]) => ({ id, intervalMs: INTERVAL_MS, fall: FALL, rise: RISE, tokenSha256: createHash('sha256').update(token).digest('hex') })),
  pools: [
    {
      name: 'app.example.test.',
      type: 'A',
      policy: 'failover',
      members: [
        { id: 'web1', node: 'web1', value: PRIMARY, priority: 0 },
        { id: 'web2', node: 'web2', value: BACKUP, priority: 1 },
      ],
    },
  ],
});

async function answer(server: FlipdnsHandle): Promise<string[]> {
  const { packet } = await queryUdp(server.port, { name: 'app.example.test' }, { timeoutMs: 500 });
  return (packet!.answers ?? []).map((a) => String((a as { data: unknown }).data));
}

async function beat(server: FlipdnsHandle, node: string, token = TOKENS[node]): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/nodes/${node}/heartbeat`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

async function health(server: FlipdnsHandle): Promise<Record<string, unknown>> {
  return (await fetch(`http://127.0.0.1:${server.httpPort}/healthz`)).json() as Promise<Record<string, unknown>>;
}

async function nodeHealth(server: FlipdnsHandle, node: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const status = (await res.json()) as { nodes: Array<{ id: string; health: string }> };
  return status.nodes.find((n) => n.id === node)!.health;
}

/** Sends each listed node's heartbeats every interval, alternating between the instances, like agents would. */
class Beater {
  private readonly alive = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private turn = 0;
  lastAccepted: Record<string, number> = {};

  constructor(private readonly servers: () => FlipdnsHandle[]) {}

  start(...nodes: string[]): void {
    for (const node of nodes) this.alive.add(node);
    this.timer ??= setInterval(() => void this.tick(), INTERVAL_MS);
  }

  stop(node: string): void {
    this.alive.delete(node);
  }

  halt(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    const servers = this.servers();
    for (const node of this.alive) {
      const server = servers[this.turn++ % servers.length];
      if ((await beat(server, node).catch(() => 0)) === 200) this.lastAccepted[node] = performance.now();
    }
  }
}

describe('pools over Redis, two instances', () => {
  let redis: RedisHandle;
  let a: FlipdnsHandle;
  let b: FlipdnsHandle;
  let dir: string;
  const beater = new Beater(() => [a, b]);
  const args = (): string[] => ['--store', redis.url, '--admin-token', ADMIN_TOKEN];

  beforeAll(async () => {
    redis = await startRedis();
    dir = zoneDir({ 'example.test.zone': ZONE, 'app.pools.json': POOLS });
    a = await startFlipdns(dir, args());
    b = await startFlipdns(dir, args());
    beater.start('web1', 'web2');
    await waitFor(async () => (await nodeHealth(a, 'web1')) === 'up' && (await nodeHealth(a, 'web2')) === 'up', 'both nodes up');
  });

  afterAll(async () => {
    beater.halt();
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });

  it('answers the primary on both instances while it beats', async () => {
    expect(await answer(a)).toEqual([PRIMARY]);
    expect(await answer(b)).toEqual([PRIMARY]);
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(b.port), '+norec', 'app.example.test', 'A']);
    expect(stdout).toMatch(/flags: qr aa;/);
    expect(stdout).toMatch(/^app\.example\.test\.\s+5\s+IN\s+A\s+192\.0\.2\.21$/m);
  });

  it('refuses a heartbeat with a wrong token or another node\'s token, and changes nothing', async () => {
    expect(await beat(a, 'web1', 'not-the-token')).toBe(403);
    expect(await beat(a, 'web1', TOKENS.web2)).toBe(403);
    expect(await beat(a, 'web1', '')).toBe(401);
    expect(await nodeHealth(a, 'web1')).toBe('up');
  });

  it('flips both instances to the backup within fall × interval + 100 ms of the primary\'s last heartbeat', async () => {
    beater.stop('web1');
    await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS)); // let an in-flight beat land
    const last = beater.lastAccepted.web1;
    const flippedAt: Record<string, number> = {};
    await waitFor(async () => {
      for (const [name, server] of [['a', a], ['b', b]] as const) {
        if (flippedAt[name] === undefined && (await answer(server))[0] === BACKUP) flippedAt[name] = performance.now();
      }
      return flippedAt.a !== undefined && flippedAt.b !== undefined;
    }, 'the backup on both instances');
    const budget = FALL * INTERVAL_MS + 100;
    expect(flippedAt.a - last).toBeLessThanOrEqual(budget);
    expect(flippedAt.b - last).toBeLessThanOrEqual(budget);
    const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(a.port), '+short', 'app.example.test']);
    expect(stdout).toBe(`${BACKUP}\n`);
  });

  it('exports how long detection and propagation took', async () => {
    const metrics = await Promise.all([a, b].map(async (server) => (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text()));
    const count = (text: string, name: string): number => Number(new RegExp(`^${name}_count (\\d+)`, 'm').exec(text)?.[1] ?? 0);
    // One instance decided; both served the decision.
    expect(metrics.map((text) => count(text, 'flipdns_detection_seconds')).reduce((x, y) => x + y)).toBeGreaterThanOrEqual(1);
    for (const text of metrics) {
      expect(count(text, 'flipdns_propagation_seconds')).toBeGreaterThanOrEqual(1);
      expect(text).toMatch(/flipdns_node_transitions_total\{node="web1",to="down"\} [1-9]/);
      expect(text).toMatch(/flipdns_pool_member_available\{name="app\.example\.test\.",type="A",member="web1"\} 0/);
      expect(text).toMatch(/flipdns_store_connected 1/);
    }
  });

  it('flips back only after rise consecutive heartbeats', async () => {
    expect(await beat(a, 'web1')).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await answer(a)).toEqual([BACKUP]);
    expect(await answer(b)).toEqual([BACKUP]);
    expect(await beat(b, 'web1')).toBe(200);
    await waitFor(async () => (await answer(a))[0] === PRIMARY && (await answer(b))[0] === PRIMARY, 'the primary again', 2000);
    beater.start('web1');
  });

  it('does not flip a member that misses every other beat (fewer misses than fall)', async () => {
    beater.stop('web1');
    const flips = async (): Promise<number> => {
      const metrics = await (await fetch(`http://127.0.0.1:${a.httpPort}/metrics`)).text();
      return [...metrics.matchAll(/flipdns_node_transitions_total\{node="web1",to="down"\} (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
    };
    const before = await flips();
    for (let i = 0; i < 10; i++) {
      if (i % 2 === 0) expect(await beat(i % 4 === 0 ? a : b, 'web1')).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, INTERVAL_MS));
      expect((await answer(a))[0]).toBe(PRIMARY);
    }
    expect(await flips()).toBe(before);
    beater.start('web1');
  });

  it('keeps answering the last state with no flips while Redis is down, says degraded, and resyncs when it is back', async () => {
    await redis.kill();
    await waitFor(async () => (await health(a)).status === 'degraded' && (await health(b)).status === 'degraded', '/healthz degraded');
    expect(await beat(a, 'web1')).toBe(503);
    // Far longer than fall × interval without a recorded beat: still no flip.
    await new Promise((resolve) => setTimeout(resolve, 4 * FALL * INTERVAL_MS));
    expect(await answer(a)).toEqual([PRIMARY]);
    expect(await answer(b)).toEqual([PRIMARY]);

    await redis.restart();
    await waitFor(async () => (await health(a)).status === 'ok' && (await health(b)).status === 'ok', '/healthz ok again');
    await new Promise((resolve) => setTimeout(resolve, 2 * FALL * INTERVAL_MS));
    expect(await answer(a)).toEqual([PRIMARY]);
    expect(await answer(b)).toEqual([PRIMARY]);

    // Detection works again.
    beater.stop('web1');
    await waitFor(async () => (await answer(a))[0] === BACKUP && (await answer(b))[0] === BACKUP, 'the backup after the outage');
  });

  it('a restarted instance never hands out the dead member, not even its first answer', async () => {
    expect(await nodeHealth(a, 'web1')).toBe('down');
    await b.stop();
    b = await startFlipdns(dir, args());
    expect(await answer(b)).toEqual([BACKUP]);
  });
});

describe('pools over Redis with --workers 2', () => {
  it('takes heartbeats and operator changes at the primary and serves them from every worker', async () => {
    const redis = await startRedis();
    const dir = zoneDir({ 'example.test.zone': ZONE, 'app.pools.json': POOLS });
    const server = await startFlipdns(dir, ['--store', redis.url, '--admin-token', ADMIN_TOKEN, '--workers', '2']);
    try {
      await waitFor(async () => (await fetch(`http://127.0.0.1:${server.httpPort}/healthz`)).status === 200, 'workers ready');
      expect(await beat(server, 'web1')).toBe(200);
      expect(await beat(server, 'web2')).toBe(200);
      const force = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/nodes/web1/admin`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        body: JSON.stringify({ state: 'force-down', reason: 'e2e' }),
      });
      expect(force.status).toBe(200);
      // Every answer, whichever worker takes it, is the backup.
      await waitFor(async () => {
        const answers = await Promise.all(Array.from({ length: 10 }, () => answer(server)));
        return answers.every((a) => a[0] === BACKUP);
      }, 'the backup from every worker');
      // /metrics holds what the primary took (heartbeats, the operator's change) with what the workers served, each counted once.
      const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
      expect(metrics).toMatch(/^flipdns_node_reports_total\{report="heartbeat",result="accepted"\} 2$/m);
      expect(metrics).toMatch(/^flipdns_admin_changes_total\{kind="node-admin"\} 1$/m);
      expect(metrics).toMatch(/^flipdns_pool_member_available\{name="app\.example\.test\.",type="A",member="web1"\} 0$/m);
      // Each process counts the changes it saw (how many depends on when the single beats expire); merged by maximum, never summed.
      const changesPerProcess = new Map<number, number>();
      for (const line of server.logs.filter((l) => l.includes('"msg":"pool answer changed"'))) {
        const { pid } = JSON.parse(line) as { pid: number };
        changesPerProcess.set(pid, (changesPerProcess.get(pid) ?? 0) + 1);
      }
      expect(metrics).toMatch(new RegExp(`^flipdns_pool_answer_changes_total\\{name="app\\.example\\.test\\.",type="A"\\} ${Math.max(...changesPerProcess.values())}$`, 'm'));
    } finally {
      await server.stop();
      await redis.stop();
    }
    await waitFor(async () => server.leftovers().length === 0, 'the workers to exit with their primary');
  });
});

/**
 * Environment that shifts every clock a process reads (libfaketime, preloaded
 * into node itself so that stopping the instance stops that very process).
 */
function fakeClock(offset: string): NodeJS.ProcessEnv {
  const library = ['x86_64-linux-gnu', 'aarch64-linux-gnu'].map((arch) => `/usr/lib/${arch}/faketime/libfaketime.so.1`).find((path) => existsSync(path));
  if (library === undefined) throw new Error('libfaketime is missing: apt-get install faketime (.ci/run does)');
  return { LD_PRELOAD: library, FAKETIME: offset };
}

describe('pools over Redis, instances whose clocks disagree', () => {
  it('makes no false flips and still detects a real failure when the deciding instance runs an hour ahead', async () => {
    const redis = await startRedis();
    const dir = zoneDir({ 'example.test.zone': ZONE, 'app.pools.json': POOLS });
    const args = ['--store', redis.url, '--admin-token', ADMIN_TOKEN];
    // Started first, so it holds the decider lease; libfaketime shifts every clock it reads.
    const ahead = await startFlipdns(dir, args, fakeClock('+1h'));
    const behind = await startFlipdns(dir, args, fakeClock('-1h'));
    const servers = [ahead, behind];
    const beater = new Beater(() => servers);
    try {
      // The shift took: each instance logs its own idea of the time.
      const loggedTime = (server: FlipdnsHandle): number => JSON.parse(server.logs[0]).time;
      expect(loggedTime(ahead) - Date.now()).toBeGreaterThan(50 * 60_000);
      expect(Date.now() - loggedTime(behind)).toBeGreaterThan(50 * 60_000);
      await waitFor(async () => (await health(ahead)).decider === true, 'the instance ahead to hold the decider lease');
      beater.start('web1', 'web2');
      await waitFor(async () => (await nodeHealth(behind, 'web1')) === 'up' && (await nodeHealth(behind, 'web2')) === 'up', 'both nodes up');
      for (let i = 0; i < 10; i++) {
        await new Promise((resolve) => setTimeout(resolve, FALL * INTERVAL_MS));
        expect(await answer(ahead)).toEqual([PRIMARY]);
        expect(await answer(behind)).toEqual([PRIMARY]);
      }
      expect(await nodeHealth(ahead, 'web1')).toBe('up');

      beater.stop('web1');
      await waitFor(async () => (await answer(ahead))[0] === BACKUP && (await answer(behind))[0] === BACKUP, 'the backup on both instances', 2000);
    } finally {
      beater.halt();
      await Promise.all(servers.map((server) => server.stop()));
      await redis.stop();
    }
  });
});
