// The staleness ledger in a running server: resolvers are dig processes asking
// from different loopback addresses; a flip is an operator forcing the primary
// down. Checked through the admin API, the CLI and /metrics, for one process
// and for --workers (the primary merges what its workers saw).

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StalenessView } from '../../src/measure/ledger/view.js';
import { runCli } from '../cli/run-cli.js';
import { type FlipdnsHandle, startFlipdns } from '../helpers/flipdns.js';
import { type RedisHandle, startRedis } from '../helpers/redis.js';
import { MINIMAL_ZONE, failoverPoolsFile, zoneDir } from '../helpers/zones.js';

const run = promisify(execFile);
const ADMIN_TOKEN = 'ledger-e2e-admin-token';
const TTL = 5;
const ZONE = `${MINIMAL_ZONE}www  A   192.0.2.10
`;
// Nodes that promise a beat a minute stay unknown (so up, by the startup rule) for the whole test.
const POOLS = failoverPoolsFile({ ttl: TTL });

async function digFrom(server: FlipdnsHandle, source: string, name = 'app.example.test'): Promise<string> {
  return (await run('dig', ['-b', source, '@127.0.0.1', '-p', String(server.port), '+short', '+time=2', '+tries=1', name])).stdout.trim();
}

async function staleness(server: FlipdnsHandle): Promise<StalenessView> {
  const res = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/staleness`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as StalenessView;
}

function cli(server: FlipdnsHandle, ...args: string[]) {
  return runCli(args, { FLIPDNS_SERVER: `http://127.0.0.1:${server.httpPort}`, FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN });
}

describe('the staleness ledger in a running server', () => {
  let server: FlipdnsHandle;

  beforeAll(async () => {
    server = await startFlipdns(zoneDir({ 'example.test.zone': ZONE, 'app.pools.json': POOLS }), ['--admin-token', ADMIN_TOKEN]);
  });
  afterAll(() => server?.stop());

  it('tells which resolvers may hold the old answer after a flip, until when, and when they asked again', async () => {
    const asked: Record<string, number> = {};
    for (const source of ['127.0.0.2', '127.0.0.3']) {
      asked[source] = Date.now();
      expect(await digFrom(server, source)).toBe('192.0.2.21');
    }
    // A static name costs the ledger nothing and never shows in it.
    expect(await digFrom(server, '127.0.0.4', 'www.example.test')).toBe('192.0.2.10');
    expect((await cli(server, 'node', 'force', 'web1', 'down', '--reason', 'ledger test')).code).toBe(0);
    expect(await digFrom(server, '127.0.0.2')).toBe('192.0.2.22');

    const view = await staleness(server);
    expect(view).toMatchObject({ instance: 'test-instance', processes: 1, tracked: 2 });
    const [pool] = view.pools;
    expect(pool).toMatchObject({ key: 'app.example.test./A', values: ['192.0.2.22'], resolvers: 2 });
    const [flip] = pool.flips;
    expect(flip).toMatchObject({ previous: ['192.0.2.21'], values: ['192.0.2.22'], ttl: TTL, staleResolvers: 2 });
    for (const window of flip.resolvers) {
      // Served a moment after dig started, with our TTL; the bound allows for whole-second resolver clocks.
      expect(window.lastServed - asked[window.resolver]).toBeGreaterThanOrEqual(-50);
      expect(window.lastServed - asked[window.resolver]).toBeLessThan(2000);
      expect(window.bound - window.lastServed).toBe((TTL + 1) * 1000);
    }
    const byResolver = Object.fromEntries(flip.resolvers.map((w) => [w.resolver, w]));
    expect(byResolver['127.0.0.2']).toMatchObject({ class: 'early' });
    expect(byResolver['127.0.0.3']).toMatchObject({ class: 'watching' });

    const text = await cli(server, 'staleness', 'app.example.test');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('2 resolvers may have held the old answer');
    expect(text.stdout).toMatch(/127\.0\.0\.2 .* early/);
    const json = JSON.parse((await cli(server, 'staleness', '--json')).stdout) as StalenessView;
    expect(json.pools[0].flips[0].staleResolvers).toBe(2);
    const missing = await cli(server, 'staleness', 'nothing.example.test');
    expect(missing).toMatchObject({ code: 1 });
    expect(missing.stderr).toContain('no answer of pool nothing.example.test./A');

    const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^flipdns_staleness_window_seconds_count 2$/m);
    expect(metrics).toMatch(/^flipdns_staleness_resolvers_possibly_stale\{name="app\.example\.test\.",type="A"\} [12]$/m);
    expect(metrics).toMatch(/^flipdns_staleness_requery_delay_seconds_count\{class="early"\} 1$/m);
    expect(metrics).toMatch(/^flipdns_staleness_resolvers_tracked 2$/m);
    // A second scrape observes nothing twice.
    expect(await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text()).toMatch(/^flipdns_staleness_window_seconds_count 2$/m);
  });
});

describe('the staleness ledger with --workers', () => {
  let redis: RedisHandle;
  let server: FlipdnsHandle;

  beforeAll(async () => {
    redis = await startRedis();
    server = await startFlipdns(zoneDir({ 'example.test.zone': ZONE, 'app.pools.json': POOLS }), ['--admin-token', ADMIN_TOKEN, '--store', redis.url, '--workers', '2']);
  });
  afterAll(async () => {
    await server?.stop();
    await redis?.stop();
  });

  it('merges what every worker saw: each resolver once, its latest answer bounding its window', async () => {
    const sources = ['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'];
    // Several queries each, so that each source is likely served by both workers.
    for (let round = 0; round < 4; round++) for (const source of sources) expect(await digFrom(server, source)).toBe('192.0.2.21');
    const lastAsked = Date.now();
    expect((await cli(server, 'node', 'force', 'web1', 'down', '--reason', 'ledger test')).code).toBe(0);
    let view: StalenessView | undefined;
    for (const deadline = Date.now() + 5000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 50))) {
      view = await staleness(server);
      if ((view.pools[0]?.flips.length ?? 0) > 0) break;
    }
    expect(view!.processes).toBe(2);
    const [flip] = view!.pools[0].flips;
    expect(flip.resolvers.map((w) => w.resolver).sort()).toEqual(sources);
    for (const window of flip.resolvers) expect(window.lastServed).toBeLessThanOrEqual(lastAsked + 50);
  });
});
