// The system a drill fails over: flipdns serving a zone with a failover pool of
// two members, the primary and the backup; one instance on the embedded store,
// or two sharing a redis-server; a small TCP listener standing in for each
// node; a `flipdns agent` per node checking its listener. Everything is driven
// as an operator would: the real binary, its flags, its admin API, DNS.

import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { type Server, type Socket, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { StatusView } from '../../api/context.js';
import { ask } from '../probe/observe.js';
import type { Lab, LabProcess } from './lab.js';
import { getFreePorts } from './ports.js';
import { startLabRedis } from './redis.js';

const BIN = fileURLToPath(new URL('../../../bin/flipdns', import.meta.url));
const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 20_000;

export const ZONE = 'example.test';
export const POOL_NAME = `app.${ZONE}`;
/** Documentation addresses: answered, never contacted. */
export const PRIMARY = '192.0.2.21';
export const BACKUP = '192.0.2.22';

export interface WorldOptions {
  ttl: number;
  intervalMs: number;
  fall: number;
  rise: number;
  ttlPolicy: 'static' | 'adaptive';
  store: 'embedded' | 'redis';
}

export interface FlipdnsInstance {
  id: string;
  dnsPort: number;
  api: string;
  process: LabProcess;
}

/** `check`: the primary's service stops, its agent sees it; `node`: the whole node vanishes, agent included. */
export type Fault = 'check' | 'node';

export interface World {
  instances: FlipdnsInstance[];
  adminToken: string;
  /** Stops the primary as `fault` says; resolves with the moment it happened (wall-clock ms). */
  failPrimary(fault: Fault, now: () => number): Promise<number>;
  status(instance: FlipdnsInstance): Promise<StatusView>;
  /** Closes the stand-in listeners (the lab stops the processes). */
  close(): Promise<void>;
}

export async function buildWorld(lab: Lab, options: WorldOptions): Promise<World> {
  const adminToken = randomBytes(18).toString('base64url');
  const tokens = { web1: randomBytes(18).toString('base64url'), web2: randomBytes(18).toString('base64url') };
  const zones = lab.path('zones');
  writeZones(zones, options, tokens);

  const redis = options.store === 'redis' ? await startLabRedis(lab) : undefined;
  const count = redis ? 2 : 1;
  const ports = await getFreePorts(count * 2, HOST);
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FLIPDNS_')));
  const instances = Array.from({ length: count }, (_, i): FlipdnsInstance => {
    const id = `drill-${String.fromCharCode(97 + i)}`;
    const [dnsPort, httpPort] = [ports[2 * i], ports[2 * i + 1]];
    const args = ['serve', '--zones', zones, '--host', HOST, '--port', String(dnsPort), '--http-port', String(httpPort), '--id', id, '--admin-token', adminToken];
    if (redis) args.push('--store', redis.url);
    return { id, dnsPort, api: `http://${HOST}:${httpPort}`, process: lab.spawn(id, process.execPath, [BIN, ...args], env) };
  });
  await Promise.all(instances.map((instance) => waitForDns(instance)));

  const standIns = { web1: await listen(), web2: await listen() };
  const servers = instances.flatMap((instance) => ['--server', instance.api]);
  const agents = Object.fromEntries(
    (['web1', 'web2'] as const).map((node) => [
      node,
      lab.spawn(`agent-${node}`, process.execPath, [BIN, 'agent', '--node', node, '--token', tokens[node], ...servers, '--check-tcp', `${HOST}:${standIns[node].port}`, '--interval', String(options.intervalMs)], env),
    ]),
  ) as Record<'web1' | 'web2', LabProcess>;

  const status = async (instance: FlipdnsInstance): Promise<StatusView> => {
    const res = await fetch(`${instance.api}/api/v1/status`, { headers: { authorization: `Bearer ${adminToken}` } });
    if (res.status !== 200) throw new Error(`${instance.id}: status answered HTTP ${res.status}`);
    return (await res.json()) as StatusView;
  };
  await waitFor(async () => (await status(instances[0])).nodes.filter((node) => node.health === 'up').length === 2, 'both nodes up, their agents beating', () => agents.web1.tail(3));
  // Nodes declared before their agents run may have gone down and up once; an adaptive pool answers
  // with its short TTL for one TTL after that. The drill starts from a steady pool.
  await waitFor(
    async () => (await status(instances[0])).pools.every((pool) => pool.answerTtl === pool.ttl),
    'the pool to settle (one TTL after its last change)',
    () => '',
    (options.ttl + 5) * 1000,
  );

  return {
    instances,
    adminToken,
    async failPrimary(fault, now) {
      const at = now();
      if (fault === 'node') agents.web1.child.kill('SIGKILL');
      standIns.web1.close();
      return at;
    },
    status,
    async close() {
      await Promise.all(Object.values(standIns).map((standIn) => standIn.close()));
    },
  };
}

function writeZones(dir: string, options: WorldOptions, tokens: Record<string, string>): void {
  const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}/${ZONE}.zone`, `$ORIGIN ${ZONE}.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 60\n@ NS ns1\nns1 A 192.0.2.1\n`);
  const pools = {
    nodes: Object.entries(tokens).map(([id, token]) => ({ id, intervalMs: options.intervalMs, fall: options.fall, rise: options.rise, tokenSha256: sha256(token) })),
    pools: [
      {
        name: `${POOL_NAME}.`,
        type: 'A',
        policy: 'failover',
        ttl: options.ttl,
        ttlPolicy: options.ttlPolicy,
        members: [
          { id: 'web1', node: 'web1', value: PRIMARY, priority: 0 },
          { id: 'web2', node: 'web2', value: BACKUP, priority: 1 },
        ],
      },
    ],
  };
  writeFileSync(`${dir}/${ZONE}.pools.json`, JSON.stringify(pools, null, 2));
}

/** A listener standing in for a node's service: accepts and closes; `close()` also drops open connections. */
async function listen(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve());
  });
  let closed: Promise<void> | undefined;
  return {
    port: (server.address() as { port: number }).port,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

async function waitForDns(instance: FlipdnsInstance): Promise<void> {
  await waitFor(
    async () => (await ask({ label: instance.id, host: HOST, port: instance.dnsPort }, { name: POOL_NAME, type: 'A' }, 300)).rcode !== undefined,
    `${instance.id} to answer DNS`,
    () => (instance.process.running() ? instance.process.tail(5) : `exited: ${instance.process.tail(10)}`),
  );
}

async function waitFor(check: () => Promise<boolean>, what: string, detail: () => string, timeoutMs = READY_TIMEOUT_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}: ${detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
