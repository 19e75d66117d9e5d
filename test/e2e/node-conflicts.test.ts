// Two instances on one Redis whose pool files disagree about a node: the shared
// definition is never replaced from a file (that locked real agents out once);
// the disagreement is reported in the log, in status and /healthz, and as a
// metric, until the files and the store agree.

import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { type FlipdnsHandle, startFlipdns } from '../helpers/flipdns.js';
import { type RedisHandle, startRedis } from '../helpers/redis.js';
import { MINIMAL_ZONE, zoneDir } from '../helpers/zones.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123';

function poolsFile(token: string, intervalMs: number): string {
  return JSON.stringify({
    nodes: [{ id: 'web1', intervalMs, fall: 3, rise: 2, tokenSha256: createHash('sha256').update(token).digest('hex') }],
    pools: [{ name: 'app.example.test.', type: 'A', policy: 'failover', members: [{ id: 'web1', node: 'web1', value: '192.0.2.21' }] }],
  });
}

async function beat(server: FlipdnsHandle, token: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/nodes/web1/heartbeat`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
  await response.arrayBuffer();
  return response.status;
}

describe('pool files that disagree about a node', () => {
  let redis: RedisHandle;
  let first: FlipdnsHandle;
  let second: FlipdnsHandle;
  afterAll(async () => {
    await Promise.all([first?.stop(), second?.stop()]);
    await redis?.stop();
  });

  it('keep the shared definition, and report the conflict in the log, status, /healthz and a metric', async () => {
    redis = await startRedis();
    const args = ['--store', redis.url, '--admin-token', ADMIN_TOKEN];
    first = await startFlipdns(zoneDir({ 'example.test.zone': MINIMAL_ZONE, 'app.pools.json': poolsFile('the-real-token', 1000) }), [...args, '--id', 'dns-a']);
    await waitFor(async () => (await beat(first, 'the-real-token')) === 200, 'the first instance to register web1');
    second = await startFlipdns(zoneDir({ 'example.test.zone': MINIMAL_ZONE, 'app.pools.json': poolsFile('a-test-token', 500) }), [...args, '--id', 'dns-b']);

    const conflict = 'node web1: app.pools.json differs from the shared definition in token, intervalMs; the shared one stays (change it with flipdns node update web1)';
    await waitFor(() => second.logs.some((line) => line.includes(JSON.stringify(conflict))), 'the conflict in the log');
    // The shared definition stands: the real agent's token still beats on both instances, the file's does not.
    expect(await beat(second, 'the-real-token')).toBe(200);
    expect(await beat(first, 'the-real-token')).toBe(200);
    expect(await beat(second, 'a-test-token')).toBe(403);

    const status = (await (await fetch(`http://127.0.0.1:${second.httpPort}/api/v1/status`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).json()) as { problems: string[]; nodes: Array<{ id: string; intervalMs: number }> };
    expect(status.problems).toContain(conflict);
    expect(status.nodes.find((node) => node.id === 'web1')?.intervalMs).toBe(1000);
    const health = (await (await fetch(`http://127.0.0.1:${second.httpPort}/healthz`)).json()) as { status: string; problems: string[] };
    expect(health).toMatchObject({ status: 'degraded', problems: expect.arrayContaining([conflict]) });
    expect(await (await fetch(`http://127.0.0.1:${second.httpPort}/metrics`)).text()).toMatch(/^flipdns_node_definition_conflict\{node="web1"\} 1$/m);
    // The instance whose file agrees sees no conflict.
    expect(await (await fetch(`http://127.0.0.1:${first.httpPort}/metrics`)).text()).not.toMatch(/^flipdns_node_definition_conflict\{/m);
  });
});
