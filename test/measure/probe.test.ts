// The probe against real resolvers started by the test: unbound in each
// variant and BIND as a forwarder, all with a stub or forward zone to one
// flipdns serving a pool of TTL 20 (long enough for prefetching to show).
// Each must be classified as what it is, and after a flip each must be seen
// to give up the old answer no later than its cache allows.

import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../../src/measure/drill/lab.js';
import { ALL_VARIANTS, type RunningResolver, expectedBehaviour, startResolver } from '../../src/measure/drill/resolvers.js';
import { type ProbeReport, runProbe } from '../../src/measure/probe/probe.js';
import { runCli } from '../cli/run-cli.js';
import { type FlipdnsHandle, startFlipdns } from '../helpers/flipdns.js';
import { MINIMAL_ZONE, failoverPoolsFile, zoneDir } from '../helpers/zones.js';

const TTL = 20;
const ADMIN_TOKEN = 'probe-test-admin-token';
const POOLS = failoverPoolsFile({ ttl: TTL });

describe('flipdns probe against real resolvers', () => {
  let server: FlipdnsHandle;
  let lab: Lab;
  let resolvers: RunningResolver[];
  let report: ProbeReport;

  beforeAll(async () => {
    server = await startFlipdns(zoneDir({ 'example.test.zone': MINIMAL_ZONE, 'app.pools.json': POOLS }), ['--admin-token', ADMIN_TOKEN]);
    lab = new Lab();
    resolvers = await Promise.all(
      ALL_VARIANTS.map((variant, i) => startResolver(lab, { variant, source: `127.0.1.${i + 1}`, zone: 'example.test', authorities: [{ host: '127.0.0.1', port: server.port }] })),
    );
    // The primary is forced down 3 s in: a flip the probe sees at the authority and through each resolver.
    const flip = setTimeout(() => {
      void fetch(`http://127.0.0.1:${server.httpPort}/api/v1/nodes/web1/admin`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ state: 'force-down', reason: 'probe test' }),
      });
    }, 3000);
    report = await runProbe({
      question: { name: 'app.example.test', type: 'A' },
      resolvers: resolvers.map((r) => r.target),
      authority: { label: 'flipdns', host: '127.0.0.1', port: server.port },
      intervalMs: 50,
      durationMs: (TTL + 4) * 1000,
    });
    clearTimeout(flip);
  }, 60_000);

  afterAll(async () => {
    await lab?.close();
    await server?.stop();
  });

  it('classifies each resolver as what it is, with evidence', () => {
    expect(report.ttl).toBe(TTL);
    const classes = Object.fromEntries(report.resolvers.map((r) => [r.resolver, r.class]));
    expect(classes).toEqual(Object.fromEntries(ALL_VARIANTS.map((variant) => [variant, expectedBehaviour(variant, TTL)])));
    for (const r of report.resolvers) {
      expect(r.failures).toBe(0);
      expect(r.seen[0].first.what.length).toBeGreaterThan(10);
    }
  });

  it('sees the flip at the authority, and each resolver give up the old answer no later than its cache allows', () => {
    expect(report.changes).toHaveLength(1);
    expect(report.changes[0]).toMatchObject({ from: ['192.0.2.21'], to: ['192.0.2.22'] });
    for (const r of report.resolvers) {
      const [after] = r.afterChanges;
      const cap = r.resolver === 'unbound-clamp' ? 30 : TTL;
      // A copy fetched just before the flip lives its TTL plus the whole second its clock counts in.
      expect(after.staleMs).toBeLessThanOrEqual((cap + 1) * 1000 + 100);
      if (r.resolver !== 'unbound-clamp') expect(after.stableNew).toBeDefined();
    }
  });

  it('is a command: JSON out, one line and exit 1 for resolvers that never answer', async () => {
    const unbound = resolvers[0].target;
    const json = await runCli(['probe', 'app.example.test', '--resolver', `${unbound.host}:${unbound.port}`, '--authority', `127.0.0.1:${server.port}`, '--duration', '2', '--json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ ttl: TTL, resolvers: [{ resolver: `${unbound.host}:${unbound.port}`, failures: 0 }] });

    // --system reads nameserver lines; nothing listens on this loopback address.
    const resolvConf = lab.path('resolv.conf');
    writeFileSync(resolvConf, 'search example.test\nnameserver 127.0.9.9\n');
    const silent = await runCli(['probe', 'app.example.test', '--system', '--resolv-conf', resolvConf, '--ttl', '5', '--duration', '1', '--interval', '500']);
    expect(silent.code).toBe(1);
    expect(silent.stdout).toContain('127.0.9.9:53');
    expect(silent.stderr).toBe('flipdns: no answer at all from 127.0.9.9:53\n');

    const noAuthority = await runCli(['probe', 'app.example.test', '--resolver', '127.0.0.1', '--authority', '127.0.9.9:53', '--duration', '1']);
    expect(noAuthority.code).toBe(3);
    expect(noAuthority.stderr).toMatch(/^flipdns: the authority 127\.0\.9\.9:53 gave no answer for app\.example\.test A \(ETIMEDOUT\): give --authority/);
  });
});
