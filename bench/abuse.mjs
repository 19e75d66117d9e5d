#!/usr/bin/env node
// Hostile TCP and HTTP clients against a real `flipdns serve` (embedded store,
// one zone and a pools file with one node, ephemeral loopback ports), with an
// honest client measured beside the attack. Issue 9's figures for the limits of
// src/server (TCP) and src/http; docs/benchmarks.md#hostile-tcp-and-http.
//
//   node bench/abuse.mjs [--part http|tcp|all] [--json FILE] [--keep]
//
// --part tcp:
//   pipeline   one client pipelines --pipeline-mb MiB of queries and never reads:
//              server RSS before, peak during, after the server closed it
//   hold       connections sending a byte every 3 s ("dribbling") or nothing,
//              each opened again --reconnect-ms after the server closes it:
//              --connections dribblers over addresses at their share (the
//              issue's case), then --connections dribbling + as many silent
//              from one address, then over --addresses addresses; meanwhile an
//              honest client (another thread, 127.0.0.1) sends a TCP and a UDP
//              query every 100 ms: share answered, latency p50/p99
//   framing    length prefixes of 65535 without a body, half-closed sockets:
//              time until the server closes each, against tcpIdleTimeout
//   reassembly a 16 KiB and a 64 KiB message sent a byte per write against in
//              one write: server CPU time (/proc/PID/stat) and read() calls
//              (/proc/PID/io) per message; then --trickle-connections
//              connections each trickling a 64 KiB message a byte per write:
//              server RSS while they are pending
// --part http:
//   requests   slow bodies (admin token, wrong token, down reports), a slow
//              head, a body announced too large, malformed JSON, an unknown
//              path, a head too large, not HTTP: what came back and when
//   guess      wrong node tokens as fast as 20 requests in flight go, from one
//              address then from 50; the node's own heartbeats meanwhile; log lines
//   flood      a server held to --nofile file descriptors (prlimit) and
//              --flood-connections silent HTTP connections for --flood-seconds:
//              heartbeats, /healthz, UDP and TCP DNS; then the same with the
//              HTTP connection cap lifted (--http-max-connections 100000)
//
// Closes by reason come from flipdns_tcp_connections_closed_total and
// flipdns_http_connections_closed_total on /metrics. Only loopback is used
// (127.0.0.0/8; Linux answers on every address of it). `--part all` takes
// about 3 minutes. Every server this starts is stopped by its PID, on errors
// and Ctrl-C too; its log stays in the temp dir with --keep or on failure.

import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createHash } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import dnsPacket from 'dns-packet';
import { HOST, ROOT, cpuSecondsBetween, freePort, parseArgs, probe, processMemory, treeTicks, zoneHeader } from './lib.mjs';
import { SCHEMA } from '../dist/config/schema.js';

const ZONE = 'abuse.test';
const ADMIN = 'abuse-bench-admin-token-0123456789';
const NODE = 'web1';
const NODE_TOKEN = 'web1-abuse-bench-token-abcdefghijkl';
const DEFAULTS = {
  tcpIdleTimeout: SCHEMA.tcpIdleTimeout.default,
  tcpMaxConnections: SCHEMA.tcpMaxConnections.default,
  tcpMaxConnectionsPerClient: SCHEMA.tcpMaxConnectionsPerClient.default,
  httpMaxConnections: SCHEMA.httpMaxConnections.default,
  httpHeadersTimeout: SCHEMA.httpHeadersTimeout.default,
  httpRequestTimeout: SCHEMA.httpRequestTimeout.default,
  httpAuthFailures: SCHEMA.httpAuthFailures.default,
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const mib = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;
const round = (x, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

function percentile(xs, p) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

/** A query for `name` `type` with id `id`, without (udp) or with (tcp) its length prefix. */
function query(name, type = 'A', id = 1) {
  return dnsPacket.encode({ type: 'query', id, flags: 0, questions: [{ name, type, class: 'IN' }] });
}
function framed(message) {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(message.length);
  return Buffer.concat([prefix, message]);
}

// ---------------------------------------------------------------------------
// The honest client: a TCP query (a new connection each) and a UDP query every
// `everyMs` from `address`, in a thread of its own so the attack's event loop
// does not time it.

async function honestClient({ port, address, seconds, everyMs = 100, timeoutMs = 2000 }) {
  const name = `www.${ZONE}`;
  const udp = { sent: 0, answered: 0, latenciesMs: [] };
  const tcp = { sent: 0, answered: 0, latenciesMs: [], errors: {} };
  const sock = createSocket('udp4');
  await new Promise((r, j) => sock.once('error', j).bind(0, address, r));
  const pending = new Map();
  sock.on('message', (msg) => {
    const id = msg.readUInt16BE(0);
    const t0 = pending.get(id);
    if (t0 === undefined) return;
    pending.delete(id);
    const ms = now() - t0;
    if (ms <= timeoutMs) (udp.answered++, udp.latenciesMs.push(ms));
  });
  let nextId = 0;
  const tcpQuery = () =>
    new Promise((resolve) => {
      tcp.sent++;
      const t0 = now();
      let got = Buffer.alloc(0);
      let done = false;
      const finish = (ok, why) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        s.destroy();
        if (ok) (tcp.answered++, tcp.latenciesMs.push(now() - t0));
        else tcp.errors[why] = (tcp.errors[why] ?? 0) + 1;
        resolve();
      };
      const s = connect({ port, host: HOST, localAddress: address });
      const timer = setTimeout(() => finish(false, 'timeout'), timeoutMs);
      s.write(framed(query(name, 'A', 7)));
      s.on('data', (c) => {
        got = Buffer.concat([got, c]);
        if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) finish(true);
      });
      s.on('error', (err) => finish(false, err.code ?? 'error'));
      s.on('close', () => finish(false, 'closed'));
    });
  const inflight = [];
  const end = now() + seconds * 1000;
  for (let tick = now(); tick < end; tick += everyMs) {
    const id = nextId++ & 0xffff;
    pending.set(id, now());
    udp.sent++;
    sock.send(query(name, 'A', id), port, HOST);
    inflight.push(tcpQuery());
    const wait = tick + everyMs - now();
    if (wait > 0) await sleep(wait);
  }
  await Promise.all(inflight);
  await sleep(timeoutMs);
  sock.close();
  return { udp, tcp };
}

function summarizeHonest({ udp, tcp }) {
  const one = (x) => ({
    sent: x.sent,
    answered: x.answered,
    answeredShare: round(x.answered / x.sent, 3),
    p50Ms: round(percentile(x.latenciesMs, 50), 2),
    p99Ms: round(percentile(x.latenciesMs, 99), 2),
    ...(x.errors && Object.keys(x.errors).length ? { failures: x.errors } : {}),
  });
  return { tcp: one(tcp), udp: one(udp) };
}

function runHonest(options) {
  return new Promise((resolve, reject) => {
    const worker = new Worker(fileURLToPath(import.meta.url), { workerData: { role: 'honest', ...options } });
    worker.once('message', (r) => resolve(summarizeHonest(r)));
    worker.once('error', reject);
  });
}


// ---------------------------------------------------------------------------
// The server

async function main() {
  const args = parseArgs(process.argv.slice(2), {
    part: 'all',
    json: '',
    keep: false,
    connections: 1000,
    addresses: 200,
    reconnectMs: 1000,
    baselineSeconds: 5,
    attackSeconds: 20,
    pipelineMb: 64,
    reassemblyMessages: 3,
    trickleConnections: 20,
    floodConnections: 1100,
    floodSeconds: 5,
    nofile: 1024,
    guessSeconds: 5,
  });
  if (args.help || !['http', 'tcp', 'all'].includes(args.part)) {
    const lines = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1);
    console.log(lines.slice(0, lines.findIndex((l) => !l.startsWith('//'))).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
    process.exit(args.help ? 0 : 2);
  }

  const dir = mkdtempSync(join(tmpdir(), 'flipdns-abuse-'));
  const zonesDir = join(dir, 'zones');
  writeZones(zonesDir);
  const servers = new Set();
  let stopping = false;
  const stopAll = async () => {
    for (const s of [...servers]) await s.stop();
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.once(sig, async () => {
      if (stopping) return;
      stopping = true;
      console.error(`\n${sig}: stopping the servers this started; logs in ${dir}`);
      await stopAll();
      process.exit(130);
    });
  }

  const start = (opts) => startServer({ dir, zonesDir, servers, ...opts });
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    cores: (await import('node:os')).cpus().length,
    serverDefaults: DEFAULTS,
    options: { ...args },
  };
  const started = now();
  try {
    if (args.part === 'tcp' || args.part === 'all') report.tcp = await tcpPart(start, args);
    if (args.part === 'http' || args.part === 'all') report.http = await httpPart(start, args);
    report.seconds = Math.round((now() - started) / 1000);
  } catch (err) {
    console.error(err);
    await stopAll();
    console.error(`logs kept in ${dir}`);
    process.exit(1);
  }
  await stopAll();
  console.log(`\ndone in ${report.seconds} s`);
  if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
  if (args.keep) console.log(`logs kept in ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

function writeZones(zonesDir) {
  mkdirSync(zonesDir, { recursive: true });
  writeFileSync(join(zonesDir, `${ZONE}.zone`), [...zoneHeader(ZONE), 'www IN A 192.0.2.10', ''].join('\n'));
  const pools = {
    nodes: [{ id: NODE, intervalMs: 1000, fall: 3, rise: 2, tokenSha256: createHash('sha256').update(NODE_TOKEN).digest('hex') }],
    pools: [{ name: `app.${ZONE}.`, type: 'A', policy: 'failover', ttl: 5, members: [{ id: NODE, node: NODE, value: '192.0.2.21', priority: 0 }] }],
  };
  writeFileSync(join(zonesDir, `${ZONE}.pools.json`), JSON.stringify(pools, null, 2) + '\n');
}

let serverCount = 0;

/**
 * Starts `node bin/flipdns serve` on free loopback ports (under `prlimit
 * --nofile=N` with `nofile`, which execs node: same PID); resolves once UDP
 * answers SOA and /healthz says 200. Counts its log lines and keeps the node
 * health changes it logs.
 */
async function startServer({ dir, zonesDir, servers, label, nofile, extraArgs = [] }) {
  const port = await freePort();
  const httpPort = await freePort();
  const logFile = join(dir, `flipdns-${++serverCount}-${label}.log`);
  const log = createWriteStream(logFile);
  const serve = ['bin/flipdns', 'serve', '--zones', zonesDir, '--host', HOST, '--port', String(port), '--http-port', String(httpPort), '--admin-token', ADMIN, ...extraArgs];
  const [cmd, argv] = nofile ? ['prlimit', [`--nofile=${nofile}`, process.execPath, ...serve]] : [process.execPath, serve];
  const child = spawn(cmd, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => child.once('exit', r));
  const server = {
    label,
    pid: child.pid,
    port,
    httpPort,
    logFile,
    command: [nofile ? `prlimit --nofile=${nofile} node` : 'node', ...serve.slice(0, 2), '--zones DIR', ...serve.slice(4)].join(' ').replace(ADMIN, 'TOKEN'),
    logLines: 0,
    healthChanges: [],
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (server.alive()) {
        process.kill(child.pid, 'SIGTERM');
        const done = await Promise.race([exited.then(() => true), sleep(5000).then(() => false)]);
        if (!done && server.alive()) {
          process.kill(child.pid, 'SIGKILL');
          await exited;
        }
      }
      servers.delete(server);
      log.end();
    },
  };
  servers.add(server);
  let partial = '';
  child.stdout.on('data', (c) => {
    log.write(c);
    const lines = (partial + c).split('\n');
    partial = lines.pop();
    server.logLines += lines.length;
    for (const line of lines) {
      if (!line.includes('node health changed')) continue;
      try {
        const j = JSON.parse(line);
        server.healthChanges.push({ at: j.time, from: j.from, to: j.to });
      } catch {}
    }
  });
  child.stderr.on('data', (c) => log.write(c));
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!server.alive()) throw new Error(`flipdns exited during startup (${child.exitCode ?? child.signalCode}); log: ${logFile}`);
    try {
      await probe(port, ZONE, 'SOA', 300);
      if ((await httpCall(httpPort, 'GET', '/healthz', { timeoutMs: 1000 })).status === 200) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`flipdns did not come up on ${port}/${httpPort}; log: ${logFile}`);
    await sleep(100);
  }
  return server;
}

function httpCall(httpPort, method, path, { token, body, localAddress = HOST, timeoutMs = 5000 } = {}) {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const headers = { ...(token && { authorization: `Bearer ${token}` }), ...(payload && { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }) };
    const req = request({ host: HOST, port: httpPort, method, path, localAddress, agent: false, timeout: timeoutMs, headers }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(payload);
  });
}

/** Every sample of /metrics, by `name{labels}`. */
async function metrics(server) {
  const { text } = await httpCall(server.httpPort, 'GET', '/metrics');
  const out = {};
  for (const m of text.matchAll(/^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)$/gm)) out[m[1] + (m[2] ?? '')] = Number(m[3]);
  return out;
}

/** What counter `name` gained between two metrics() readings, by the value of `label`. */
function gained(before, after, name, label = 'reason') {
  const out = {};
  for (const [key, v] of Object.entries(after)) {
    if (!key.startsWith(`${name}{`) && key !== name) continue;
    const d = v - (before[key] ?? 0);
    if (d === 0) continue;
    const l = new RegExp(`${label}="([^"]*)"`).exec(key)?.[1] ?? '';
    out[l] = (out[l] ?? 0) + d;
  }
  return out;
}

function rssSampler(pid, everyMs = 50) {
  let peak = 0;
  const read = () => {
    try {
      peak = Math.max(peak, processMemory(pid).rssBytes);
    } catch {}
  };
  read();
  const t = setInterval(read, everyMs);
  return {
    stop() {
      read();
      clearInterval(t);
      return peak;
    },
  };
}

const rssMiB = (server) => mib(processMemory(server.pid).rssBytes);

/** One UDP query from `address`: ms to the answer, or undefined. */
function udpAsk(port, address = HOST, timeoutMs = 1000) {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    const t0 = now();
    const t = setTimeout(() => (s.close(), resolve(undefined)), timeoutMs);
    s.on('message', () => (clearTimeout(t), s.close(), resolve(now() - t0)));
    s.on('error', () => (clearTimeout(t), s.close(), resolve(undefined)));
    s.bind(0, address, () => s.send(query(`www.${ZONE}`), port, HOST));
  });
}

/** One TCP query on a new connection from `address`: ms to the answer, or undefined. */
function tcpAsk(port, address = HOST, timeoutMs = 2000) {
  return new Promise((resolve) => {
    const t0 = now();
    const s = connect({ port, host: HOST, localAddress: address });
    let got = Buffer.alloc(0);
    const done = (v) => (clearTimeout(t), s.destroy(), resolve(v));
    const t = setTimeout(() => done(undefined), timeoutMs);
    s.write(framed(query(`www.${ZONE}`)));
    s.on('data', (c) => {
      got = Buffer.concat([got, c]);
      if (got.length >= 2 && got.length >= 2 + got.readUInt16BE(0)) done(now() - t0);
    });
    s.on('error', () => done(undefined));
    s.on('close', () => done(undefined));
  });
}

function line(label, text) {
  console.log(`  ${label.padEnd(40)} ${text}`);
}
const share = (x) => `${x.answered}/${x.sent} (${(100 * x.answeredShare).toFixed(1)} %) p50 ${x.p50Ms} ms p99 ${x.p99Ms} ms`;
const reasons = (o) => (Object.keys(o).length ? Object.entries(o).map(([k, v]) => `${k} ${v}`).join(', ') : 'none');

// ---------------------------------------------------------------------------
// TCP

async function tcpPart(start, args) {
  const server = await start({ label: 'tcp' });
  console.log(`\n== TCP (server pid ${server.pid}): ${server.command}`);
  console.log(`   tcpIdleTimeout ${DEFAULTS.tcpIdleTimeout} ms, tcpMaxConnections ${DEFAULTS.tcpMaxConnections}, tcpMaxConnectionsPerClient ${DEFAULTS.tcpMaxConnectionsPerClient}`);
  const out = { command: server.command };
  out.pipeline = await pipelineUnread(server, args);
  out.hold = await holdConnections(server, args);
  out.framing = await framing(server);
  out.reassembly = await reassembly(server, args);
  out.serverAlive = server.alive();
  out.serverErrorLogLines = readFileSync(server.logFile, 'utf8').split('\n').filter((l) => /"level":(50|60)/.test(l)).length;
  await server.stop();
  return out;
}

/** (1) One client pipelines queries and never reads an answer. */
async function pipelineUnread(server, args) {
  console.log(`\n-- (1) one connection pipelines ${args.pipelineMb} MiB of queries and never reads`);
  const q = framed(query(`www.${ZONE}`));
  const chunk = Buffer.concat(Array.from({ length: Math.floor(2 ** 20 / q.length) }, () => q));
  const chunks = Math.ceil((args.pipelineMb * 2 ** 20) / chunk.length);
  const m0 = await metrics(server);
  const rssBefore = rssMiB(server);
  const sampler = rssSampler(server.pid);
  const honest = runHonest({ port: server.port, address: '127.0.0.1', seconds: DEFAULTS.tcpIdleTimeout / 1000 + 2 });
  const t0 = now();
  const s = connect({ port: server.port, host: HOST, localAddress: '127.0.0.3' });
  s.pause(); // never read: Node stops reading once its buffer is full, then the kernel's fills
  s.on('error', () => {});
  let closedAt;
  const closed = new Promise((r) => s.once('close', () => r((closedAt = now()))));
  let accepted = 0;
  let lastProgressAt = t0;
  for (let i = 0; i < chunks && closedAt === undefined; i++) {
    const ok = s.write(chunk, (err) => {
      if (!err) (accepted += chunk.length), (lastProgressAt = now());
    });
    if (!ok) await Promise.race([new Promise((r) => s.once('drain', r)), closed]);
  }
  await Promise.race([closed, sleep(DEFAULTS.tcpIdleTimeout + 5000)]);
  const closedByServer = closedAt !== undefined;
  s.destroy();
  const honestResult = await honest;
  await sleep(2000);
  const peak = sampler.stop();
  const m1 = await metrics(server);
  const tcpAnswers = gained(m0, m1, 'flipdns_queries_total', 'transport').tcp ?? 0;
  const r = {
    mibOffered: args.pipelineMb,
    mibTakenByKernel: mib(accepted),
    stalledAfterSeconds: round((lastProgressAt - t0) / 1000),
    closedByServer,
    closedAfterSeconds: closedByServer ? round((closedAt - t0) / 1000) : undefined,
    queriesAnsweredByServer: tcpAnswers - honestResult.tcp.answered,
    rssMiB: { before: rssBefore, peak: mib(peak), after: rssMiB(server) },
    closes: gained(m0, m1, 'flipdns_tcp_connections_closed_total'),
    honestBeside: honestResult,
  };
  line('pipelined, never read', `${r.mibTakenByKernel} MiB taken by the kernel (stalled at ${r.stalledAfterSeconds} s), ${r.queriesAnsweredByServer} queries answered by the server`);
  line('closed by the server', closedByServer ? `after ${r.closedAfterSeconds} s (closes: ${reasons(r.closes)})` : 'no (the client gave up)');
  line('server RSS', `before ${r.rssMiB.before} MiB, peak ${r.rssMiB.peak} MiB, after ${r.rssMiB.after} MiB`);
  line('honest TCP beside it', share(r.honestBeside.tcp));
  line('honest UDP beside it', share(r.honestBeside.udp));
  return r;
}

/**
 * Keeps `slots` connections open against the server: each sends one byte of a
 * query every `dribbleMs` ('dribble') or nothing ('silent'), and is opened
 * again `reconnectMs` after the server closes it.
 */
function tcpAttack(port, slots, { reconnectMs, dribbleMs = 3000 }) {
  const stats = { attempts: 0, connected: 0, closedWithin200ms: 0, lifetimesMs: [], errors: {}, bytesSent: 0 };
  const bytes = framed(query(`www.${ZONE}`));
  const live = new Set();
  let stopped = false;
  const open = (slot) => {
    if (stopped) return;
    stats.attempts++;
    let connectedAt;
    let timer;
    let k = 0;
    const s = connect({ port, host: HOST, localAddress: slot.address });
    live.add(s);
    s.on('connect', () => {
      connectedAt = now();
      stats.connected++;
      if (slot.kind !== 'dribble') return;
      const send = () => {
        if (s.destroyed || !s.writable) return;
        s.write(bytes.subarray(k % bytes.length, (k % bytes.length) + 1));
        k++;
        stats.bytesSent++;
      };
      send();
      timer = setInterval(send, dribbleMs);
    });
    s.on('error', (err) => (stats.errors[err.code ?? 'error'] = (stats.errors[err.code ?? 'error'] ?? 0) + 1));
    s.on('close', () => {
      clearInterval(timer);
      live.delete(s);
      if (stopped) return;
      if (connectedAt !== undefined) {
        const life = now() - connectedAt;
        if (life < 200) stats.closedWithin200ms++;
        else stats.lifetimesMs.push(life);
      }
      setTimeout(() => open(slot), reconnectMs);
    });
  };
  for (const slot of slots) open(slot);
  return {
    openNow: () => [...live].filter((s) => !s.connecting && !s.destroyed).length,
    stop() {
      stopped = true;
      for (const s of live) s.destroy();
      return {
        attempts: stats.attempts,
        connected: stats.connected,
        closedByServerWithin200ms: stats.closedWithin200ms,
        closedByServerLater: stats.lifetimesMs.length,
        lifetimeSeconds: stats.lifetimesMs.length ? { p50: round(percentile(stats.lifetimesMs, 50) / 1000), max: round(Math.max(...stats.lifetimesMs) / 1000) } : undefined,
        bytesDribbled: stats.bytesSent,
        errors: stats.errors,
      };
    },
  };
}

const spreadAddress = (k) => `127.1.${Math.floor(k / 250)}.${(k % 250) + 1}`;

/** (2) Dribbling and silent connections beside an honest client. */
async function holdConnections(server, args) {
  const n = args.connections;
  console.log(`\n-- (2) connections sending a byte every 3 s ("dribbling") or nothing, each opened again ${args.reconnectMs} ms after the server closes it; honest client from 127.0.0.1: a TCP and a UDP query every 100 ms`);
  const out = {};
  out.baseline = await runHonest({ port: server.port, address: '127.0.0.1', seconds: args.baselineSeconds });
  line(`no attack (${args.baselineSeconds} s): honest TCP`, share(out.baseline.tcp));
  line('                  honest UDP', share(out.baseline.udp));
  const cap = DEFAULTS.tcpMaxConnectionsPerClient;
  const perShare = Math.ceil(n / cap);
  const scenarios = [
    // The issue's case: as many dribblers as tcpMaxConnections, each address at its share.
    ['dribbleAtCap', `${n} dribbling only, over ${perShare} addresses (127.1.x.y, ${cap} each)`, Array.from({ length: n }, (_, i) => ({ address: spreadAddress(Math.floor(i / cap)), kind: 'dribble' }))],
    ['oneAddress', `${n} dribbling + ${n} silent from one address (127.0.0.2)`, Array.from({ length: 2 * n }, (_, i) => ({ address: '127.0.0.2', kind: i < n ? 'dribble' : 'silent' }))],
    ['spread', `${n} dribbling + ${n} silent over ${args.addresses} addresses (127.1.x.y)`, Array.from({ length: 2 * n }, (_, i) => ({ address: spreadAddress(i % args.addresses), kind: i < n ? 'dribble' : 'silent' }))],
  ];
  for (const [key, label, slots] of scenarios) {
    const m0 = await metrics(server);
    const rssBefore = rssMiB(server);
    const sampler = rssSampler(server.pid, 200);
    const ticks0 = treeTicks(server.pid);
    const attack = tcpAttack(server.port, slots, { reconnectMs: args.reconnectMs });
    await sleep(1000);
    const heldAtStart = attack.openNow();
    const honest = await runHonest({ port: server.port, address: '127.0.0.1', seconds: args.attackSeconds });
    const heldAtEnd = attack.openNow();
    const attackStats = attack.stop();
    const cpu = cpuSecondsBetween(ticks0, treeTicks(server.pid));
    await sleep(1000);
    const m1 = await metrics(server);
    const r = {
      attackers: { dribbling: slots.filter((s) => s.kind === 'dribble').length, silent: slots.filter((s) => s.kind === 'silent').length, addresses: new Set(slots.map((s) => s.address)).size },
      honest,
      openClientSide: { afterOneSecond: heldAtStart, atEnd: heldAtEnd },
      attack: attackStats,
      closes: gained(m0, m1, 'flipdns_tcp_connections_closed_total'),
      serverCpuSeconds: round(cpu, 2),
      rssMiB: { before: rssBefore, peak: mib(sampler.stop()), after: rssMiB(server) },
    };
    out[key] = r;
    console.log(`  attack: ${label}, ${args.attackSeconds} s:`);
    line('  honest TCP', share(honest.tcp) + (honest.tcp.failures ? ` failures ${JSON.stringify(honest.tcp.failures)}` : ''));
    line('  honest UDP', share(honest.udp));
    line('  attack connections open', `${heldAtStart} after 1 s, ${heldAtEnd} at the end; ${attackStats.attempts} attempts, ${attackStats.closedByServerWithin200ms} closed within 200 ms, ${attackStats.closedByServerLater} later${attackStats.lifetimeSeconds ? ` (p50 ${attackStats.lifetimeSeconds.p50} s, max ${attackStats.lifetimeSeconds.max} s)` : ''}`);
    line('  server closes', reasons(r.closes));
    line('  server', `CPU ${r.serverCpuSeconds} s over ${args.attackSeconds + 1} s; RSS ${r.rssMiB.before} → peak ${r.rssMiB.peak} → ${r.rssMiB.after} MiB`);
  }
  return out;
}

/** (3) Broken framing and half-closed sockets: when the server closes each. */
async function framing(server) {
  const idle = DEFAULTS.tcpIdleTimeout;
  const cap = DEFAULTS.tcpMaxConnectionsPerClient;
  console.log(`\n-- (3) broken framing and half-closed sockets (tcpIdleTimeout ${idle} ms)`);
  const q = framed(query(`www.${ZONE}`));
  const cases = [
    ['silent', 5, () => undefined],
    ['prefix 65535, no body', 5, (s) => s.write(Buffer.from([0xff, 0xff]))],
    ['prefix 65535, all but the last byte', 100, (s) => s.write(Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(65534, 0x41)]))],
    ['half-closed at once', 5, (s) => s.end()],
    ['a query, then half-closed', 5, (s) => s.end(q)],
    ['half a query, then half-closed', 5, (s) => s.end(q.subarray(0, 10))],
    ['prefix 65535, then half-closed', 5, (s) => s.end(Buffer.from([0xff, 0xff]))],
  ];
  const m0 = await metrics(server);
  const rssBefore = rssMiB(server);
  const sampler = rssSampler(server.pid);
  let addressIndex = 0;
  const runs = cases.map(([label, count, act]) => {
    const first = addressIndex;
    addressIndex += Math.ceil(count / cap);
    return Promise.all(
      Array.from({ length: count }, (_, i) =>
        new Promise((resolve) => {
          const address = `127.2.${Math.floor((first + Math.floor(i / cap)) / 250)}.${((first + Math.floor(i / cap)) % 250) + 1}`;
          const s = connect({ port: server.port, host: HOST, localAddress: address });
          let t0;
          let got = Buffer.alloc(0);
          let finAt;
          let error;
          const limit = setTimeout(() => s.destroy(), idle + 5000);
          s.on('connect', () => {
            t0 = now();
            act(s);
          });
          s.on('data', (c) => (got = Buffer.concat([got, c])));
          s.on('end', () => (finAt = now()));
          s.on('error', (err) => (error = err.code));
          s.on('close', () => {
            clearTimeout(limit);
            const at = finAt ?? now();
            const stillOpen = finAt === undefined && error === undefined;
            resolve({ seconds: (at - (t0 ?? at)) / 1000, answered: got.length >= 2 && got.length >= 2 + got.readUInt16BE(0), how: stillOpen ? 'not closed by the server' : error ? `reset (${error})` : 'FIN' });
          });
        }),
      ),
    ).then((conns) => ({ label, count, conns }));
  });
  const results = await Promise.all(runs);
  const peak = sampler.stop();
  await sleep(500);
  const m1 = await metrics(server);
  const out = { tcpIdleTimeoutMs: idle, cases: {} };
  for (const { label, count, conns } of results) {
    const secs = conns.map((c) => c.seconds);
    const how = {};
    for (const c of conns) how[c.how] = (how[c.how] ?? 0) + 1;
    const r = { connections: count, closedAfterSeconds: { min: round(Math.min(...secs), 2), max: round(Math.max(...secs), 2) }, answered: conns.filter((c) => c.answered).length, how };
    out.cases[label] = r;
    line(label, `${count} conns: closed after ${r.closedAfterSeconds.min}–${r.closedAfterSeconds.max} s, ${r.answered} answered, ${reasons(how)}`);
  }
  out.closes = gained(m0, m1, 'flipdns_tcp_connections_closed_total');
  out.rssMiB = { before: rssBefore, peak: mib(peak), after: rssMiB(server) };
  line('server closes', reasons(out.closes));
  line('server RSS', `${out.rssMiB.before} → peak ${out.rssMiB.peak} → ${out.rssMiB.after} MiB`);
  return out;
}

/** A query of exactly `size` bytes: www A with an EDNS padding option (RFC 7830) filling the rest. */
function paddedQuery(size, id) {
  const base = query(`www.${ZONE}`, 'A', id);
  const pad = size - base.length - 11 - 4;
  const opt = Buffer.alloc(11 + 4 + pad);
  opt.writeUInt16BE(41, 1); // OPT
  opt.writeUInt16BE(4096, 3); // payload size
  opt.writeUInt16BE(4 + pad, 9);
  opt.writeUInt16BE(12, 11); // padding
  opt.writeUInt16BE(pad, 13);
  const m = Buffer.concat([base, opt]);
  m.writeUInt16BE(1, 10); // ARCOUNT
  return m;
}

/** A TCP connection that hands out whole answers in order. */
async function tcpConversation(port, address) {
  const s = connect({ port, host: HOST, localAddress: address, noDelay: true });
  let buf = Buffer.alloc(0);
  const waiting = [];
  let closed = false;
  s.on('data', (c) => {
    buf = Buffer.concat([buf, c]);
    while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
      const m = buf.subarray(2, 2 + buf.readUInt16BE(0));
      buf = buf.subarray(2 + m.length);
      waiting.shift()?.(m);
    }
  });
  s.on('error', () => undefined);
  s.on('close', () => {
    closed = true;
    for (const w of waiting.splice(0)) w(undefined);
  });
  await new Promise((r, j) => s.once('connect', r).once('error', j));
  return {
    socket: s,
    answer: () => (closed ? Promise.resolve(undefined) : new Promise((r) => waiting.push(r))),
  };
}

/** read() system calls the process has made (/proc/PID/io), or undefined where it cannot be read. */
function readCalls(pid) {
  try {
    return Number(/^syscr: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))[1]);
  } catch {
    return undefined;
  }
}

/** Writes `msg` one byte per write, each handed to the kernel before the next; yields to the event loop every 1,024 bytes. */
async function writeByteByByte(socket, msg, until = Infinity) {
  let b = 0;
  for (; b < msg.length && !socket.destroyed && now() < until; b++) {
    await new Promise((r) => socket.write(msg.subarray(b, b + 1), r));
    if ((b & 1023) === 1023) await new Promise((r) => setImmediate(r));
  }
  return b;
}

/** (4) A message a byte per write against in one write: server CPU and reads per message; then memory of messages trickled on many connections. */
async function reassembly(server, args) {
  const big = 65535;
  console.log(`\n-- (4) reassembly: a query of up to ${big} bytes (EDNS padding) sent a byte per write vs in one write`);
  const oneWriteMessages = 500; // enough for the 10 ms clock ticks to count
  const c1 = await tcpConversation(server.port, '127.3.1.1');
  const rcodes = {};
  const ticks0 = treeTicks(server.pid);
  const reads0 = readCalls(server.pid);
  let answered = 0;
  for (let i = 0; i < oneWriteMessages; i++) {
    const a = c1.answer();
    c1.socket.write(framed(paddedQuery(big, i)));
    const m = await a;
    if (!m) break;
    answered++;
    const rc = dnsPacket.decode(m).rcode;
    rcodes[rc] = (rcodes[rc] ?? 0) + 1;
  }
  const oneWrite = {
    messageBytes: big,
    messages: oneWriteMessages,
    answered,
    rcodes,
    serverCpuMsPerMessage: round((cpuSecondsBetween(ticks0, treeTicks(server.pid)) * 1000) / oneWriteMessages, 3),
    serverReadsPerMessage: reads0 === undefined ? undefined : round((readCalls(server.pid) - reads0) / oneWriteMessages, 1),
  };
  c1.socket.destroy();
  line(`${big} bytes in one write`, `${answered}/${oneWriteMessages} answered ${reasons(rcodes)}; server CPU ${oneWrite.serverCpuMsPerMessage} ms and ${oneWrite.serverReadsPerMessage} reads per message`);

  const perByte = [];
  for (const size of [16384, big]) {
    const c2 = await tcpConversation(server.port, '127.3.1.2');
    const r = { messageBytes: size, messages: args.reassemblyMessages, answered: 0, rcodes: {} };
    const ticks1 = treeTicks(server.pid);
    const reads1 = readCalls(server.pid);
    const t0 = now();
    for (let i = 0; i < args.reassemblyMessages; i++) {
      const a = c2.answer();
      await writeByteByByte(c2.socket, framed(paddedQuery(size, 100 + i)));
      const m = await Promise.race([a, sleep(DEFAULTS.tcpIdleTimeout + 2000).then(() => undefined)]);
      if (!m) break;
      r.answered++;
      const rc = dnsPacket.decode(m).rcode;
      r.rcodes[rc] = (r.rcodes[rc] ?? 0) + 1;
    }
    const cpuMs = cpuSecondsBetween(ticks1, treeTicks(server.pid)) * 1000;
    const reads = reads1 === undefined ? undefined : readCalls(server.pid) - reads1;
    r.serverCpuMsPerMessage = round(cpuMs / args.reassemblyMessages, 1);
    r.serverCpuNsPerByte = Math.round((cpuMs * 1e6) / (args.reassemblyMessages * size));
    r.serverReadsPerMessage = reads === undefined ? undefined : Math.round(reads / args.reassemblyMessages);
    r.serverCpuUsPerRead = reads ? round((cpuMs * 1000) / reads, 1) : undefined;
    r.clientSecondsPerMessage = round((now() - t0) / 1000 / args.reassemblyMessages, 2);
    c2.socket.destroy();
    perByte.push(r);
    line(`${size} bytes a byte per write`, `${r.answered}/${r.messages} answered ${reasons(r.rcodes)}; server CPU ${r.serverCpuMsPerMessage} ms per message (${r.serverCpuNsPerByte} ns per byte), ${r.serverReadsPerMessage} reads (${r.serverCpuUsPerRead} µs each), ${r.clientSecondsPerMessage} s to send`);
  }
  const ratio = oneWrite.serverCpuMsPerMessage > 0 ? Math.round(perByte.at(-1).serverCpuMsPerMessage / oneWrite.serverCpuMsPerMessage) : undefined;
  line('a byte per write / one write', ratio === undefined ? 'one write took no measurable CPU' : `${ratio}× the server CPU for a ${big}-byte message`);

  // Memory: many connections each trickling a message a byte per write, never finishing it.
  const n = args.trickleConnections;
  const cap = DEFAULTS.tcpMaxConnectionsPerClient;
  const m0 = await metrics(server);
  await sleep(500);
  const rssBefore = rssMiB(server);
  const reads2 = readCalls(server.pid);
  const sampler = rssSampler(server.pid);
  const until = now() + DEFAULTS.tcpIdleTimeout - 2000;
  const t0 = now();
  const conns = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const c = await tcpConversation(server.port, `127.3.2.${Math.floor(i / cap) + 1}`);
      const sent = await writeByteByByte(c.socket, Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.alloc(65533, 0x41)]), until);
      return { c, sent };
    }),
  );
  const sendSeconds = (now() - t0) / 1000;
  const rssHeld = rssMiB(server);
  const readsHeld = reads2 === undefined ? undefined : readCalls(server.pid) - reads2;
  const waitUntil = t0 + DEFAULTS.tcpIdleTimeout + 3000;
  await Promise.all(conns.map(({ c }) => Promise.race([new Promise((r) => (c.socket.destroyed ? r() : c.socket.once('close', r))), sleep(Math.max(0, waitUntil - now()))])));
  const closedAfter = (now() - t0) / 1000;
  for (const { c } of conns) c.socket.destroy();
  await sleep(2000);
  const rssTwoSecondsAfter = rssMiB(server);
  // How long until most of it is given back (the garbage collector's time, not the server's limits).
  let returnedAt;
  for (const until = now() + 10_000; now() < until; await sleep(500)) {
    if (rssMiB(server) < rssBefore + (rssHeld - rssBefore) / 2) {
      returnedAt = now();
      break;
    }
  }
  const bytes = conns.reduce((a, { sent }) => a + sent, 0);
  const trickle = {
    connections: n,
    bytesSent: bytes,
    sendSeconds: round(sendSeconds),
    serverReads: readsHeld,
    rssMiB: { before: rssBefore, heldAtEndOfSending: rssHeld, peak: mib(sampler.stop()), twoSecondsAfterClose: rssTwoSecondsAfter, atEnd: rssMiB(server) },
    halfReturnedSecondsAfterClose: returnedAt === undefined ? undefined : round((returnedAt - t0) / 1000 - closedAfter),
    rssBytesPerByteHeld: Math.round(((rssHeld - rssBefore) * 2 ** 20) / bytes),
    rssBytesPerRead: readsHeld ? Math.round(((rssHeld - rssBefore) * 2 ** 20) / readsHeld) : undefined,
    closedAfterSeconds: round(closedAfter),
    closes: gained(m0, await metrics(server), 'flipdns_tcp_connections_closed_total'),
  };
  line(`${n} connections trickling`, `${mib(bytes)} MiB sent a byte per write in ${trickle.sendSeconds} s (${readsHeld} server reads): RSS ${rssBefore} → ${rssHeld} MiB held (${trickle.rssBytesPerByteHeld} bytes per byte pending, ${trickle.rssBytesPerRead} per read), peak ${trickle.rssMiB.peak}; the server closed them at ${trickle.closedAfterSeconds} s (${reasons(trickle.closes)}); RSS ${trickle.rssMiB.twoSecondsAfterClose} MiB 2 s later, ${trickle.halfReturnedSecondsAfterClose === undefined ? 'not half given back within 12 s' : `half given back ${trickle.halfReturnedSecondsAfterClose} s after the close`} (${trickle.rssMiB.atEnd} MiB)`);
  return { oneWrite, perByte, ratio, trickle, note: 'CPU from /proc/PID/stat (10 ms ticks); reads are read() calls from /proc/PID/io syscr, those that found nothing (EAGAIN) included' };
}

// ---------------------------------------------------------------------------
// HTTP

async function httpPart(start, args) {
  const server = await start({ label: 'http' });
  console.log(`\n== HTTP (server pid ${server.pid}): ${server.command}`);
  console.log(`   httpHeadersTimeout ${DEFAULTS.httpHeadersTimeout} ms, httpRequestTimeout ${DEFAULTS.httpRequestTimeout} ms, httpMaxConnections ${DEFAULTS.httpMaxConnections}, httpAuthFailures ${DEFAULTS.httpAuthFailures}/s`);
  const out = { command: server.command };
  await nodeUp(server);
  out.requests = await hostileRequests(server);
  out.guess = await guessTokens(server, args);
  out.serverAlive = server.alive();
  await server.stop();
  out.flood = {};
  for (const lifted of [false, true]) out.flood[lifted ? 'capLifted' : 'defaultCap'] = await flood(start, args, lifted);
  return out;
}

/** Heartbeats until the node is up (rise 2). */
async function nodeUp(server, address = HOST) {
  for (let i = 0; i < 40; i++) {
    await httpCall(server.httpPort, 'POST', `/api/v1/nodes/${NODE}/heartbeat`, { token: NODE_TOKEN, localAddress: address }).catch(() => undefined);
    if ((await nodeHealth(server)) === 'up') return;
    await sleep(150);
  }
  throw new Error(`${NODE} did not come up`);
}

async function nodeHealth(server) {
  const r = await httpCall(server.httpPort, 'GET', '/api/v1/nodes', { token: ADMIN, timeoutMs: 3000 });
  return JSON.parse(r.text).nodes.find((n) => n.id === NODE)?.health;
}

/**
 * One raw HTTP connection from `address`: `head` at once, then `dribble` a
 * character every `everyMs` (the first at once when there is no head). What
 * came back (the status line) and when, and when the connection closed.
 */
function rawHttp(server, { address, head = '', dribble = '', everyMs = 1000, limitMs = 30_000 }) {
  return new Promise((resolve) => {
    let got = '';
    let t0;
    let answerAt;
    let sent = 0;
    let iv;
    const s = connect({ port: server.httpPort, host: HOST, localAddress: address });
    const limit = setTimeout(() => s.destroy(), limitMs);
    let closedByClient = false;
    limit.unref?.();
    s.on('connect', () => {
      t0 = now();
      let i = 0;
      const tick = () => {
        if (i >= dribble.length || s.destroyed || !s.writable) return;
        s.write(dribble[i++]);
        sent++;
      };
      if (head) {
        s.write(head);
        sent += Buffer.byteLength(head);
      } else tick();
      iv = setInterval(tick, everyMs);
    });
    s.on('data', (c) => {
      if (answerAt === undefined) answerAt = now();
      got += c;
    });
    s.on('error', () => undefined);
    s.on('close', () => {
      clearInterval(iv);
      clearTimeout(limit);
      closedByClient = now() - t0 >= limitMs - 50;
      resolve({
        answer: got.split('\r\n')[0] || '(none)',
        answerSeconds: answerAt === undefined ? undefined : round((answerAt - t0) / 1000, 2),
        closedSeconds: round((now() - t0) / 1000, 2),
        closedBy: closedByClient ? 'the client (limit)' : 'the server',
        bytesSent: sent,
      });
    });
  });
}

/** Slow bodies and heads, and requests that are wrong at once: concurrently, each from an address of its own. */
async function hostileRequests(server) {
  console.log('\n-- hostile requests (each from its own address, all at once)');
  const bodyHead = (method, path, token, length) => `${method} ${path} HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
  const cases = [
    ['admin change, body 1 byte/s, admin token', { head: bodyHead('PUT', '/api/v1/nodes/slow', ADMIN, 1000), dribble: 'x'.repeat(1000), everyMs: 1000 }],
    ['admin change, body 1 byte/s, wrong token', { head: bodyHead('PUT', '/api/v1/nodes/slow', 'wrong-token-0123456789', 1000), dribble: 'x'.repeat(1000), everyMs: 1000 }],
    ['down report, body 1 byte/s, wrong token', { head: bodyHead('POST', `/api/v1/nodes/${NODE}/down`, 'wrong-token-0123456789', 1000), dribble: 'x'.repeat(1000), everyMs: 1000 }],
    ['down report, unknown node, wrong token', { head: bodyHead('POST', '/api/v1/nodes/nosuchnode/down', 'wrong-token-0123456789', 1000), dribble: 'x'.repeat(1000), everyMs: 1000 }],
    ['head 1 byte every 3 s', { dribble: `GET /healthz HTTP/1.1\r\nHost: a\r\n${'X: y\r\n'.repeat(100)}\r\n`, everyMs: 3000 }],
    ['admin change, announces a 10 MiB body', { head: bodyHead('PUT', '/api/v1/nodes/big', ADMIN, 10 * 2 ** 20) }],
    ['admin change, malformed JSON', { head: bodyHead('PUT', '/api/v1/nodes/bad', ADMIN, 9) + '{"token":' }],
    ['unknown path, admin token', { head: 'GET /api/v1/nothing-here HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ' + ADMIN + '\r\n\r\n' }],
    ['head of 20 KiB', { head: `GET /healthz HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20 * 1024)}\r\n\r\n` }],
    ['not HTTP', { head: '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n' }],
  ];
  const m0 = await metrics(server);
  const results = await Promise.all(cases.map(([, c], i) => rawHttp(server, { address: `127.6.0.${i + 1}`, limitMs: DEFAULTS.httpRequestTimeout + 10_000, ...c })));
  const m1 = await metrics(server);
  const out = { cases: {} };
  cases.forEach(([label], i) => {
    const r = results[i];
    out.cases[label] = r;
    line(label, `${r.answer}${r.answerSeconds !== undefined ? ` at ${r.answerSeconds} s` : ''}; closed by ${r.closedBy} at ${r.closedSeconds} s (${r.bytesSent} bytes sent)`);
  });
  out.refused = gained(m0, m1, 'flipdns_http_requests_refused_total');
  out.closes = gained(m0, m1, 'flipdns_http_connections_closed_total');
  line('refused (metrics)', reasons(out.refused));
  line('connections closed (metrics)', reasons(out.closes));
  return out;
}

/** Wrong node tokens from 1 address, then from 50, 20 requests in flight; the node's own heartbeats from 127.0.0.1 meanwhile. */
async function guessTokens(server, args) {
  console.log(`\n-- wrong node tokens, 20 requests in flight, ${args.guessSeconds} s from 1 address then from 50; the node's own heartbeat every 500 ms from 127.0.0.1`);
  const out = { phases: [] };
  const linesAtStart = server.logLines;
  const startedAt = now();
  const m0 = await metrics(server);
  for (const addresses of [1, 50]) {
    const before = server.logLines;
    const mb = await metrics(server);
    const counts = {};
    const own = {};
    let k = 0;
    const t0 = now();
    const until = t0 + args.guessSeconds * 1000;
    const guessers = Array.from({ length: 20 }, async () => {
      while (now() < until) {
        const n = k++;
        const from = `127.7.${Math.floor((n % addresses) / 250)}.${((n % addresses) % 250) + 1}`;
        try {
          const { status } = await httpCall(server.httpPort, 'POST', `/api/v1/nodes/${NODE}/heartbeat`, { token: `guess-${n}-abcdefghijklmnop`, localAddress: from });
          counts[status] = (counts[status] ?? 0) + 1;
        } catch {
          counts.error = (counts.error ?? 0) + 1;
        }
      }
    });
    const owner = (async () => {
      while (now() < until) {
        const t = now();
        try {
          const { status } = await httpCall(server.httpPort, 'POST', `/api/v1/nodes/${NODE}/heartbeat`, { token: NODE_TOKEN });
          own[status] = (own[status] ?? 0) + 1;
        } catch {
          own.error = (own.error ?? 0) + 1;
        }
        await sleep(Math.max(0, 500 - (now() - t)));
      }
    })();
    await Promise.all([...guessers, owner]);
    const seconds = (now() - t0) / 1000;
    const ma = await metrics(server);
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const phase = {
      addresses,
      seconds: round(seconds),
      requests: total,
      requestsPerSecond: Math.round(total / seconds),
      perSecondByStatus: Object.fromEntries(Object.entries(counts).map(([s, v]) => [s, Math.round(v / seconds)])),
      ownHeartbeats: own,
      refused: gained(mb, ma, 'flipdns_http_requests_refused_total'),
      logLines: server.logLines - before,
    };
    out.phases.push(phase);
    line(`from ${addresses} address${addresses > 1 ? 'es' : ''}`, `${phase.requestsPerSecond} requests/s: ${reasons(phase.perSecondByStatus)} a second; own heartbeats ${reasons(own)}; ${phase.logLines} log lines`);
  }
  // Summaries of what the log left out come at the end of its 10 s interval.
  await sleep(Math.max(0, 10_500 - (now() - startedAt)));
  out.health = await nodeHealth(server);
  out.logLinesIn10s = server.logLines - linesAtStart;
  out.refused = gained(m0, await metrics(server), 'flipdns_http_requests_refused_total');
  line('over the 10 s', `${out.logLinesIn10s} log lines; refused ${reasons(out.refused)}; ${NODE} ${out.health}`);
  return out;
}

/** Silent HTTP connections against a server held to `nofile` descriptors, with or without its HTTP connection cap. */
async function flood(start, args, lifted) {
  const server = await start({ label: lifted ? 'flood-cap-lifted' : 'flood', nofile: args.nofile, extraArgs: lifted ? ['--http-max-connections', '100000'] : [] });
  console.log(`\n-- ${args.floodConnections} silent HTTP connections for ${args.floodSeconds} s, ${lifted ? 'cap lifted' : 'default cap'}: ${server.command}`);
  await nodeUp(server);
  const m0 = await metrics(server);
  const changesBefore = server.healthChanges.length;
  const floodFrom = '127.5.0.1';
  const socks = [];
  let failedOpen = 0;
  let reopened = 0;
  const openOne = () =>
    new Promise((r) => {
      const s = connect({ port: server.httpPort, host: HOST, localAddress: floodFrom });
      s.on('error', () => (failedOpen++, r()));
      s.on('connect', r);
      socks.push(s);
    });
  await Promise.all(Array.from({ length: args.floodConnections }, openOne));
  await sleep(500);
  const t0 = now();
  const wallStart = Date.now();
  const probes = { heartbeats: { sent: 0, ok: 0 }, healthz: { sent: 0, ok: 0 }, udp: { sent: 0, ok: 0 }, tcp: { sent: 0, ok: 0 } };
  const count = (p, ok) => (p.sent++, ok && p.ok++);
  while (now() - t0 < args.floodSeconds * 1000) {
    count(probes.heartbeats, await httpCall(server.httpPort, 'POST', `/api/v1/nodes/${NODE}/heartbeat`, { token: NODE_TOKEN, timeoutMs: 2000 }).then((r) => r.status === 200, () => false));
    count(probes.healthz, await httpCall(server.httpPort, 'GET', '/healthz', { timeoutMs: 2000 }).then((r) => r.status === 200, () => false));
    count(probes.udp, (await udpAsk(server.port)) !== undefined);
    count(probes.tcp, (await tcpAsk(server.port)) !== undefined);
    // Keep the flood up: open again what the server closed.
    for (let i = 0; i < socks.length; i++) {
      if (!socks[i].destroyed) continue;
      const s = connect({ port: server.httpPort, host: HOST, localAddress: floodFrom });
      s.on('error', () => undefined);
      socks[i] = s;
      reopened++;
    }
    await sleep(100);
  }
  const openAtEnd = socks.filter((s) => !s.destroyed && !s.connecting).length;
  for (const s of socks) s.destroy();
  await sleep(1000);
  const alive = server.alive();
  const r = {
    command: server.command,
    silentConnections: args.floodConnections,
    failedOpen,
    reopenedByClient: reopened,
    openClientSideAtEnd: openAtEnd,
    probes,
    serverAlive: alive,
    healthAfter: alive ? await nodeHealth(server).catch((e) => `unknown (${e.message})`) : 'server dead',
    healthChanges: server.healthChanges.slice(changesBefore).map((c) => ({ secondsIntoFlood: round((c.at - wallStart) / 1000, 2), from: c.from, to: c.to })),
    closes: alive ? gained(m0, await metrics(server), 'flipdns_http_connections_closed_total') : undefined,
  };
  const p = (x) => `${x.ok}/${x.sent}`;
  line('heartbeats, /healthz, UDP, TCP', `${p(probes.heartbeats)}, ${p(probes.healthz)}, ${p(probes.udp)}, ${p(probes.tcp)} answered`);
  line('node', `${r.healthAfter} after the flood; changes: ${r.healthChanges.length ? r.healthChanges.map((c) => `${c.from}→${c.to} at ${c.secondsIntoFlood} s`).join(', ') : 'none'}`);
  line('connections', `${failedOpen} failed to open, ${reopened} reopened after a close, ${openAtEnd} open at the end (client side); server closed ${r.closes ? reasons(r.closes) : '?'}`);
  await server.stop();
  return r;
}

// ---------------------------------------------------------------------------
// Entry: the honest client's thread, or the bench (last, so that every
// declaration above is in place).

if (!isMainThread && workerData?.role === 'honest') {
  parentPort.postMessage(await honestClient(workerData));
} else {
  await main();
}
