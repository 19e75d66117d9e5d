// One decider per deployment, handed over without loss on a clean stop: the
// lease is released on SIGTERM (a rolling restart loses no detection time),
// and --workers N with Redis holds the lease in the primary only.

import { afterEach, describe, expect, it } from 'vitest';
import { type FlipdnsHandle, startFlipdns } from '../helpers/flipdns.js';
import { type RedisHandle, startRedis } from '../helpers/redis.js';
import { MINIMAL_ZONE, zoneDir } from '../helpers/zones.js';
import { waitFor } from '../helpers/wait.js';

/** The lease of health/decider.ts, renewed every second: without a release, a takeover waits for it to expire. */
const LEASE_MS = 3000;
const RENEW_MS = 1000;
const TAKES_DECISIONS = '"msg":"this instance now makes the health decisions"';

async function leads(server: FlipdnsHandle): Promise<boolean> {
  const body = (await (await fetch(`http://127.0.0.1:${server.httpPort}/healthz`)).json()) as { decider: boolean };
  return body.decider;
}

describe('the decider lease', () => {
  let redis: RedisHandle | undefined;
  const servers: FlipdnsHandle[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.stop()));
    await redis?.stop();
  });

  it('is released on SIGTERM: the other instance decides before the lease could have expired', async () => {
    redis = await startRedis();
    const dir = zoneDir({ 'example.test.zone': MINIMAL_ZONE });
    const first = await startFlipdns(dir, ['--store', redis.url, '--id', 'dns-a']);
    servers.push(first);
    await waitFor(() => leads(first), 'the first instance to lead');
    const second = await startFlipdns(dir, ['--store', redis.url, '--id', 'dns-b']);
    servers.push(second);
    // Let the first renew once more, so that its lease has a full LEASE_MS to run.
    await new Promise((resolve) => setTimeout(resolve, RENEW_MS + 200));
    expect(await leads(second)).toBe(false);

    const stopped = performance.now();
    await first.stop();
    expect(first.logs.some((line) => line.includes('"msg":"stopped making the health decisions"'))).toBe(true);
    await waitFor(() => leads(second), 'the second instance to lead');
    // Without the release the second would wait for the lease: at least LEASE_MS - RENEW_MS after the last renewal.
    expect(performance.now() - stopped).toBeLessThan(LEASE_MS - RENEW_MS);
  });

  it('is held by the primary alone with --workers 2: one decider per deployment', async () => {
    redis = await startRedis();
    const server = await startFlipdns(zoneDir({ 'example.test.zone': MINIMAL_ZONE }), ['--store', redis.url, '--workers', '2']);
    servers.push(server);
    await waitFor(() => leads(server), 'the primary to lead');
    // Every process that tried for the lease has tried by now (they renew every RENEW_MS).
    await new Promise((resolve) => setTimeout(resolve, 2 * RENEW_MS));
    expect(server.logs.filter((line) => line.includes(TAKES_DECISIONS))).toHaveLength(1);
    const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^flipdns_decider_leader 1$/m);
  });
});
