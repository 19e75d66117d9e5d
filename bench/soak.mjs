#!/usr/bin/env node
// Soak (issue 9): a moderate steady load on two flipdns instances sharing one
// Redis for a long time, with a flip every few seconds, watching the memory
// (VmRSS) and open file descriptors of every flipdns process.
//
//   npm run build && node bench/soak.mjs [--qps 2000] [--seconds 3600] [--flip-every 5] [--sample-every 10] [--json [FILE]]
//
// The deployment is bench/faults.mjs's (bench/faults-lib.mjs): Redis, dns-a
// and dns-b, the failover pool app.faults.test (web1, else web2), one agent
// per node beating every 100 ms (fall 3, rise 2). dnsperf sends --qps split
// over the two instances for --seconds. Every --flip-every seconds web1's
// agent is stopped or started again, alternately: web1 goes down (the pool
// flips to web2) and comes back (it flips back). Every --sample-every seconds
// the RSS (/proc/PID/status VmRSS) and the open file descriptors
// (/proc/PID/fd) of each flipdns process (with --workers, the primary and each
// worker) and of redis-server are sampled. A sampler asks each instance for the
// pool every 20 ms, to count the flips served and time each detection.
// Prints the samples, then per process the first, last and largest figures,
// the growth from the first sample after --warmup to the last, and the
// least-squares slope after the warm-up (MiB or descriptors per hour);
// web2's agent runs throughout, so any down decision for web2 is a false flip.

import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { childPids, dnsperfVersion, logLines, rssAndFds, runWithCleanup, Sampler, say, sleep, startDeployment, startDnsperf, versionOf, printReport } from './faults-lib.mjs';
import { ROOT, fmt, median, parseArgs } from './lib.mjs';

const HELP = `usage: npm run build && node bench/soak.mjs [options]
  --qps N            dnsperf load, split over the two instances (2000)
  --seconds S        length of the soak (3600)
  --flip-every S     seconds between stopping and starting web1's agent, alternately (5)
  --sample-every S   seconds between RSS / file-descriptor samples (10)
  --warmup S         the summary's growth and slope start at the first sample after S s (60; at
                     most a quarter of --seconds): the heap settles in the first minute
  --workers N        workers per instance (1)
  --timeout S        dnsperf -t (5)
  --json [FILE]      write the results as JSON to FILE; without FILE (or -) print the JSON on
                     stdout instead of the tables (which then go to stderr)
  --keep             keep the temp dir (logs, dnsperf output)`;

const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) if (argv[i] === '--json' && (i + 1 === argv.length || argv[i + 1].startsWith('--'))) argv[i] = '--json=-';
const opts = parseArgs(argv, { qps: 2000, seconds: 3600, flipEvery: 5, sampleEvery: 10, warmup: 60, workers: 1, timeout: 5, json: '', keep: false });
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}

const MiB = 1024 * 1024;

await runWithCleanup('flipdns-bench-soak-', opts.keep, async ({ dir, procs }) => {
  const started = new Date();
  say('starting the deployment');
  const dep = await startDeployment(procs, dir, { workers: opts.workers });
  const sampler = new Sampler(dep.instances, { everyMs: 20 }).start();
  const qpsEach = Math.max(1, Math.round(opts.qps / dep.instances.length));
  say(`soak: ${opts.seconds} s at ${fmt(qpsEach * dep.instances.length)} qps, a flip every ${opts.flipEvery} s, samples every ${opts.sampleEvery} s`);
  const t0 = Date.now();
  const end = t0 + opts.seconds * 1000;
  const perf = dep.instances.map((inst) =>
    startDnsperf(procs, dir, { name: `dnsperf-${inst.id}`, port: inst.port, queries: dep.queries, seconds: opts.seconds, qps: qpsEach, timeoutS: opts.timeout }).then((r) => ({ id: inst.id, ...r })),
  );

  /** label → pid, now: each instance, its workers (by rank), Redis. */
  const processes = () => {
    const out = [];
    for (const inst of dep.instances) {
      out.push([inst.id, inst.pid]);
      if (opts.workers > 1) childPids(inst.pid).sort((a, b) => a - b).forEach((pid, k) => out.push([`${inst.id}/w${k + 1}`, pid]));
    }
    out.push(['redis', dep.redis.pid]);
    return out;
  };

  const samples = [];
  const takeSample = () => {
    const at = Date.now();
    const procsNow = {};
    for (const [label, pid] of processes()) {
      const f = rssAndFds(pid);
      if (f) procsNow[label] = { pid, rssBytes: f.rss, fds: f.fds };
    }
    const flips = countFlips(sampler, dep, t0, at);
    samples.push({ atS: Math.round((at - t0) / 1000), processes: procsNow, flips });
    say(`t=${Math.round((at - t0) / 1000)} s  ${Object.entries(procsNow).map(([l, p]) => `${l} ${(p.rssBytes / MiB).toFixed(1)} MiB ${p.fds} fds`).join('  ')}  flips ${flips}`);
  };

  const stops = [];
  let toggles = 0;
  const flipLoop = (async () => {
    for (let k = 1; ; k++) {
      const at = t0 + k * opts.flipEvery * 1000;
      if (at >= end - 1000) return;
      await sleep(at - Date.now());
      if (dep.agents.web1.running()) {
        stops.push(Date.now());
        await dep.agents.web1.stop();
      } else dep.agents.web1.start();
      toggles++;
    }
  })();
  const sampleLoop = (async () => {
    takeSample();
    for (let k = 1; ; k++) {
      const at = t0 + k * opts.sampleEvery * 1000;
      if (at > end) return;
      await sleep(at - Date.now());
      takeSample();
    }
  })();
  await Promise.all([flipLoop, sampleLoop]);
  const perfResults = await Promise.all(perf);
  const tEnd = Date.now();
  sampler.stop();

  // Detection per stop: until every instance answered web2.
  const detections = stops
    .map((t) => {
      const per = dep.instances.map((i) => sampler.firstAnswerAt(i.id, 'web2', t));
      return per.some((v) => v === undefined) ? undefined : Math.max(...per) - t;
    })
    .filter((v) => v !== undefined && v < opts.flipEvery * 1000);
  const web2Downs = Math.max(...dep.instances.map((inst) => logLines(inst.logFile, t0, tEnd).filter((l) => l.msg === 'node health changed' && l.node === 'web2' && l.to !== 'up').length));
  const odd = Object.fromEntries(dep.instances.map((i) => [i.id, sampler.transitions(i.id, t0, tEnd).filter((t) => t.answer !== 'web1' && t.answer !== 'web2').length]));

  const warmup = Math.min(opts.warmup, opts.seconds / 4);
  const labels = [...new Set(samples.flatMap((s) => Object.keys(s.processes)))];
  const summary = Object.fromEntries(
    labels.map((label) => {
      const xs = samples.map((s) => s.processes[label]).filter(Boolean);
      const steady = samples.filter((s) => s.atS >= warmup && s.processes[label]).map((s) => ({ atS: s.atS, ...s.processes[label] }));
      const pick = (f) => ({
        first: f(xs[0]),
        afterWarmup: steady.length ? f(steady[0]) : undefined,
        last: f(xs.at(-1)),
        max: Math.max(...xs.map(f)),
        min: Math.min(...xs.map(f)),
        // Least-squares slope over the samples after the warm-up, per hour.
        slopePerHour: steady.length >= 2 ? slope(steady.map((x) => x.atS / 3600), steady.map(f)) : undefined,
      });
      return [label, { samples: xs.length, pids: [...new Set(xs.map((x) => x.pid))], rssBytes: pick((x) => x.rssBytes), fds: pick((x) => x.fds) }];
    }),
  );
  const lost = perfResults.reduce((n, r) => n + r.lost, 0);
  const sent = perfResults.reduce((n, r) => n + r.sent, 0);
  const report = {
    bench: 'soak',
    date: started.toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, dnsperf: dnsperfVersion(), commit: versionOf('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], /(\w+)/) },
    options: opts,
    queries: { sent, lost, byInstance: Object.fromEntries(perfResults.map((r) => [r.id, { sent: r.sent, completed: r.completed, lost: r.lost, qps: r.qps, latencyAvgMs: r.latencyAvgMs, latencyMaxMs: r.latencyMaxMs, rcodes: r.rcodes }])) },
    warmupS: warmup,
    agentToggles: toggles,
    flipsServed: countFlips(sampler, dep, t0, tEnd),
    detectionMs: detections.length ? { count: detections.length, median: median(detections), max: Math.max(...detections), min: Math.min(...detections) } : undefined,
    falseFlips: { web2DownDecisions: web2Downs, answersOtherThanWeb1OrWeb2: odd },
    summary,
    samples,
  };

  const text = render(report, labels);
  printReport(text, report, opts.json);
});

function slope(xs, ys) {
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Answer changes served, the smaller count over the instances (each flip is served by both). */
function countFlips(sampler, dep, from, to) {
  return Math.min(...dep.instances.map((i) => Math.max(0, sampler.transitions(i.id, from, to).length - 1)));
}

function render(report, labels) {
  const mib = (b) => (b / MiB).toFixed(1);
  const head = ['T (s)', ...labels.flatMap((l) => [`${l} RSS MiB`, `${l} FDS`]), 'FLIPS'];
  const rows = [head, ...report.samples.map((s) => [String(s.atS), ...labels.flatMap((l) => (s.processes[l] ? [mib(s.processes[l].rssBytes), String(s.processes[l].fds)] : ['-', '-'])), String(s.flips)])];
  const widths = head.map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const fmtRows = (rs, w) => rs.map((r) => r.map((cell, c) => cell.padStart(w[c])).join('  '));
  const w = report.warmupS;
  const sumHead = ['PROCESS', 'RSS FIRST', `RSS AT ${w} S`, 'RSS LAST', 'RSS MAX', `RSS LAST - AT ${w} S`, 'RSS SLOPE', 'FDS FIRST', `FDS AT ${w} S`, 'FDS LAST', 'FDS MAX', 'PIDS'];
  const opt = (v, f) => (v === undefined ? '-' : f(v));
  const sumRows = [
    sumHead,
    ...labels.map((l) => {
      const { rssBytes: r, fds: f, pids } = report.summary[l];
      return [
        l,
        `${mib(r.first)} MiB`,
        opt(r.afterWarmup, (v) => `${mib(v)} MiB`),
        `${mib(r.last)} MiB`,
        `${mib(r.max)} MiB`,
        opt(r.afterWarmup, (v) => `${mib(r.last - v)} MiB`),
        opt(r.slopePerHour, (v) => `${mib(v)} MiB/h`),
        String(f.first),
        opt(f.afterWarmup, String),
        String(f.last),
        String(f.max),
        pids.join(','),
      ];
    }),
  ];
  const sw = sumHead.map((_, c) => Math.max(...sumRows.map((r) => r[c].length)));
  const q = report.queries;
  const d = report.detectionMs;
  return [
    ...fmtRows(rows, widths),
    '',
    ...fmtRows(sumRows, sw),
    '',
    `queries: ${fmt(q.sent)} sent, ${fmt(q.lost)} lost (${Object.entries(q.byInstance).map(([id, r]) => `${id} ${fmt(r.lost)}`).join(', ')}); max latency ${Object.values(q.byInstance).map((r) => `${fmt(r.latencyMaxMs, 1)} ms`).join('/')}`,
    `flips: web1's agent stopped or started ${report.agentToggles} times; answer changes served: ${report.flipsServed}; detection (agent stopped -> both instances answer web2): ${d ? `median ${fmt(d.median)} ms, min ${fmt(d.min)}, max ${fmt(d.max)} over ${d.count}` : '-'}`,
    `false flips: web2 down decisions ${report.falseFlips.web2DownDecisions}; answers other than web1/web2 (NODATA, SERVFAIL...) ${Object.values(report.falseFlips.answersOtherThanWeb1OrWeb2).join('/')}`,
  ].join('\n');
}
