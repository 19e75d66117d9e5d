#!/usr/bin/env node
// Pool answers against static answers, in one flipdns process, same run.
//
//   npm run build && node bench/pools.mjs [--duration 10] [--rounds 3] [--pools 10000]
//                    [--names 10000] [--nodes 100] [--starts 3] [--warmup 3]
//                    [--clients 4] [--threads 1] [--outstanding 100] [--json FILE] [--keep]
//
// Generates one zone `bench.test` with --names static names (h0..h{n-1}, one A
// each) and a pool file `bench.test.pools.json` with --pools pools
// (p0..p{n-1}.bench.test, type A, failover, TTL 5, two members on two of
// --nodes nodes). The nodes have a one-hour heartbeat interval and never send a
// heartbeat, so with the embedded store every member stays `unknown` (counted
// up) for the whole run and each pool answers its priority-0 member.
//
// Startup: starts flipdns --starts times on the zone alone and --starts times
// on the zone with the pool file, alternating, and records the time from spawn
// to the first SOA answer (probed every 10 ms) and the RSS once it answers.
//
// Throughput: starts one flipdns (`serve --log-level warn`, one process) on the
// zone with the pools, warms it up with each query file, then alternates
// dnsperf runs on two query files of the same shape (100,000 lines, the same
// random sequence of indexes k, every name existing, type A): `hk.bench.test A`
// (static) and `pk.bench.test A` (pools). Per run it records dnsperf's qps and
// the server's CPU seconds (utime+stime from /proc), then prints the medians,
// the queries per CPU-second, and the ratios pools/static (target >= 0.9).

import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  findDnsperf,
  fmt,
  freePort,
  measuredRun,
  median,
  parseArgs,
  zoneHeader,
  probe,
  processMemory,
  prng,
  runDnsperf,
  startFlipdns,
  sum,
} from './lib.mjs';

const HELP = `usage: npm run build && node bench/pools.mjs [options]
  --duration S      seconds per dnsperf run (10)
  --rounds N        rounds; each runs static then pools (3)
  --warmup S        seconds of unmeasured load with each query file first (3)
  --pools N         pools in the pool file (10000)
  --names N         static names in the zone (10000)
  --nodes N         nodes the pool members are spread over (100)
  --starts N        timed starts of each of zone-only and zone+pools (3)
  --queries N       lines in each dnsperf query file (100000)
  --clients N       dnsperf -c (4)
  --threads N       dnsperf -T (1)
  --outstanding N   dnsperf -q (100)
  --max-qps N       dnsperf -Q (0: unlimited)
  --ledger=false    the staleness ledger off on the server (on by default)
  --json FILE       also write the results as JSON
  --keep            keep the temp dir (zone, pool file, query files, logs)`;

const opts = parseArgs(process.argv.slice(2), {
  duration: 10,
  rounds: 3,
  warmup: 3,
  pools: 10000,
  names: 10000,
  nodes: 100,
  starts: 3,
  queries: 100000,
  clients: 4,
  threads: 1,
  outstanding: 100,
  maxQps: 0,
  ledger: true,
  json: '',
  keep: false,
});
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
if (opts.nodes < 2) throw new Error('--nodes must be at least 2');

const ORIGIN = 'bench.test';
const INTERVAL_MS = 3_600_000;
const MiB = 1024 * 1024;

/** h0..h{n-1}, one A each. */
function zoneText(n) {
  const lines = zoneHeader(ORIGIN);
  for (let i = 0; i < n; i++) lines.push(`h${i} IN A 198.51.${(i >> 8) & 0xff}.${i & 0xff}`);
  return lines.join('\n') + '\n';
}

/** Pool i: failover over members on nodes i mod N (priority 0) and (i + N/2 + 1) mod N (priority 1). */
function poolFile(pools, nodes) {
  const nodeId = (j) => `n${j}`;
  return {
    nodes: Array.from({ length: nodes }, (_, j) => ({
      id: nodeId(j),
      intervalMs: INTERVAL_MS,
      fall: 3,
      rise: 2,
      tokenSha256: createHash('sha256').update(`bench-token-${j}`).digest('hex'),
    })),
    pools: Array.from({ length: pools }, (_, i) => {
      const a = i % nodes;
      const b = (a + (nodes >> 1) + 1) % nodes;
      const net = `10.${(i >> 8) & 0xff}.${i & 0xff}`;
      return {
        name: `p${i}.${ORIGIN}.`,
        type: 'A',
        policy: 'failover',
        ttl: 5,
        members: [
          { id: 'm1', node: nodeId(a), value: `${net}.1`, priority: 0, weight: 1 },
          { id: 'm2', node: nodeId(b === a ? (a + 1) % nodes : b), value: `${net}.2`, priority: 1, weight: 1 },
        ],
      };
    }),
  };
}

/** `count` lines `${prefix}k.bench.test A`, k from the same fixed-seed sequence for every prefix. */
function queryFile(prefix, n, count) {
  const rnd = prng(20240101);
  const lines = [];
  for (let i = 0; i < count; i++) lines.push(`${prefix}${Math.floor(rnd() * n)}.${ORIGIN} A`);
  return lines.join('\n') + '\n';
}

async function start(zonesDir, logFile) {
  const s = await startFlipdns({
    zonesDir,
    zone: ORIGIN,
    port: await freePort(),
    httpPort: 0,
    logFile,
    extraArgs: ['--log-level', 'warn', '--ledger', String(opts.ledger)],
    pollMs: 10,
    probeTimeoutMs: 50,
  });
  s.memory = processMemory(s.pid);
  return s;
}

/** Checks one static and one pool answer: A, the expected address, the expected TTL. */
async function checkAnswers(port) {
  const st = await probe(port, `h1.${ORIGIN}`, 'A', 1000);
  const pl = await probe(port, `p1.${ORIGIN}`, 'A', 1000);
  const a = (r) => r.answers.filter((x) => x.type === 'A').map((x) => `${x.data}/${x.ttl}`).join(',');
  if (st.rcode !== 'NOERROR' || a(st) !== '198.51.0.1/300') throw new Error(`unexpected static answer: ${st.rcode} ${a(st)}`);
  if (pl.rcode !== 'NOERROR' || a(pl) !== '10.0.1.1/5') throw new Error(`unexpected pool answer: ${pl.rcode} ${a(pl)}`);
  return { static: a(st), pool: a(pl) };
}

async function main() {
  findDnsperf();
  const dir = mkdtempSync(join(tmpdir(), 'flipdns-bench-pools-'));
  const plainDir = join(dir, 'zone-only');
  const poolsDir = join(dir, 'zone-pools');
  const files = { static: join(dir, 'queries-static.txt'), pools: join(dir, 'queries-pools.txt') };
  const running = [];
  const stopAll = async () => {
    while (running.length) await running.pop().stop().catch(() => {});
  };
  try {
    mkdirSync(plainDir);
    mkdirSync(poolsDir);
    const zone = zoneText(opts.names);
    writeFileSync(join(plainDir, `${ORIGIN}.zone`), zone);
    writeFileSync(join(poolsDir, `${ORIGIN}.zone`), zone);
    const poolJson = JSON.stringify(poolFile(opts.pools, opts.nodes), null, 1) + '\n';
    writeFileSync(join(poolsDir, `${ORIGIN}.pools.json`), poolJson);
    writeFileSync(files.static, queryFile('h', opts.names, opts.queries));
    writeFileSync(files.pools, queryFile('p', opts.pools, opts.queries));

    console.log(`# flipdns pools bench: ${new Date().toISOString()}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}`);
    console.log(
      `# zone ${ORIGIN}: ${opts.names} static names (A); pool file: ${opts.pools} pools (A, failover, 2 members, TTL 5) on ${opts.nodes} nodes, ` +
        `${(Buffer.byteLength(poolJson) / MiB).toFixed(1)} MiB; query files: ${opts.queries} lines each`,
    );

    // Startup: zone only, then zone + pools, alternating.
    const starts = { zoneOnly: [], withPools: [] };
    for (let i = 1; i <= opts.starts; i++) {
      for (const [key, zonesDir] of [
        ['zoneOnly', plainDir],
        ['withPools', poolsDir],
      ]) {
        const s = await start(zonesDir, join(dir, `start-${key}.log`));
        running.push(s);
        starts[key].push({ startupMs: s.startupMs, rssBytes: s.memory.rssBytes, peakRssBytes: s.memory.peakRssBytes });
        console.log(`start ${i} ${key.padEnd(9)} answered after ${fmt(s.startupMs)} ms, rss ${(s.memory.rssBytes / MiB).toFixed(0)} MiB (peak ${(s.memory.peakRssBytes / MiB).toFixed(0)} MiB)`);
        await stopAll();
      }
    }

    // Throughput.
    const server = await start(poolsDir, join(dir, 'flipdns.log'));
    running.push(server);
    const answers = await checkAnswers(server.port);
    console.log(`# flipdns pid ${server.pid} port ${server.port}, started in ${fmt(server.startupMs)} ms; h1 A -> ${answers.static}, p1 A -> ${answers.pool}`);

    const perf = { seconds: opts.duration, clients: opts.clients, threads: opts.threads, outstanding: opts.outstanding, maxQps: opts.maxQps, port: server.port };
    const kinds = ['static', 'pools'];
    if (opts.warmup > 0) for (const kind of kinds) await runDnsperf({ ...perf, file: files[kind], seconds: opts.warmup });

    const runs = [];
    for (let round = 1; round <= opts.rounds; round++) {
      for (const kind of kinds) {
        runs.push({ kind, ...(await measuredRun(server.pid, { ...perf, file: files[kind] }, round, kind)) });
      }
    }
    const afterLoad = processMemory(server.pid);

    const summary = {};
    for (const kind of kinds) {
      const rs = runs.filter((r) => r.kind === kind);
      summary[kind] = {
        qpsMedian: median(rs.map((r) => r.qps)),
        queriesPerCpuSecond: sum(rs.map((r) => r.completed)) / sum(rs.map((r) => r.cpuSeconds)),
        cpuSecondsPerRun: sum(rs.map((r) => r.cpuSeconds)) / rs.length,
        lost: sum(rs.map((r) => r.lost)),
      };
    }
    // Each pool run against the static run just before it: they share the machine's state.
    const pairRatios = [];
    for (let round = 1; round <= opts.rounds; round++) {
      const x = runs.find((r) => r.round === round && r.kind === 'static');
      const y = runs.find((r) => r.round === round && r.kind === 'pools');
      pairRatios.push(y.qps / x.qps);
    }
    const startSummary = Object.fromEntries(
      Object.entries(starts).map(([k, xs]) => [k, { startupMsMedian: median(xs.map((x) => x.startupMs)), rssMiBMedian: median(xs.map((x) => x.rssBytes)) / MiB, runs: xs }]),
    );
    const result = {
      date: new Date().toISOString(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      node: process.version,
      options: opts,
      starts: startSummary,
      server: { startupMs: server.startupMs, rssAfterStartMiB: server.memory.rssBytes / MiB, rssAfterLoadMiB: afterLoad.rssBytes / MiB, peakRssMiB: afterLoad.peakRssBytes / MiB },
      runs,
      summary,
      qpsRatio: summary.pools.qpsMedian / summary.static.qpsMedian,
      qpsRatioPerRoundMedian: median(pairRatios),
      cpuEfficiencyRatio: summary.pools.queriesPerCpuSecond / summary.static.queriesPerCpuSecond,
    };

    console.log('');
    const z = startSummary.zoneOnly;
    const p = startSummary.withPools;
    console.log(`startup (median of ${opts.starts}): zone only ${fmt(z.startupMsMedian)} ms, rss ${z.rssMiBMedian.toFixed(0)} MiB; with ${opts.pools} pools ${fmt(p.startupMsMedian)} ms, rss ${p.rssMiBMedian.toFixed(0)} MiB`);
    console.log(
      `bench server: started in ${fmt(server.startupMs)} ms; rss ${result.server.rssAfterStartMiB.toFixed(0)} MiB after start, ` +
        `${result.server.rssAfterLoadMiB.toFixed(0)} MiB after the runs (peak ${result.server.peakRssMiB.toFixed(0)} MiB)`,
    );
    for (const kind of kinds) {
      const x = summary[kind];
      console.log(
        `${kind.padEnd(6)} median ${fmt(x.qpsMedian).padStart(9)} qps   ${fmt(x.queriesPerCpuSecond).padStart(9)} queries per CPU-second   ` +
          `${x.cpuSecondsPerRun.toFixed(2)} CPU-s per ${opts.duration} s run   lost ${x.lost}`,
      );
    }
    console.log(`pools/static qps ratio:                   ${result.qpsRatio.toFixed(3)} (median of per-round ratios ${result.qpsRatioPerRoundMedian.toFixed(3)}; target >= 0.90)`);
    console.log(`pools/static queries-per-CPU-second ratio: ${result.cpuEfficiencyRatio.toFixed(3)} (target >= 0.90)`);
    if (opts.json) writeFileSync(opts.json, JSON.stringify(result, null, 2) + '\n');
  } finally {
    await stopAll();
    if (opts.keep) console.log(`# kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
