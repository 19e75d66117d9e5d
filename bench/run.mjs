#!/usr/bin/env node
// Throughput of flipdns against NSD on the same zone, same machine, same run.
//
//   npm run bench -- [--duration 10] [--rounds 3] [--workers N] [--names 10000]
//                    [--clients 4] [--threads 1] [--outstanding 100] [--warmup 3]
//                    [--against nsd|echo] [--json FILE] [--keep]
//
// Generates a zone of --names names and a dnsperf query file (80 % names that
// exist, 10 % NODATA: an existing name with a type it lacks, 10 % NXDOMAIN),
// starts NSD (server-count 1, no rate limit) and flipdns (one process, or
// --workers N) on 127.0.0.1, then alternates dnsperf runs: NSD, flipdns, NSD,
// flipdns... For each run it records dnsperf's queries/s and the server's CPU
// seconds (utime+stime from /proc, summed over the server's process tree), and
// prints qps, the ratio flipdns/NSD, and queries per server CPU-second.
// --against echo puts bench/udp-echo.mjs there: Node's dgram with no DNS work,
// the most any Node server can reach in this harness.
// --against nsd puts a second NSD in flipdns's place (checks the harness: the
// ratios should come out near 1).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  findDnsperf,
  findNsd,
  fmt,
  freePort,
  measuredRun,
  median,
  parseArgs,
  zoneHeader,
  prng,
  runDnsperf,
  startFlipdns,
  startNsd,
  startUdpEcho,
  sum,
} from './lib.mjs';

const HELP = `usage: node bench/run.mjs [options]
  --duration S      seconds per dnsperf run (10)
  --rounds N        rounds; each runs NSD then flipdns (3)
  --warmup S        seconds of unmeasured load on each server first (3)
  --workers N       passed to flipdns serve --workers
  --names N         names in the generated zone (10000)
  --queries N       lines in the dnsperf query file (100000)
  --clients N       dnsperf -c (4)
  --threads N       dnsperf -T (1)
  --outstanding N   dnsperf -q (100)
  --max-qps N       dnsperf -Q (0: unlimited)
  --against nsd     a second NSD in flipdns's place (harness check)
  --against echo    a bare Node UDP echo in flipdns's place (the Node floor)
  --json FILE       also write the results as JSON
  --keep            keep the temp dir (zone, query file, logs)`;

const opts = parseArgs(process.argv.slice(2), {
  duration: 10,
  rounds: 3,
  warmup: 3,
  workers: undefined,
  names: 10000,
  queries: 100000,
  clients: 4,
  threads: 1,
  outstanding: 100,
  maxQps: 0,
  against: 'flipdns',
  json: '',
  keep: false,
});
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}

const ORIGIN = 'bench.test';

/** The zone: h0..h{n-1} with A (every name) and AAAA (every other name); no TXT anywhere (NODATA queries ask TXT). */
function zoneText(n) {
  const lines = zoneHeader(ORIGIN);
  for (let i = 0; i < n; i++) {
    lines.push(`h${i} IN A 198.51.${(i >> 8) & 0xff}.${i & 0xff}`);
    if (i % 2 === 0) lines.push(`h${i} IN AAAA 2001:db8::${(i & 0xffff).toString(16)}`);
  }
  return lines.join('\n') + '\n';
}

/** dnsperf input: 80 % existing (A, or AAAA where it exists), 10 % NODATA (TXT), 10 % NXDOMAIN. */
function queryFile(n, count) {
  const rnd = prng(20240101);
  const lines = [];
  const mix = { exists: 0, nodata: 0, nxdomain: 0 };
  for (let i = 0; i < count; i++) {
    const r = rnd();
    const k = Math.floor(rnd() * n);
    if (r < 0.8) {
      const aaaa = k % 2 === 0 && rnd() < 0.25;
      lines.push(`h${k}.${ORIGIN} ${aaaa ? 'AAAA' : 'A'}`);
      mix.exists++;
    } else if (r < 0.9) {
      lines.push(`h${k}.${ORIGIN} TXT`);
      mix.nodata++;
    } else {
      lines.push(`nx${k}.${ORIGIN} A`);
      mix.nxdomain++;
    }
  }
  return { text: lines.join('\n') + '\n', mix };
}

async function main() {
  findNsd();
  findDnsperf();
  const dir = mkdtempSync(join(tmpdir(), 'flipdns-bench-'));
  const zonesDir = join(dir, 'zones');
  const zoneFile = join(zonesDir, `${ORIGIN}.zone`);
  const qFile = join(dir, 'queries.txt');
  const servers = [];
  try {
    mkdirSync(zonesDir);
    writeFileSync(zoneFile, zoneText(opts.names));
    const q = queryFile(opts.names, opts.queries);
    writeFileSync(qFile, q.text);

    const nsd = await startNsd({ dir: join(dir, 'nsd'), zones: [{ origin: ORIGIN, file: zoneFile }], port: await freePort(), serverCount: 1 });
    servers.push(nsd);
    let other;
    if (opts.against === 'nsd') {
      other = await startNsd({ dir: join(dir, 'nsd2'), zones: [{ origin: ORIGIN, file: zoneFile }], port: await freePort(), serverCount: 1 });
      other.name = 'nsd#2';
    } else if (opts.against === 'echo') {
      other = await startUdpEcho({ port: await freePort(), logFile: join(dir, 'echo.log') });
    } else {
      other = await startFlipdns({
        zonesDir,
        zone: ORIGIN,
        port: await freePort(),
        httpPort: await freePort(),
        workers: opts.workers,
        logFile: join(dir, 'flipdns.log'),
      });
    }
    servers.push(other);

    const perf = { seconds: opts.duration, file: qFile, clients: opts.clients, threads: opts.threads, outstanding: opts.outstanding, maxQps: opts.maxQps };
    console.log(`# flipdns bench: ${new Date().toISOString()}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}`);
    console.log(`# zone ${ORIGIN}: ${opts.names} names; queries: ${opts.queries} lines (${q.mix.exists} exist, ${q.mix.nodata} NODATA, ${q.mix.nxdomain} NXDOMAIN)`);
    console.log(`# nsd pid ${nsd.pid} port ${nsd.port}; ${other.name} pid ${other.pid} port ${other.port}${opts.workers ? ` workers ${opts.workers}` : ''}`);

    if (opts.warmup > 0) {
      for (const s of servers) await runDnsperf({ ...perf, port: s.port, seconds: opts.warmup });
    }

    const runs = [];
    for (let round = 1; round <= opts.rounds; round++) {
      for (const s of servers) {
        runs.push({ server: s.name, ...(await measuredRun(s.pid, { ...perf, port: s.port }, round, s.name)) });
      }
    }

    const of = (name) => runs.filter((r) => r.server === name);
    const summary = {};
    for (const s of servers) {
      const rs = of(s.name);
      summary[s.name] = {
        qpsMedian: median(rs.map((r) => r.qps)),
        qpsMean: sum(rs.map((r) => r.qps)) / rs.length,
        queriesPerCpuSecond: sum(rs.map((r) => r.completed)) / sum(rs.map((r) => r.cpuSeconds)),
        cpuSecondsPerRun: sum(rs.map((r) => r.cpuSeconds)) / rs.length,
        lost: sum(rs.map((r) => r.lost)),
      };
    }
    const a = summary[nsd.name];
    const b = summary[other.name];
    // Ratio of each round's pair, then the median: pairs ran back to back, so they share the machine's state.
    const pairRatios = [];
    for (let round = 1; round <= opts.rounds; round++) {
      const x = runs.find((r) => r.round === round && r.server === nsd.name);
      const y = runs.find((r) => r.round === round && r.server === other.name);
      pairRatios.push(y.qps / x.qps);
    }
    const result = {
      date: new Date().toISOString(),
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model,
      node: process.version,
      options: opts,
      mix: q.mix,
      runs,
      summary,
      qpsRatio: b.qpsMedian / a.qpsMedian,
      qpsRatioPerRoundMedian: median(pairRatios),
      cpuEfficiencyRatio: b.queriesPerCpuSecond / a.queriesPerCpuSecond,
    };
    console.log('');
    for (const s of servers) {
      const x = summary[s.name];
      console.log(
        `${s.name.padEnd(8)} median ${fmt(x.qpsMedian).padStart(9)} qps   ${fmt(x.queriesPerCpuSecond).padStart(9)} queries per CPU-second   ` +
          `${x.cpuSecondsPerRun.toFixed(2)} CPU-s per ${opts.duration} s run   lost ${x.lost}`,
      );
    }
    console.log(`${other.name}/nsd qps ratio:                   ${result.qpsRatio.toFixed(3)} (median of per-round ratios ${result.qpsRatioPerRoundMedian.toFixed(3)}; target >= 0.70)`);
    console.log(`${other.name}/nsd queries-per-CPU-second ratio: ${result.cpuEfficiencyRatio.toFixed(3)} (target >= 0.50)`);
    if (opts.json) writeFileSync(opts.json, JSON.stringify(result, null, 2) + '\n');
  } finally {
    for (const s of servers.reverse()) await s.stop().catch(() => {});
    if (opts.keep) console.log(`# kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
