// Shared pieces of the benchmarks: free ports, starting NSD, Knot and flipdns on
// loopback, CPU time of a process tree from /proc, and running dnsperf.
// Plain ESM JavaScript so the benches run with `node bench/...` after `npm run build`.

import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, closeSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { knotConfig } from './knot-config.mjs';
import { nsdConfig } from './nsd-config.mjs';
import dnsPacket from 'dns-packet';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const HOST = '127.0.0.1';

// ---------------------------------------------------------------------------
// Ports

/** A port on 127.0.0.1 free for both UDP and TCP right now. */
export async function freePort() {
  for (let i = 0; i < 100; i++) {
    const udp = createSocket('udp4');
    const port = await new Promise((res, rej) => {
      udp.once('error', rej);
      udp.bind(0, HOST, () => res(udp.address().port));
    });
    const ok = await new Promise((res) => {
      const srv = createServer();
      srv.once('error', () => res(false));
      srv.listen(port, HOST, () => srv.close(() => res(true)));
    });
    await new Promise((res) => udp.close(res));
    if (ok) return port;
  }
  throw new Error('no free port for UDP and TCP on 127.0.0.1');
}

// ---------------------------------------------------------------------------
// Probing

/** One UDP query; resolves with the decoded response or rejects on timeout. */
export function probe(port, name, type = 'SOA', timeoutMs = 300) {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    const id = Math.floor(Math.random() * 65536);
    const t = setTimeout(() => {
      sock.close();
      reject(new Error('timeout'));
    }, timeoutMs);
    sock.on('message', (msg) => {
      clearTimeout(t);
      sock.close();
      try {
        resolve(dnsPacket.decode(msg));
      } catch (err) {
        reject(err);
      }
    });
    sock.on('error', (err) => {
      clearTimeout(t);
      sock.close();
      reject(err);
    });
    sock.send(dnsPacket.encode({ type: 'query', id, questions: [{ name, type, class: 'IN' }] }), port, HOST);
  });
}

async function waitAnswer(child, port, zone, what, logFile, timeoutMs = 60_000, pollMs = 100, probeTimeoutMs = 300, accept = (r) => r.rcode === 'NOERROR' && r.answers.length > 0) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${what} exited during startup (code ${child.exitCode}, signal ${child.signalCode}):\n${tail(logFile)}`);
    }
    try {
      const r = await probe(port, zone, 'SOA', probeTimeoutMs);
      if (accept(r)) return;
      last = r.rcode;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() > deadline) throw new Error(`${what} did not answer SOA ${zone} on port ${port} (${last}):\n${tail(logFile)}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

function tail(file, n = 4000) {
  try {
    const s = readFileSync(file, 'utf8');
    return s.slice(-n);
  } catch {
    return '(no log)';
  }
}

function stopper(child) {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid, 'SIGTERM');
    const done = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
    if (!done && child.exitCode === null) {
      process.kill(child.pid, 'SIGKILL');
      await exited;
    }
  };
}

// ---------------------------------------------------------------------------
// Servers

export function findNsd() {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    if (d && existsSync(join(d, 'nsd'))) return join(d, 'nsd');
  }
  throw new Error('NSD is not installed (no `nsd` in PATH or /usr/sbin): apt-get install nsd');
}

/** Starts `nsd -d` with everything in `dir`; resolves once it answers SOA `zones[0].origin`. */
export async function startNsd({ dir, zones, port, serverCount = 1 }) {
  const nsd = findNsd();
  mkdirSync(dir, { recursive: true });
  const conf = nsdConfig({ dir, port, zones, serverCount });
  const confPath = join(dir, 'nsd.conf');
  writeFileSync(confPath, conf);
  const logFile = join(dir, 'nsd.out');
  const fd = openSync(logFile, 'a');
  const child = spawn(nsd, ['-d', '-c', confPath], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const stop = stopper(child);
  try {
    await waitAnswer(child, port, zones[0].origin, 'nsd', join(dir, 'nsd.log'));
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: 'nsd', port, pid: child.pid, stop };
}

export function findKnotd() {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin']) {
    if (d && existsSync(join(d, 'knotd'))) return join(d, 'knotd');
  }
  throw new Error('Knot DNS is not installed (no `knotd` in PATH or /usr/sbin): apt-get install knot');
}

/** Starts `knotd` in the foreground with everything in `dir`; resolves once it answers SOA `zones[0].origin`. */
export async function startKnot({ dir, zones, port }) {
  const knotd = findKnotd();
  mkdirSync(join(dir, 'db'), { recursive: true });
  const confPath = join(dir, 'knot.conf');
  writeFileSync(confPath, knotConfig({ dir, port, zones }));
  const logFile = join(dir, 'knot.out');
  const fd = openSync(logFile, 'a');
  const child = spawn(knotd, ['-c', confPath], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const stop = stopper(child);
  try {
    await waitAnswer(child, port, zones[0].origin, 'knotd', join(dir, 'knot.log'));
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: 'knot', port, pid: child.pid, stop };
}

/** The first lines of a bench zone: origin, TTL, SOA, two in-zone name servers. */
export function zoneHeader(origin) {
  return [
    `$ORIGIN ${origin}.`,
    '$TTL 300',
    `@ IN SOA ns1.${origin}. hostmaster.${origin}. 1 7200 3600 1209600 300`,
    '@ IN NS ns1',
    '@ IN NS ns2',
    'ns1 IN A 192.0.2.1',
    'ns2 IN A 192.0.2.2',
  ];
}

/** Starts bench/udp-echo.mjs, the no-DNS-work floor of a Node UDP server; resolves once it answers. */
export async function startUdpEcho({ port, logFile }) {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [join(ROOT, 'bench/udp-echo.mjs'), String(port)], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const stop = stopper(child);
  try {
    await waitAnswer(child, port, 'echo.test', 'udp echo', logFile, undefined, undefined, undefined, () => true);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: 'echo', port, pid: child.pid, stop };
}

/**
 * Starts `node bin/flipdns serve`; resolves once it answers SOA `zone`.
 * Optional: `extraArgs` appended to the command line; `pollMs` / `probeTimeoutMs`
 * for the SOA probes (100 / 300 by default; smaller values time the start more finely);
 * `name`, the server's name in the results (`flipdns`).
 * The result's `startupMs` is the time from spawn to the first SOA answer.
 */
export async function startFlipdns({ zonesDir, zone, port, httpPort, workers, logFile, extraArgs = [], pollMs, probeTimeoutMs, name = 'flipdns' }) {
  const main = join(ROOT, 'dist/cli/main.js');
  if (!existsSync(main)) throw new Error(`flipdns is not built (${main} missing): run \`npm run build\``);
  const args = [join(ROOT, 'bin/flipdns'), 'serve', '--zones', zonesDir, '--host', HOST, '--port', String(port), '--http-port', String(httpPort)];
  if (workers !== undefined) args.push('--workers', String(workers));
  args.push(...extraArgs);
  const fd = openSync(logFile, 'a');
  const started = performance.now();
  const child = spawn(process.execPath, args, { stdio: ['ignore', fd, fd], cwd: ROOT });
  closeSync(fd);
  const stop = stopper(child);
  try {
    await waitAnswer(child, port, zone, 'flipdns', logFile, undefined, pollMs, probeTimeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { name, port, pid: child.pid, stop, startupMs: performance.now() - started };
}

// ---------------------------------------------------------------------------
// CPU time of a process tree

const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
})();

function readStat(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); ppid is field 4, utime 14, stime 15.
    return { ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined;
  }
}

/** utime+stime ticks of `root` and each live descendant, by PID. */
export function treeTicks(root) {
  const stats = new Map();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = readStat(Number(e));
    if (st) stats.set(Number(e), st);
  }
  const children = new Map();
  for (const [pid, st] of stats) {
    if (!children.has(st.ppid)) children.set(st.ppid, []);
    children.get(st.ppid).push(pid);
  }
  const out = new Map();
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    const st = stats.get(pid);
    if (!st) continue;
    out.set(pid, st.ticks);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** CPU seconds the tree used between two treeTicks() snapshots (processes that vanished in between are not counted). */
export function cpuSecondsBetween(before, after) {
  let ticks = 0;
  for (const [pid, t] of after) ticks += t - (before.get(pid) ?? 0);
  return ticks / CLK_TCK;
}

/**
 * One dnsperf run against the server `pid` answers on, with the server's CPU
 * seconds over it, printed as one line; `label` names the run in that line.
 */
export async function measuredRun(pid, perf, round, label) {
  const before = treeTicks(pid);
  const r = await runDnsperf(perf);
  const cpu = cpuSecondsBetween(before, treeTicks(pid));
  const run = {
    round,
    qps: r.qps,
    completed: r.completed,
    lost: r.lost,
    cpuSeconds: cpu,
    queriesPerCpuSecond: cpu > 0 ? r.completed / cpu : NaN,
    latencyAvgMs: r.latencyAvg * 1000,
    rcodes: r.rcodes,
    command: r.args,
  };
  console.log(
    `round ${round} ${label.padEnd(8)} ${fmt(r.qps).padStart(9)} qps  lost ${r.lost}  cpu ${cpu.toFixed(2)} s  ` +
      `${fmt(run.queriesPerCpuSecond).padStart(9)} q/cpu-s  avg latency ${run.latencyAvgMs.toFixed(2)} ms  ${JSON.stringify(r.rcodes)}`,
  );
  return run;
}

/** Resident memory of one process from /proc/PID/status: current (VmRSS) and peak (VmHWM), in bytes. */
export function processMemory(pid) {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(s)?.[1]) * 1024;
  return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

// ---------------------------------------------------------------------------
// dnsperf

export function findDnsperf() {
  for (const d of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/local/bin']) {
    if (d && existsSync(join(d, 'dnsperf'))) return join(d, 'dnsperf');
  }
  throw new Error('dnsperf is not installed: apt-get install dnsperf');
}

/** Runs dnsperf against 127.0.0.1:port and parses its summary. */
export function runDnsperf({ port, file, seconds, clients, threads, outstanding, maxQps }) {
  const args = ['-s', HOST, '-p', String(port), '-d', file, '-l', String(seconds), '-c', String(clients), '-T', String(threads), '-q', String(outstanding)];
  if (maxQps) args.push('-Q', String(maxQps));
  return new Promise((resolve, reject) => {
    const child = spawn(findDnsperf(), args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const num = (re) => {
        const m = re.exec(out);
        return m ? Number(m[1]) : NaN;
      };
      const res = {
        args: ['dnsperf', ...args].join(' '),
        qps: num(/Queries per second:\s+([\d.]+)/),
        sent: num(/Queries sent:\s+(\d+)/),
        completed: num(/Queries completed:\s+(\d+)/),
        lost: num(/Queries lost:\s+(\d+)/),
        runTime: num(/Run time \(s\):\s+([\d.]+)/),
        latencyAvg: num(/Average Latency \(s\):\s+([\d.]+)/),
        rcodes: Object.fromEntries([...(/Response codes:(.*)/.exec(out)?.[1] ?? '').matchAll(/([A-Z]+) (\d+) \(/g)].map((m) => [m[1], Number(m[2])])),
        output: out,
      };
      if (code !== 0 || !Number.isFinite(res.qps)) reject(new Error(`dnsperf failed (exit ${code}):\n${out}`));
      else resolve(res);
    });
  });
}

// ---------------------------------------------------------------------------
// Small utilities

/** Deterministic PRNG (mulberry32): the drill's, so benches and drills draw alike. */
export { seededRandom as prng } from '../dist/measure/drill/traffic.js';

/** Parses `--name value` / `--flag` options against defaults (numbers stay numbers). */
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-h' || a === '--help') {
      out.help = true;
      continue;
    }
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const [k, inline] = a.slice(2).split('=', 2);
    const key = k.replace(/-([a-z])/g, (_m, c) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown option --${k}`);
    const v = inline ?? (typeof defaults[key] === 'boolean' ? 'true' : argv[++i]);
    if (v === undefined) throw new Error(`--${k} needs a value`);
    out[key] = typeof defaults[key] === 'number' || (defaults[key] === undefined && /^\d+(\.\d+)?$/.test(v)) ? Number(v) : typeof defaults[key] === 'boolean' ? v !== 'false' : v;
  }
  return out;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function sum(xs) {
  return xs.reduce((a, b) => a + b, 0);
}

export function fmt(n, digits = 0) {
  return Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : String(n);
}
