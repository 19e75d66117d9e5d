// Checks from the DNS side: a node whose agent still beats while its service
// port is closed goes out of the answers once most instances' probes fail, and
// comes back when they pass; status, metrics and the CLI show each instance's
// verdict.

import { createHash } from 'node:crypto';
import { type Server, createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { queryUdp } from '../helpers/dns.js';
import { type FlipdnsHandle, startFlipdns } from '../helpers/flipdns.js';
import { getFreePorts } from '../helpers/ports.js';
import { type RedisHandle, startRedis } from '../helpers/redis.js';
import { MINIMAL_ZONE, zoneDir } from '../helpers/zones.js';
import { waitFor } from '../helpers/wait.js';

const ADMIN_TOKEN = 'e2e-admin-token-0123';
const TOKENS: Record<string, string> = { web1: 'web1-secret-token', web2: 'web2-secret-token' };
const CHECK = { intervalMs: 100, timeoutMs: 100, fall: 3, rise: 2 };

function poolsFile(servicePort: number): string {
  return JSON.stringify({
    nodes: Object.entries(TOKENS).map(([id, token]) => ({
      id,
      intervalMs: 100,
      fall: 3,
      rise: 2,
      tokenSha256: createHash('sha256').update(token).digest('hex'),
      ...(id === 'web1' && { check: { url: `tcp://127.0.0.1:${servicePort}`, ...CHECK } }),
    })),
    pools: [
      {
        name: 'app.example.test.',
        type: 'A',
        policy: 'failover',
        members: [
          { id: 'web1', node: 'web1', value: '192.0.2.21', priority: 0 },
          { id: 'web2', node: 'web2', value: '192.0.2.22', priority: 1 },
        ],
      },
    ],
  });
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.destroy()).listen(port, '127.0.0.1', () => resolve(server));
  });
}

interface NodeStatus {
  id: string;
  health: string;
  check?: { url: string; failing: boolean; verdicts: Array<{ instance: string; failing: boolean; reason?: string }> };
}

describe('server-side checks on two instances', () => {
  let redis: RedisHandle;
  let servers: FlipdnsHandle[] = [];
  let service: Server | undefined;
  let servicePort: number;
  let beats: NodeJS.Timeout;

  const answer = async (server: FlipdnsHandle): Promise<string | undefined> => {
    const { packet } = await queryUdp(server.port, { name: 'app.example.test' }, { timeoutMs: 500 });
    return (packet!.answers?.[0] as { data?: string } | undefined)?.data;
  };
  const nodes = async (server: FlipdnsHandle): Promise<NodeStatus[]> => {
    const response = await fetch(`http://127.0.0.1:${server.httpPort}/api/v1/nodes`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    return ((await response.json()) as { nodes: NodeStatus[] }).nodes;
  };
  const bothAnswer = async (value: string): Promise<boolean> => (await Promise.all(servers.map(answer))).every((got) => got === value);

  beforeAll(async () => {
    redis = await startRedis();
    [servicePort] = await getFreePorts(1);
    service = await listen(servicePort);
    const dir = zoneDir({ 'example.test.zone': MINIMAL_ZONE, 'app.pools.json': poolsFile(servicePort) });
    for (const id of ['dns-a', 'dns-b']) servers.push(await startFlipdns(dir, ['--store', redis.url, '--admin-token', ADMIN_TOKEN, '--id', id]));
    // The agents keep beating throughout: the machines are alive, only web1's service will stop.
    beats = setInterval(() => {
      for (const [node, token] of Object.entries(TOKENS)) {
        void fetch(`http://127.0.0.1:${servers[0].httpPort}/api/v1/nodes/${node}/heartbeat`, { method: 'POST', headers: { authorization: `Bearer ${token}` } }).then((r) => r.arrayBuffer(), () => undefined);
      }
    }, 100);
    await waitFor(async () => (await nodes(servers[0])).find((node) => node.id === 'web1')?.check?.verdicts.length === 2, 'both instances to give a verdict on web1');
  });

  afterAll(async () => {
    clearInterval(beats);
    await Promise.all(servers.map((server) => server.stop()));
    servers = [];
    if (service) await new Promise((resolve) => service!.close(resolve));
    await redis?.stop();
  });

  it('answers the primary while its service answers the probes', async () => {
    await waitFor(async () => (await nodes(servers[1])).every((node) => node.health === 'up'), 'both nodes up on their heartbeats');
    await waitFor(() => bothAnswer('192.0.2.21'), 'the primary on both instances');
    const web1 = (await nodes(servers[1])).find((node) => node.id === 'web1')!;
    expect(web1).toMatchObject({ health: 'up', check: { url: `tcp://127.0.0.1:${servicePort}`, failing: false } });
  });

  it('takes the node out when its port closes while its agent still beats, and says so per instance', async () => {
    await new Promise((resolve) => service!.close(resolve));
    service = undefined;
    await waitFor(() => bothAnswer('192.0.2.22'), 'the backup on both instances');
    const web1 = (await nodes(servers[0])).find((node) => node.id === 'web1')!;
    expect(web1.health).toBe('up');
    expect(web1.check!.failing).toBe(true);
    expect(web1.check!.verdicts).toEqual([
      { instance: 'dns-a', failing: true, reason: `127.0.0.1:${servicePort}: ECONNREFUSED`, since: expect.any(Number) },
      { instance: 'dns-b', failing: true, reason: `127.0.0.1:${servicePort}: ECONNREFUSED`, since: expect.any(Number) },
    ]);
    const metrics = await (await fetch(`http://127.0.0.1:${servers[1].httpPort}/metrics`)).text();
    expect(metrics).toMatch(/^flipdns_node_check_failing\{node="web1",instance="dns-a"\} 1$/m);
    expect(metrics).toMatch(/^flipdns_node_check_failing\{node="web1",instance="dns-b"\} 1$/m);
    expect(metrics).toMatch(/^flipdns_node_check_probes_total\{node="web1",result="failed"\} [1-9]\d*$/m);
    const status = await runCli(['status', '--server', `http://127.0.0.1:${servers[0].httpPort}`, '--token', ADMIN_TOKEN]);
    expect(status.stdout).toContain(`web1 check tcp://127.0.0.1:${servicePort}: FAILING, out of answers (2 of 2 instances fail it)`);
  });

  it('brings it back when the probes pass rise times', async () => {
    service = await listen(servicePort);
    await waitFor(() => bothAnswer('192.0.2.21'), 'the primary again on both instances');
  });

  it('sets and removes a check at run time from the CLI', async () => {
    const [closedPort] = await getFreePorts(1);
    const server = `http://127.0.0.1:${servers[1].httpPort}`;
    const set = await runCli(['node', 'check', 'web2', `tcp://127.0.0.1:${closedPort}`, '--interval', '100', '--timeout', '100', '--server', server, '--token', ADMIN_TOKEN]);
    expect(set).toMatchObject({ code: 0, stdout: `node web2: checked at tcp://127.0.0.1:${closedPort} every 100 ms (timeout 100 ms), failing after 3, passing after 2\n` });
    await waitFor(async () => (await nodes(servers[0])).find((node) => node.id === 'web2')?.check?.failing === true, "web2's check failing on both instances");
    const refused = await runCli(['node', 'check', 'web2', 'udp://127.0.0.1:53', '--server', server, '--token', ADMIN_TOKEN]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toBe('flipdns: check: url: expected tcp://HOST:PORT or an http(s):// URL, got "udp://127.0.0.1:53"\n');
    expect(await runCli(['node', 'uncheck', 'web2', '--server', server, '--token', ADMIN_TOKEN])).toMatchObject({ code: 0, stdout: 'node web2: no server-side check\n' });
    await waitFor(async () => (await nodes(servers[0])).find((node) => node.id === 'web2')?.check === undefined, "web2's check gone");
    // The instances withdraw their verdicts with the check.
    await waitFor(async () => !(await (await fetch(`http://127.0.0.1:${servers[0].httpPort}/metrics`)).text()).includes('flipdns_node_check_failing{node="web2"'), "web2's verdicts gone");
  });
});
