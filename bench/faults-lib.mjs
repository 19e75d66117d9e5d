// Shared pieces of bench/faults.mjs and bench/soak.mjs: a whole deployment on
// loopback (Redis, or a Redis primary + replica + 3 Sentinels; two flipdns
// instances sharing it; two `flipdns agent`s beating for the pool's two nodes),
// every process started here and tracked by PID so that it is stopped on
// success, failure and Ctrl-C; a DNS sampler that watches what each instance
// answers for the pool; a heartbeat prober that watches when each instance
// takes beats; dnsperf runs; log and /proc readers.
// Plain ESM JavaScript, run after `npm run build` (uses dist/ through bin/flipdns).

import { execFile, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { HOST, ROOT, findDnsperf, freePort, probe } from './lib.mjs';

export const ORIGIN = 'faults.test';
export const POOL = `app.${ORIGIN}`;
export const STATIC_NAME = `www.${ORIGIN}`;
export const VALUES = { web1: '192.0.2.21', web2: '192.0.2.22' };
export const INTERVAL_MS = 100;
export const FALL = 3;
export const RISE = 2;
export const ADMIN_TOKEN = 'faults-bench-admin-token';
const SENTINEL_NAME = 'faults';
/** A node the bench beats itself (never in a pool), to see when each instance takes heartbeats. */
export const INTAKE_NODE = 'intake';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const execFileP = (cmd, args, opts = {}) =>
  new Promise((resolve, reject) => execFile(cmd, args, { encoding: 'utf8', timeout: 3000, ...opts }, (err, stdout, stderr) => (err ? reject(Object.assign(err, { stderr })) : resolve(stdout))));

/** Progress lines go to stderr, so that stdout holds only the table or the JSON. */
export function say(...parts) {
  const t = new Date().toISOString().slice(11, 23);
  process.stderr.write(`[${t}] ${parts.join(' ')}\n`);
}

/** Thrown by a waitFor check that can never succeed (the process exited): no more polling. */
export class GiveUp extends Error {}

/** Polls `check` (sync or async, truthy = done) every `pollMs` until `timeoutMs`; returns its value or throws `what`. */
export async function waitFor(what, check, { timeoutMs = 15_000, pollMs = 20 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastErr;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      if (err instanceof GiveUp) throw new Error(`waiting for ${what}: ${err.message}`);
      lastErr = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? ` (${lastErr.message})` : ''}`);
    await sleep(pollMs);
  }
}

// ---------------------------------------------------------------------------
// Processes: every one started here is in the registry, stopped by its PID.

export class Procs {
  constructor() {
    /** @type {Set<{name: string, child: import('node:child_process').ChildProcess, pid: number, exited: Promise<void>}>} */
    this.live = new Set();
  }

  /** Spawns `cmd args`, stdout and stderr appended to `logFile` (or ignored). Own process group: Ctrl-C reaches the bench only, which stops everything in order. */
  spawn(name, cmd, args, { logFile, cwd = ROOT, env } = {}) {
    const fd = logFile ? openSync(logFile, 'a') : 'ignore';
    const child = spawn(cmd, args, { cwd, env: env ? { ...process.env, ...env } : process.env, stdio: ['ignore', fd, fd], detached: true });
    if (typeof fd === 'number') closeSync(fd);
    const handle = { name, child, pid: child.pid, exited: undefined, logFile };
    handle.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once('exit', () => resolve());
      child.once('error', () => resolve());
    });
    handle.exited.then(() => this.live.delete(handle));
    child.once('error', (err) => say(`cannot start ${name} (${cmd}): ${err.message}`));
    if (child.pid === undefined) throw new Error(`cannot start ${name}: ${cmd} not found?`);
    this.live.add(handle);
    return handle;
  }

  running(handle) {
    return handle !== undefined && handle.child.exitCode === null && handle.child.signalCode === null;
  }

  /** Sends `signal` to the process by its PID (SIGCONT first, so that a stopped one can act on it). */
  signal(handle, signal) {
    if (!this.running(handle)) return;
    try {
      if (signal !== 'SIGSTOP' && signal !== 'SIGCONT') process.kill(handle.pid, 'SIGCONT');
      process.kill(handle.pid, signal);
    } catch {
      // already gone
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. */
  async stop(handle, graceMs = 5000) {
    if (!this.running(handle)) return;
    this.signal(handle, 'SIGTERM');
    const done = await Promise.race([handle.exited.then(() => true), sleep(graceMs).then(() => false)]);
    if (!done) {
      this.signal(handle, 'SIGKILL');
      await handle.exited;
    }
  }

  async kill(handle) {
    if (!this.running(handle)) return;
    this.signal(handle, 'SIGKILL');
    await handle.exited;
  }

  /** Stops every live process: load and agents first, then flipdns, then Redis and Sentinels. */
  async stopAll() {
    const order = ['dnsperf', 'agent', 'flipdns', 'sentinel', 'redis'];
    const rank = (h) => {
      const i = order.findIndex((p) => h.name.startsWith(p));
      return i < 0 ? order.length : i;
    };
    const groups = new Map();
    for (const h of this.live) {
      const r = rank(h);
      if (!groups.has(r)) groups.set(r, []);
      groups.get(r).push(h);
    }
    for (const r of [...groups.keys()].sort((a, b) => a - b)) await Promise.all(groups.get(r).map((h) => this.stop(h)));
  }

  /** Last resort at process exit: SIGKILL by PID whatever is still running. */
  killAllSync() {
    for (const h of this.live) {
      try {
        process.kill(h.pid, 'SIGCONT');
        process.kill(h.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

/**
 * Runs `main(ctx)` with a temp dir and a process registry; whatever happens
 * (success, an error, SIGINT, SIGTERM, SIGHUP) every process started is stopped
 * and the dir removed (unless `keep`). Exits with main's outcome.
 */
export async function runWithCleanup(prefix, keep, main) {
  const dir = mkdtempDir(prefix);
  const procs = new Procs();
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    await procs.stopAll().catch((err) => say(`stopping processes: ${err.message}`));
    procs.killAllSync();
    if (keep) say(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  process.on('exit', () => {
    procs.killAllSync();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  });
  let interrupted = false;
  process.on('unhandledRejection', (err) => {
    if (interrupted) return;
    interrupted = true;
    process.stderr.write(`${err?.stack ?? err}\n`);
    void cleanup().finally(() => process.exit(1));
  });
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      say(`${sig}: stopping every process started here`);
      void cleanup().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
  try {
    await main({ dir, procs });
    await cleanup();
    process.exit(0);
  } catch (err) {
    if (interrupted) return new Promise(() => {});
    process.stderr.write(`${err.stack ?? err}\n`);
    await cleanup();
    process.exit(1);
  }
}

function mkdtempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

// ---------------------------------------------------------------------------
// Files: the zone, the pool file, the dnsperf query file

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
export const tokenOf = (node) => `faults-bench-token-${node}`;

export function zoneText(serial) {
  return [
    `$ORIGIN ${ORIGIN}.`,
    '$TTL 300',
    `@ IN SOA ns1 hostmaster ${serial} 7200 3600 1209600 300`,
    '@ IN NS ns1',
    '@ IN NS ns2',
    'ns1 IN A 192.0.2.1',
    'ns2 IN A 192.0.2.2',
    'www IN A 192.0.2.80',
    '',
  ].join('\n');
}

/** Rewrites the zone file with a new serial, atomically (a reload never reads half a file). */
export function writeZone(zonesDir, serial) {
  const file = join(zonesDir, `${ORIGIN}.zone`);
  writeFileSync(`${file}.tmp`, zoneText(serial));
  renameSync(`${file}.tmp`, file);
}

export function writeFiles(dir) {
  const zonesDir = join(dir, 'zones');
  mkdirSync(zonesDir, { recursive: true });
  writeZone(zonesDir, 1);
  const node = (id, intervalMs, fall, rise) => ({ id, intervalMs, fall, rise, tokenSha256: sha256(tokenOf(id)) });
  const pools = {
    nodes: [node('web1', INTERVAL_MS, FALL, RISE), node('web2', INTERVAL_MS, FALL, RISE), node(INTAKE_NODE, 60_000, 3, 1)],
    pools: [
      {
        name: `${POOL}.`,
        type: 'A',
        policy: 'failover',
        ttl: 5,
        failback: 'auto',
        // Not the default `all`: with both nodes down a failover pool would fail open to web1,
        // the healthy answer, and a sampler could not see it. NODATA shows it.
        allDown: 'nodata',
        startup: 'assume-up',
        members: [
          { id: 'web1', node: 'web1', value: VALUES.web1, priority: 0 },
          { id: 'web2', node: 'web2', value: VALUES.web2, priority: 1 },
        ],
      },
    ],
  };
  writeFileSync(join(zonesDir, `${ORIGIN}.pools.json`), JSON.stringify(pools, null, 2));
  const queries = join(dir, 'queries.txt');
  writeFileSync(queries, `${POOL} A\n${STATIC_NAME} A\n`);
  return { zonesDir, queries };
}

// ---------------------------------------------------------------------------
// Redis: standalone, or primary + replica + 3 Sentinels

function redisArgs(port, dir, extra = []) {
  return ['--bind', HOST, '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--save', '', '--protected-mode', 'yes', '--daemonize', 'no', '--logfile', 'redis.log', ...extra];
}

export async function redisCli(port, ...args) {
  return (await execFileP('redis-cli', ['-h', HOST, '-p', String(port), ...args])).trim();
}

async function waitPing(port, handle, procs) {
  await waitFor(`redis on port ${port}`, async () => {
    if (!procs.running(handle)) throw new GiveUp(`exited: ${tailFile(join(handle.dir, 'redis.log'), 800)}`);
    return (await redisCli(port, 'ping').catch(() => '')) === 'PONG';
  }, { timeoutMs: 15_000, pollMs: 20 });
}

/** One redis-server with its data dir; kill() and restart() keep port and data (append-only file). */
export async function startRedis(procs, dir, name = 'redis', extra = []) {
  const dataDir = join(dir, name);
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const r = {
    name,
    port,
    dir: dataDir,
    handle: undefined,
    get pid() {
      return r.handle?.pid;
    },
    async start() {
      r.handle = procs.spawn(name, 'redis-server', redisArgs(port, dataDir, extra), { cwd: dataDir });
      r.handle.dir = dataDir;
      await waitPing(port, r.handle, procs);
    },
    async kill() {
      await procs.kill(r.handle);
    },
  };
  await r.start();
  return r;
}

/** A Redis primary, one replica and three Sentinels (quorum 2) monitoring it as `faults`. */
export async function startSentinelRedis(procs, dir) {
  const primary = await startRedis(procs, dir, 'redis-primary');
  const replica = await startRedis(procs, dir, 'redis-replica');
  await redisCli(replica.port, 'replicaof', HOST, String(primary.port));
  await waitFor('the replica in sync', async () => /master_link_status:up/.test(await redisCli(replica.port, 'info', 'replication')), { timeoutMs: 15_000, pollMs: 50 });
  const sentinels = [];
  for (let i = 1; i <= 3; i++) {
    const sdir = join(dir, `sentinel-${i}`);
    mkdirSync(sdir, { recursive: true });
    const port = await freePort();
    const conf = join(sdir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${port}`,
        `bind ${HOST}`,
        `dir ${sdir}`,
        'logfile "sentinel.log"',
        `sentinel monitor ${SENTINEL_NAME} ${HOST} ${primary.port} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} 2000`,
        `sentinel failover-timeout ${SENTINEL_NAME} 10000`,
        `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
        '',
      ].join('\n'),
    );
    const handle = procs.spawn(`sentinel-${i}`, 'redis-sentinel', [conf], { cwd: sdir });
    handle.dir = sdir;
    await waitFor(`sentinel ${i}`, async () => {
      if (!procs.running(handle)) throw new GiveUp(`exited: ${tailFile(join(sdir, 'sentinel.log'), 800)}`);
      return (await redisCli(port, 'ping').catch(() => '')) === 'PONG';
    });
    sentinels.push({ port, handle });
  }
  // Before a failover: every sentinel knows the replica, and each knows the other two.
  await waitFor('the sentinels to know the replica and each other', async () => {
    for (const s of sentinels) {
      const replicas = await redisCli(s.port, 'sentinel', 'replicas', SENTINEL_NAME);
      if (!replicas.includes(String(replica.port))) return false;
      const others = await redisCli(s.port, 'sentinel', 'sentinels', SENTINEL_NAME);
      if ((others.match(/^runid$/gm) ?? []).length < 2) return false;
    }
    return true;
  }, { timeoutMs: 30_000, pollMs: 200 });
  return {
    primary,
    replica,
    sentinels,
    name: SENTINEL_NAME,
    storeArgs: ['--store', `redis://${HOST}`, '--redis-sentinels', sentinels.map((s) => `${HOST}:${s.port}`).join(','), '--redis-sentinel-name', SENTINEL_NAME],
    async masterPort() {
      const out = await redisCli(sentinels[0].port, 'sentinel', 'get-master-addr-by-name', SENTINEL_NAME);
      return Number(out.split('\n')[1]);
    },
  };
}

/** health and changedAt of web1 and web2 in the store, or undefined when it does not answer. */
export async function storeNodes(port) {
  try {
    const out = {};
    for (const node of ['web1', 'web2']) {
      const [health, changedAt] = (await redisCli(port, 'hmget', `flipdns:node:${node}`, 'health', 'changedAt')).split('\n');
      out[node] = { health, changedAt };
    }
    return out;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// flipdns instances and agents

/**
 * A `flipdns serve` instance; start() resolves once it answers SOA (it reads
 * the shared state before it opens DNS) and its store is connected.
 */
export async function makeInstance(procs, dir, { id, zonesDir, storeArgs, workers = 1, logLevel = 'info' }) {
  const [port, httpPort] = [await freePort(), await freePort()];
  const logFile = join(dir, `${id}.log`);
  const args = [join(ROOT, 'bin/flipdns'), 'serve', '--id', id, '--zones', zonesDir, '--host', HOST, '--port', String(port), '--http-host', HOST, '--http-port', String(httpPort), '--admin-token', ADMIN_TOKEN, '--log-level', logLevel, '--workers', String(workers), ...storeArgs];
  const inst = {
    id,
    port,
    httpPort,
    logFile,
    workers,
    handle: undefined,
    startedAt: undefined,
    get pid() {
      return inst.handle?.pid;
    },
    running() {
      return procs.running(inst.handle);
    },
    async start() {
      const began = Date.now();
      inst.handle = procs.spawn(`flipdns-${id}`, process.execPath, args, { logFile });
      await waitFor(`${id} to answer DNS`, async () => {
        if (!procs.running(inst.handle)) throw new GiveUp(`${id} exited:\n${tailFile(logFile)}`);
        const r = await probe(port, ORIGIN, 'SOA', 300).catch(() => undefined);
        return r?.rcode === 'NOERROR';
      }, { timeoutMs: 30_000, pollMs: 20 });
      await waitFor(`${id} connected to its store${workers > 1 ? ` with ${workers} workers ready` : ''}`, async () => {
        const h = await healthz(inst);
        return h?.store?.connected === true && (workers === 1 || h.workersReady === workers);
      }, { timeoutMs: 30_000, pollMs: 20 });
      inst.startedAt = Date.now();
      return Date.now() - began;
    },
    async stop() {
      await procs.stop(inst.handle);
    },
  };
  return inst;
}

export async function healthz(inst, timeoutMs = 1000) {
  const res = await fetch(`http://${HOST}:${inst.httpPort}/healthz`, { signal: AbortSignal.timeout(timeoutMs) });
  return res.json();
}

export async function metricsText(inst, timeoutMs = 2000) {
  const res = await fetch(`http://${HOST}:${inst.httpPort}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
  return res.text();
}

/** `flipdns_node_health` and late marks of web1 and web2 from one instance's /metrics. */
export function parseNodeMetrics(text) {
  const val = (re) => {
    const m = re.exec(text);
    return m ? Number(m[1]) : undefined;
  };
  const out = {};
  for (const node of ['web1', 'web2']) {
    out[node] = {
      health: val(new RegExp(`^flipdns_node_health\\{node="${node}"\\} (-?\\d+)`, 'm')),
      late: val(new RegExp(`^flipdns_node_transitions_total\\{(?=[^}]*node="${node}")(?=[^}]*to="late")[^}]*\\} (\\d+)`, 'm')) ?? 0,
    };
  }
  return out;
}

/** The agent of one node, beating every INTERVAL_MS to `servers` (the first preferred). */
export function makeAgent(procs, dir, node, servers) {
  const logFile = join(dir, `agent-${node}.log`);
  const args = [join(ROOT, 'bin/flipdns'), 'agent', '--node', node, '--token', tokenOf(node), '--interval', String(INTERVAL_MS), ...servers.flatMap((inst) => ['--server', `http://${HOST}:${inst.httpPort}`])];
  const agent = {
    node,
    logFile,
    handle: undefined,
    running() {
      return procs.running(agent.handle);
    },
    start() {
      agent.handle = procs.spawn(`agent-${node}`, process.execPath, args, { logFile });
    },
    async stop() {
      await procs.stop(agent.handle);
    },
  };
  return agent;
}

/**
 * The deployment: Redis (or Sentinels), dns-a started first (so that it takes
 * the decider lease), then dns-b, and both agents sending to dns-b first, then
 * dns-a. Resolves once both instances answer web1 and see both nodes up.
 */
export async function startDeployment(procs, dir, { sentinel = false, workers = 1, logLevel = 'info' } = {}) {
  const { zonesDir, queries } = writeFiles(dir);
  const dep = { dir, zonesDir, queries, procs, workers };
  if (sentinel) {
    dep.sentinel = await startSentinelRedis(procs, dir);
    dep.storeArgs = dep.sentinel.storeArgs;
    dep.storePort = () => dep.sentinel.masterPort();
  } else {
    dep.redis = await startRedis(procs, dir);
    dep.storeArgs = ['--store', `redis://${HOST}:${dep.redis.port}/0`];
    dep.storePort = async () => dep.redis.port;
  }
  const a = await makeInstance(procs, dir, { id: 'dns-a', zonesDir, storeArgs: dep.storeArgs, workers, logLevel });
  await a.start();
  await waitFor('dns-a to hold the decider lease', async () => (await healthz(a))?.decider === true, { timeoutMs: 10_000 });
  const b = await makeInstance(procs, dir, { id: 'dns-b', zonesDir, storeArgs: dep.storeArgs, workers, logLevel });
  await b.start();
  dep.instances = [a, b];
  dep.byId = { 'dns-a': a, 'dns-b': b };
  dep.agents = { web1: makeAgent(procs, dir, 'web1', [b, a]), web2: makeAgent(procs, dir, 'web2', [b, a]) };
  dep.agents.web1.start();
  dep.agents.web2.start();
  await waitHealthy(dep);
  return dep;
}

/** Both nodes up on every running instance, and each answering web1. */
export async function waitHealthy(dep, timeoutMs = 20_000) {
  await waitFor('both nodes up and web1 answered on every instance', async () => {
    for (const inst of dep.instances.filter((i) => i.running())) {
      const m = parseNodeMetrics(await metricsText(inst));
      if (m.web1.health !== 1 || m.web2.health !== 1) return false;
      const r = await probe(inst.port, POOL, 'A', 300);
      if (answerOf(r) !== 'web1') return false;
    }
    return true;
  }, { timeoutMs, pollMs: 50 });
}

/** Which instance holds the decider lease, by /healthz. */
export async function deciderOf(dep) {
  for (const inst of dep.instances.filter((i) => i.running())) {
    if ((await healthz(inst).catch(() => undefined))?.decider === true) return inst;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// The sampler: what each instance answers for the pool, every `everyMs`

/** 'web1', 'web2', 'web1+web2', 'nodata' (NOERROR, no address: all down), or the rcode. */
export function answerOf(packet) {
  if (packet.rcode !== 'NOERROR') return packet.rcode;
  const values = packet.answers.filter((a) => a.type === 'A').map((a) => a.data).sort();
  if (values.length === 0) return 'nodata';
  return values.map((v) => Object.keys(VALUES).find((k) => VALUES[k] === v) ?? v).join('+');
}

export class Sampler {
  /** `instances`: [{id, port}]; a query unanswered after `timeoutMs` counts as a timeout, not an answer. */
  constructor(instances, { everyMs = 10, timeoutMs = 3000 } = {}) {
    this.everyMs = everyMs;
    this.timeoutMs = timeoutMs;
    this.per = new Map();
    for (const inst of instances) {
      const sock = createSocket('udp4');
      const st = { inst, sock, pending: new Map(), nextId: 1, sent: 0, answered: 0, timeouts: 0, last: undefined, lastAt: 0, transitions: [] };
      sock.on('message', (msg) => {
        let packet;
        try {
          packet = dnsPacket.decode(msg);
        } catch {
          return;
        }
        if (!st.pending.delete(packet.id)) return;
        st.answered++;
        const answer = answerOf(packet);
        const at = Date.now();
        if (answer !== st.last) st.transitions.push({ at, answer });
        st.last = answer;
        st.lastAt = at;
      });
      sock.on('error', () => {});
      sock.bind(0, HOST);
      this.per.set(inst.id, st);
    }
  }

  start() {
    this.timer = setInterval(() => this.tick(), this.everyMs);
    return this;
  }

  tick() {
    const now = Date.now();
    for (const st of this.per.values()) {
      for (const [id, sentAt] of st.pending) {
        if (now - sentAt > this.timeoutMs) {
          st.pending.delete(id);
          st.timeouts++;
        }
      }
      const id = st.nextId;
      st.nextId = (st.nextId % 65535) + 1;
      st.pending.set(id, now);
      st.sent++;
      const q = dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ name: POOL, type: 'A', class: 'IN' }] });
      st.sock.send(q, st.inst.port, HOST, () => {});
    }
  }

  stop() {
    clearInterval(this.timer);
    for (const st of this.per.values()) st.sock.close();
  }

  /** The last answer from `id` received at or after `since`, else undefined. */
  latest(id, since = 0) {
    const st = this.per.get(id);
    return st.lastAt >= since ? st.last : undefined;
  }

  /** The first time at or after `since` that `id` answered `answer` (its answer changed to it, or already was it). */
  firstAnswerAt(id, answer, since) {
    const st = this.per.get(id);
    let current;
    for (const t of st.transitions) {
      if (t.at <= since) {
        current = t.answer;
        continue;
      }
      if (current === answer) return since;
      if (t.answer === answer) return t.at;
      current = t.answer;
    }
    return current === answer && st.lastAt >= since ? since : undefined;
  }

  transitions(id, from = 0, to = Infinity) {
    return this.per.get(id).transitions.filter((t) => t.at >= from && t.at < to);
  }

  counts(id) {
    const { sent, answered, timeouts } = this.per.get(id);
    return { sent, answered, timeouts };
  }
}

// ---------------------------------------------------------------------------
// The intake prober: a heartbeat for the `intake` node to each instance every `everyMs`

export class IntakeProber {
  constructor(instances, { everyMs = 50, timeoutMs = 1000 } = {}) {
    this.everyMs = everyMs;
    this.timeoutMs = timeoutMs;
    this.per = new Map(instances.map((inst) => [inst.id, { inst, results: [] }]));
    this.stopped = false;
  }

  start() {
    this.loops = [...this.per.values()].map((st) => this.loop(st));
    return this;
  }

  async loop(st) {
    while (!this.stopped) {
      const began = Date.now();
      let ok = false;
      let status;
      try {
        const res = await fetch(`http://${HOST}:${st.inst.httpPort}/api/v1/nodes/${INTAKE_NODE}/heartbeat`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokenOf(INTAKE_NODE)}` },
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        await res.arrayBuffer();
        ok = res.status === 200;
        status = res.status;
      } catch (err) {
        status = err.name === 'TimeoutError' ? 'timeout' : 'error';
      }
      st.results.push({ at: Date.now(), sentAt: began, ok, status });
      await sleep(this.everyMs - (Date.now() - began));
    }
  }

  async stop() {
    this.stopped = true;
    await Promise.all(this.loops ?? []);
  }

  /**
   * For one instance: the longest time between two accepted beats in [from, to)
   * (when nothing failed, the probe period), the failures, and the first beat
   * accepted at or after `after`, sent at or after it.
   */
  summary(id, from, to, after) {
    const rs = this.per.get(id).results.filter((r) => r.sentAt >= from && r.at < to);
    let lastOk;
    let gap = 0;
    let failures = 0;
    for (const r of rs) {
      if (!r.ok) failures++;
      else {
        if (lastOk !== undefined) gap = Math.max(gap, r.at - lastOk);
        lastOk = r.at;
      }
    }
    const back = after === undefined ? undefined : rs.find((r) => r.ok && r.sentAt >= after);
    return { probes: rs.length, failures, longestGapMs: gap, firstAcceptedAfterMs: back ? back.at - after : undefined };
  }
}

// ---------------------------------------------------------------------------
// dnsperf

/** Starts dnsperf against one instance at `qps` for `seconds`; resolves with its summary. */
export function startDnsperf(procs, dir, { name, port, queries, seconds, qps, timeoutS, clients = 1 }) {
  const outstanding = Math.min(65535, Math.max(100, Math.ceil(qps * timeoutS * 1.2)));
  const args = ['-s', HOST, '-p', String(port), '-d', queries, '-l', String(seconds), '-Q', String(qps), '-q', String(outstanding), '-t', String(timeoutS), '-c', String(clients), '-T', '1'];
  const logFile = join(dir, `${name}.out`);
  const handle = procs.spawn(name, findDnsperf(), args, { logFile });
  const result = handle.exited.then(() => {
    const out = readFileSync(logFile, 'utf8');
    const num = (re) => {
      const m = re.exec(out);
      return m ? Number(m[1]) : NaN;
    };
    const res = {
      command: ['dnsperf', ...args].join(' '),
      sent: num(/Queries sent:\s+(\d+)/),
      completed: num(/Queries completed:\s+(\d+)/),
      lost: num(/Queries lost:\s+(\d+)/),
      qps: num(/Queries per second:\s+([\d.]+)/),
      latencyAvgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
      latencyMaxMs: num(/Average Latency \(s\):.*max\s+([\d.]+)/) * 1000,
      rcodes: Object.fromEntries([...(/Response codes:(.*)/.exec(out)?.[1] ?? '').matchAll(/([A-Z]+) (\d+) \(/g)].map((m) => [m[1], Number(m[2])])),
    };
    if (!Number.isFinite(res.sent)) throw new Error(`dnsperf (${name}) gave no summary (exit ${handle.child.exitCode}, signal ${handle.child.signalCode}):\n${out.slice(-2000)}`);
    return res;
  });
  // Awaited later; when the run fails first (or Ctrl-C stops dnsperf), its rejection is not news.
  result.catch(() => {});
  return result;
}

/** The table on stdout and, with --json FILE, the report in FILE; with --json -, the report on stdout and the table on stderr. */
export function printReport(text, report, json) {
  if (json === '-') {
    process.stderr.write(`${text}\n`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  } else {
    process.stdout.write(`${text}\n`);
    if (json) writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  }
}

export function versionOf(cmd, args, re) {
  try {
    return re.exec(execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }))?.[1];
  } catch {
    return undefined;
  }
}

export function dnsperfVersion() {
  try {
    // dnsperf -h prints to stderr and exits 1.
    execFileSync(findDnsperf(), ['-h'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return undefined;
  } catch (err) {
    return /Version ([\d.]+)/.exec(`${err.stdout ?? ''}${err.stderr ?? ''}`)?.[1];
  }
}

// ---------------------------------------------------------------------------
// Logs and /proc

export function tailFile(file, n = 3000) {
  try {
    return readFileSync(file, 'utf8').slice(-n);
  } catch {
    return '(no log)';
  }
}

/** The JSON lines of a pino log with `time` in [from, to). */
export function logLines(file, from = 0, to = Infinity) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const j = JSON.parse(line);
      if (j.time >= from && j.time < to) out.push(j);
    } catch {
      // not JSON
    }
  }
  return out;
}

/** PIDs of the live children of `pid` (a flipdns primary's workers). */
export function childPids(pid) {
  const out = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const s = readFileSync(`/proc/${e}/stat`, 'utf8');
      const ppid = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(e));
    } catch {
      // gone
    }
  }
  return out;
}

/** RSS (bytes) and open file descriptors of one process, from /proc; undefined when it is gone. */
export function rssAndFds(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) * 1024;
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    return { rss, fds };
  } catch {
    return undefined;
  }
}

