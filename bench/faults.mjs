#!/usr/bin/env node
// Faults under load (issue 9): with dnsperf sending a steady load split over
// two flipdns instances that share one Redis, each scenario is run twice in the
// same fresh deployment, first without its fault (the baseline), then with it,
// on the same timeline, and compared.
//
//   npm run build && node bench/faults.mjs [--scenarios a,b,c,d,e,f] [--qps 5000] [--seconds 30] [--json [FILE]]
//
// The deployment (bench/faults-lib.mjs), all on 127.0.0.1, ephemeral ports, a temp dir:
// Redis (append-only on; for b a primary, a replica and 3 Sentinels), dns-a
// started first (it takes the decider lease), then dns-b, a pool
// app.faults.test A (failover: web1 192.0.2.21, else web2 192.0.2.22; allDown
// nodata, so that "every node down" is visible in the answer), and one
// `flipdns agent` per node beating every 100 ms (fall 3, rise 2) to dns-b, then
// dns-a (hedged: the next one is asked after 50 ms without an answer).
//
// One run, baseline or fault, `--seconds` long (longer when the scenario needs it):
//   t=0            dnsperf at qps/2 against each instance (app.faults.test A and
//                  www.faults.test A, alternately); the sampler asks each
//                  instance for app.faults.test A every 10 ms; the intake
//                  prober sends a heartbeat for a third node to each instance
//                  every 50 ms.
//   t=--fault-at   the fault (baseline: as long a wait, no fault).
//   fault's end    web1's agent is stopped (SIGTERM): the node vanishes. The
//                  time until every live instance answers web2 is the
//                  detection time after the fault, against the baseline's
//                  (fall x interval + one sweep, ~0.3 s). Then the agent is
//                  started again and the time until web1 is answered again
//                  (failback) taken.
//   t=end          dnsperf's figures (a run that ends before the failback is
//                  noted); the logs are read. The stop ends the false-flip window.
//
// False flips (every node is healthy until web1's agent is stopped): counted
// from three independent sources, and the largest is reported:
//   - the instances' logs: "node health changed" to down for web2 at any time,
//     or for web1 before its agent is stopped (or a second time after), and
//     "pool answer changed" away from web1 before the stop (or a second time
//     after); every instance logs every change it applies, whichever instance
//     decided; counted per process, the largest per instance, the largest over
//     instances (an instance that was stalled or killed missed changes the
//     other logged);
//   - the sampler: episodes where an instance answered anything but web1
//     (web2, NODATA = all down, SERVFAIL = no state) before the stop; a
//     timeout is counted apart (a stalled or dead instance), not as a flip;
//   - the store: each node's changedAt at the run's start and at the stop
//     (catches a change no log line shows, such as one applied through a
//     snapshot after a reconnection).
// Late marks (a node not heard from for 2 intervals: near misses) come from
// flipdns_node_transitions_total{to="late"}.
//
// Scenarios:
//   a  Redis SIGKILLed for --redis-down s (5), restarted on its port with its data dir
//   b  Sentinel failover (SENTINEL FAILOVER) from the primary to the replica; the
//      fault ends when heartbeats are written to the new primary (--failover kill:
//      the primary SIGKILLed instead)
//   c  a zone reload (new serial, SIGHUP to both instances) every second for --reload-seconds (60)
//   d  the instance holding the decider lease SIGKILLed (web1's agent stopped
//      at once): time until the survivor decides again; the victim restarted
//   e  --workers 2 on both instances, one DNS worker of dns-a SIGKILLed: respawn time
//   f  the instance the agents send to first stalled --stall s (2) (SIGSTOP,
//      SIGCONT) while the other decides (--stall-target decider: stall the decider)
//   x  a control, not in the default list: web1's agent paused 1 s, a real flip
//      that every false-flip source must count (1), to show that they work

import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { FALL, INTERVAL_MS, POOL, VALUES, childPids, deciderOf, dnsperfVersion, healthz, IntakeProber, logLines, metricsText, parseNodeMetrics, redisCli, runWithCleanup, Sampler, say, sleep, startDeployment, startDnsperf, storeNodes, waitFor, waitHealthy, writeZone, versionOf, printReport } from './faults-lib.mjs';
import { ROOT, fmt, parseArgs, probe } from './lib.mjs';

const HELP = `usage: npm run build && node bench/faults.mjs [options]
  --scenarios LIST     which of a,b,c,d,e,f (all)
                         a Redis SIGKILLed and restarted   b Sentinel failover to the replica
                         c zone reload every second        d decider instance SIGKILLed
                         e --workers 2, a worker SIGKILLed f one instance stalled (SIGSTOP/SIGCONT)
                         x control (not in the default): web1's agent paused 1 s, a real flip every
                           false-flip counter must show as 1
  --qps N              dnsperf load, split over the two instances (5000)
  --seconds S          length of each run, baseline and fault alike (30); longer when a
                       scenario needs it: fault-at + the fault + 8 s
  --fault-at S         seconds into the run when the fault starts (5; at most a quarter of --seconds)
  --redis-down S       a: seconds Redis stays down (5)
  --reload-seconds S   c: seconds of reloads, one a second (60)
  --failover HOW       b: command (SENTINEL FAILOVER, the primary stays up) or kill (the primary
                       SIGKILLed; the sentinels fail over after 2 s down) (command)
  --stall S            f: seconds the instance stays stopped (2)
  --stall-target T     f: beats (the instance the agents send to first, not the decider) or decider (beats)
  --workers N          e: workers per instance (2)
  --timeout S          dnsperf -t: a query unanswered after S seconds is lost (5)
  --sample-ms MS       the sampler's period per instance (10)
  --json [FILE]        write the results as JSON to FILE; without FILE (or -) print the JSON on
                       stdout instead of the table (the table then goes to stderr)
  --keep               keep the temp dir (logs, dnsperf output)`;

const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i++) if (argv[i] === '--json' && (i + 1 === argv.length || argv[i + 1].startsWith('--'))) argv[i] = '--json=-';
const opts = parseArgs(argv, {
  scenarios: 'a,b,c,d,e,f',
  qps: 5000,
  seconds: 30,
  faultAt: 5,
  redisDown: 5,
  reloadSeconds: 60,
  stall: 2,
  stallTarget: 'beats',
  failover: 'command',
  workers: 2,
  timeout: 5,
  sampleMs: 10,
  json: '',
  keep: false,
});
if (opts.help) {
  console.log(HELP);
  process.exit(0);
}
const chosen = String(opts.scenarios)
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
if (!['command', 'kill'].includes(opts.failover)) throw new Error('--failover must be command or kill');
if (!['beats', 'decider'].includes(opts.stallTarget)) throw new Error('--stall-target must be beats or decider');
const faultAt = Math.min(opts.faultAt, Math.max(1, opts.seconds / 4));

// ---------------------------------------------------------------------------
// Scenarios: each has a deployment, a nominal fault length (the baseline waits
// as long), and fault(dep, procs) → { faultEnd, figures, live?, afterDetect?, finish? }.

const SCENARIOS = {
  a: {
    title: `Redis SIGKILLed for ${opts.redisDown} s, restarted`,
    nominalMs: opts.redisDown * 1000,
    async fault(dep) {
      const killedAt = Date.now();
      await dep.redis.kill();
      await sleep(killedAt + opts.redisDown * 1000 - Date.now());
      const restartAt = Date.now();
      await dep.redis.start();
      const faultEnd = Date.now();
      return { faultEnd, figures: { redisDownMs: restartAt - killedAt, redisStartMs: faultEnd - restartAt }, notes: [`Redis down ${fmt(restartAt - killedAt)} ms, answering ${fmt(faultEnd - restartAt)} ms after its restart`] };
    },
  },
  b: {
    title: opts.failover === 'kill' ? 'Sentinel failover: primary SIGKILLed' : 'Sentinel failover to the replica',
    deployment: { sentinel: true },
    // Sentinel turns the old primary into a replica only at its next INFO round (every 10 s), and the
    // instances move to the new primary only then: the run covers it (the baseline waits as long).
    nominalMs: 12_000,
    async fault(dep) {
      const s = dep.sentinel;
      const oldPort = await s.masterPort();
      const t = Date.now();
      if (opts.failover === 'kill') await s.primary.kill();
      else {
        const reply = await redisCli(s.sentinels[0].port, 'sentinel', 'failover', s.name);
        if (reply !== 'OK') throw new Error(`SENTINEL FAILOVER answered ${reply}`);
      }
      const newPort = await waitFor('the sentinels to name a new master', async () => {
        const p = await s.masterPort();
        return p !== oldPort ? p : undefined;
      }, { timeoutMs: 30_000, pollMs: 10 });
      const named = Date.now();
      const beatAt = async (port) => (await redisCli(port, 'hget', 'flipdns:node:intake', 'lastBeatAt')) || '';
      const promotedBeat = await beatAt(newPort);
      const figures = { oldMasterPort: oldPort, newMasterPort: newPort, newMasterMs: named - t };
      // Watched side by side: when the old primary becomes a replica (Sentinel's next INFO round, ~10 s: a
      // client that does not follow +switch-master writes to it, and loses the writes, until then), and when
      // heartbeats are written to the new primary (the intake prober beats every 50 ms): the fault ends with both.
      await Promise.all([
        opts.failover === 'kill'
          ? undefined
          : waitFor('the old primary to be a replica', async () => (await redisCli(oldPort, 'role')).startsWith('slave'), { timeoutMs: 60_000, pollMs: 20 })
              .then(() => (figures.oldMasterDemotedMs = Date.now() - t))
              .catch(() => undefined),
        waitFor('heartbeats written to the new primary', async () => (await beatAt(newPort)) !== promotedBeat, { timeoutMs: 60_000, pollMs: 10 })
          .then(() => (figures.beatsOnNewMasterMs = Date.now() - t))
          .catch(() => undefined),
      ]);
      const faultEnd = Date.now();
      if (figures.beatsOnNewMasterMs !== undefined && opts.failover !== 'kill') figures.writesToOldMasterMs = figures.beatsOnNewMasterMs - figures.newMasterMs;
      const at = (v) => (v === undefined ? 'never (60 s)' : `${fmt(v)} ms`);
      return {
        faultEnd,
        figures,
        notes: [
          opts.failover === 'kill'
            ? `primary SIGKILLed; new master named ${at(figures.newMasterMs)} after, beats written to it after ${at(figures.beatsOnNewMasterMs)}`
            : `new master named ${at(figures.newMasterMs)} after SENTINEL FAILOVER, old one a replica after ${at(figures.oldMasterDemotedMs)}, beats written to the new one after ${at(figures.beatsOnNewMasterMs)} (heartbeats lost to the old one after the new one was named: ${at(figures.writesToOldMasterMs)})`,
        ],
      };
    },
  },
  c: {
    title: `zone reload every second for ${opts.reloadSeconds} s`,
    nominalMs: opts.reloadSeconds * 1000,
    async fault(dep, procs) {
      const t = Date.now();
      let serial = 1000;
      for (let i = 0; i < opts.reloadSeconds; i++) {
        await sleep(t + i * 1000 - Date.now());
        writeZone(dep.zonesDir, ++serial);
        for (const inst of dep.instances) procs.signal(inst.handle, 'SIGHUP');
      }
      await sleep(t + opts.reloadSeconds * 1000 - Date.now());
      const faultEnd = Date.now();
      const served = await Promise.all(dep.instances.map(async (inst) => (await probe(inst.port, 'faults.test', 'SOA', 1000)).answers[0]?.data?.serial));
      const figures = { reloads: opts.reloadSeconds, lastSerial: serial, servedSerial: Object.fromEntries(dep.instances.map((inst, i) => [inst.id, served[i]])) };
      return {
        faultEnd,
        figures,
        finish: async () => {
          figures.reloadsDone = Object.fromEntries(dep.instances.map((inst) => [inst.id, logLines(inst.logFile, t, faultEnd + 1000).filter((l) => l.msg === 'zone set in place').length]));
          figures.reloadsFailed = Object.fromEntries(dep.instances.map((inst) => [inst.id, logLines(inst.logFile, t, faultEnd + 1000).filter((l) => /reload failed|files failed to load/.test(l.msg ?? '')).length]));
          return [
            `${opts.reloadSeconds} reloads sent to each; done ${Object.values(figures.reloadsDone).join('/')}, failed ${Object.values(figures.reloadsFailed).join('/')}; serial ${serial}, served ${served.join('/')}`,
          ];
        },
      };
    },
  },
  d: {
    title: 'decider instance SIGKILLed',
    nominalMs: 0,
    tailMs: 10_000,
    async fault(dep, procs) {
      const victim = await deciderOf(dep);
      if (!victim) throw new Error('no instance holds the decider lease');
      const survivor = dep.instances.find((i) => i !== victim);
      const t = Date.now();
      procs.signal(victim.handle, 'SIGKILL');
      await victim.handle.exited;
      const figures = { killed: victim.id, survivor: survivor.id };
      return {
        faultEnd: t,
        live: [survivor],
        figures,
        afterDetect: async () => {
          figures.restartMs = await victim.start();
        },
        finish: async () => {
          const line = logLines(survivor.logFile, t).find((l) => l.msg === 'this instance now makes the health decisions');
          figures.takeoverMs = line ? line.time - t : undefined;
          return [
            `killed ${victim.id} (the decider); ${survivor.id} took the lease ${figures.takeoverMs === undefined ? 'never (not in its log)' : `${fmt(figures.takeoverMs)} ms`} after; ${victim.id} answering again ${fmt(figures.restartMs)} ms after its restart`,
          ];
        },
      };
    },
  },
  e: {
    title: `--workers ${opts.workers}, a worker SIGKILLed`,
    deployment: { workers: opts.workers },
    nominalMs: 0,
    async fault(dep) {
      const inst = dep.byId['dns-a'];
      const before = childPids(inst.pid);
      if (before.length === 0) throw new Error(`${inst.id} has no worker processes`);
      const victim = before[0];
      const t = Date.now();
      process.kill(victim, 'SIGKILL');
      const replacement = await waitFor('a new worker, ready', async () => {
        const now = childPids(inst.pid);
        const fresh = now.find((p) => !before.includes(p));
        if (fresh === undefined) return undefined;
        return (await healthz(inst)).workersReady === opts.workers ? fresh : undefined;
      }, { timeoutMs: 30_000, pollMs: 10 });
      const faultEnd = Date.now();
      const figures = { instance: inst.id, killedWorker: victim, newWorker: replacement, respawnMs: faultEnd - t };
      return { faultEnd, figures, notes: [`worker ${victim} of ${inst.id} killed; worker ${replacement} ready ${fmt(faultEnd - t)} ms later`] };
    },
  },
  f: {
    title: `one instance stalled ${opts.stall} s (SIGSTOP/SIGCONT)`,
    nominalMs: opts.stall * 1000,
    async fault(dep, procs) {
      const decider = await deciderOf(dep);
      // The agents send to dns-b first; dns-a started first and decides.
      const target = opts.stallTarget === 'decider' ? decider : dep.byId['dns-b'];
      if (!target) throw new Error('no instance holds the decider lease');
      const t = Date.now();
      procs.signal(target.handle, 'SIGSTOP');
      await sleep(opts.stall * 1000);
      procs.signal(target.handle, 'SIGCONT');
      const faultEnd = Date.now();
      const figures = { stalled: target.id, stalledWasDecider: target === decider, stalledMs: faultEnd - t };
      return { faultEnd, figures, notes: [`${target.id} stopped ${fmt(faultEnd - t)} ms (${target === decider ? 'the decider' : 'the agents\' first server; the other decides'})`] };
    },
  },
  x: {
    title: "control: web1's agent paused 1 s (a real flip)",
    nominalMs: 1000,
    // Not a fault of flipdns: a node that really missed its deadline. Every false-flip source must count 1,
    // which shows that they see what they are meant to. Not in the default list.
    async fault(dep, procs, { sampler }) {
      const t = Date.now();
      procs.signal(dep.agents.web1.handle, 'SIGSTOP');
      await sleep(1000);
      procs.signal(dep.agents.web1.handle, 'SIGCONT');
      const resumed = Date.now();
      await waitFor('web1 answered again', () => dep.instances.every((i) => sampler.firstAnswerAt(i.id, 'web1', resumed) !== undefined), { timeoutMs: 10_000, pollMs: 5 });
      return { faultEnd: Date.now(), figures: { pausedMs: resumed - t }, notes: ['expected: 1 false flip from every source (log down/answer, sampled, store)'] };
    },
  },
};

for (const id of chosen) if (!SCENARIOS[id]) throw new Error(`unknown scenario ${id} (a-f, x)`);

function runSeconds(scenario) {
  const needed = Math.ceil(faultAt + scenario.nominalMs / 1000 + (scenario.tailMs ?? 8000) / 1000);
  return Math.max(opts.seconds, needed);
}

// ---------------------------------------------------------------------------
// One run

async function measuredRun(dep, procs, scenario, id, kind) {
  const seconds = runSeconds(scenario);
  const qpsEach = Math.max(1, Math.round(opts.qps / dep.instances.length));
  say(`${id} ${kind}: ${seconds} s at ${fmt(qpsEach * dep.instances.length)} qps`);
  const sampler = new Sampler(dep.instances, { everyMs: opts.sampleMs }).start();
  const prober = new IntakeProber(dep.instances).start();
  const t0 = Date.now();
  const perf = dep.instances.map((inst) =>
    startDnsperf(procs, dep.dir, { name: `dnsperf-${kind}-${inst.id}`, port: inst.port, queries: dep.queries, seconds, qps: qpsEach, timeoutS: opts.timeout }).then((r) => ({ id: inst.id, ...r })),
  );
  const pidsAtStart = Object.fromEntries(dep.instances.map((i) => [i.id, i.pid]));
  const [storeBefore, metricsBefore] = await Promise.all([dep.storePort().then(storeNodes), readMetrics(dep)]);
  await sleep(t0 + faultAt * 1000 - Date.now());

  const faultStart = Date.now();
  let fault = { figures: {}, notes: [] };
  if (kind === 'fault') {
    say(`${id}: fault: ${scenario.title}`);
    fault = await scenario.fault(dep, procs, { sampler });
  } else await sleep(scenario.nominalMs);
  const faultEnd = fault.faultEnd ?? Date.now();
  const live = fault.live ?? dep.instances.filter((i) => i.running());

  // The false-flip window closes here: web1's agent is stopped on purpose.
  const [storeAtStop, metricsAtStop] = await Promise.all([dep.storePort().then(storeNodes, () => undefined), readMetrics(dep)]);
  const tStop = Date.now();
  const agentStopped = dep.agents.web1.stop();
  const detect = {};
  try {
    await waitFor('every live instance to answer web2', () => live.every((i) => sampler.firstAnswerAt(i.id, 'web2', tStop) !== undefined), { timeoutMs: 20_000, pollMs: 5 });
  } catch (err) {
    fault.notes = [...(fault.notes ?? []), `no flip after web1's agent stopped: ${err.message}`];
  }
  for (const i of live) {
    const at = sampler.firstAnswerAt(i.id, 'web2', tStop);
    detect[i.id] = at === undefined ? undefined : at - tStop;
  }
  await agentStopped;
  if (fault.afterDetect) await fault.afterDetect();

  const tStart = Date.now();
  dep.agents.web1.start();
  const failback = {};
  const running = dep.instances.filter((i) => i.running());
  try {
    await waitFor('every instance to answer web1 again', () => running.every((i) => sampler.firstAnswerAt(i.id, 'web1', tStart) !== undefined), { timeoutMs: 20_000, pollMs: 5 });
  } catch (err) {
    fault.notes = [...(fault.notes ?? []), `no failback: ${err.message}`];
  }
  for (const i of running) {
    const at = sampler.firstAnswerAt(i.id, 'web1', tStart);
    failback[i.id] = at === undefined ? undefined : at - tStart;
  }
  const failbackDoneAt = Date.now();

  const perfResults = await Promise.all(perf);
  const tEnd = Date.now();
  if (failbackDoneAt > t0 + seconds * 1000) fault.notes = [...(fault.notes ?? []), `the failback ended after dnsperf (${fmt(failbackDoneAt - t0 - seconds * 1000)} ms late)`];
  sampler.stop();
  await prober.stop();
  const extraNotes = fault.finish ? await fault.finish() : [];

  const flips = falseFlips(dep, sampler, { t0, tStop, tEnd });
  const store = storeDiff(storeBefore, storeAtStop);
  const late = lateMarks(dep, pidsAtStart, metricsBefore, metricsAtStop);
  const intake = Object.fromEntries(dep.instances.map((i) => [i.id, prober.summary(i.id, t0, tEnd, faultEnd)]));
  const lost = perfResults.reduce((n, r) => n + r.lost, 0);
  const sent = perfResults.reduce((n, r) => n + r.sent, 0);
  const completed = perfResults.reduce((n, r) => n + r.completed, 0);
  const headline = Math.max(flips.logNodeDown, flips.logAnswerChanges, flips.sampled, store.changed.length);
  const run = {
    kind,
    seconds,
    faultAtMs: faultStart - t0,
    faultEndMs: faultEnd - t0,
    queries: { sent, completed, lost, byInstance: Object.fromEntries(perfResults.map((r) => [r.id, { sent: r.sent, completed: r.completed, lost: r.lost, qps: r.qps, latencyAvgMs: r.latencyAvgMs, latencyMaxMs: r.latencyMaxMs, rcodes: r.rcodes }])) },
    latencyMaxMs: Math.max(...perfResults.map((r) => r.latencyMaxMs)),
    falseFlips: headline,
    falseFlipSources: { ...flips, storeChangedNodes: store.changed, storeReadable: store.readable },
    lateMarks: late,
    detectMs: Object.values(detect).some((v) => v === undefined) ? undefined : Math.max(...Object.values(detect)),
    detectByInstance: detect,
    failbackMs: Object.values(failback).some((v) => v === undefined) ? undefined : Math.max(...Object.values(failback)),
    failbackByInstance: failback,
    intake,
    samplerTimeouts: Object.fromEntries(dep.instances.map((i) => [i.id, sampler.counts(i.id).timeouts])),
    figures: fault.figures ?? {},
    notes: [...(fault.notes ?? []), ...extraNotes],
    dnsperf: perfResults.map((r) => r.command),
  };
  say(`${id} ${kind}: lost ${lost} of ${sent}, false flips ${headline}, detect ${run.detectMs ?? '-'} ms${run.notes.length ? `; ${run.notes.join('; ')}` : ''}`);
  return run;
}

async function readMetrics(dep) {
  const out = {};
  await Promise.all(
    dep.instances.map(async (inst) => {
      if (!inst.running()) return;
      try {
        out[inst.id] = { pid: inst.pid, nodes: parseNodeMetrics(await metricsText(inst)) };
      } catch {
        // not answering (stalled, starting)
      }
    }),
  );
  return out;
}

/** Late marks of web1 and web2 between the run's start and the stop, the largest over instances that ran throughout. */
function lateMarks(dep, pidsAtStart, before, atStop) {
  let max;
  for (const inst of dep.instances) {
    const b = before[inst.id];
    const a = atStop[inst.id];
    if (!a || !b || a.pid !== b.pid || a.pid !== pidsAtStart[inst.id]) continue;
    const n = a.nodes.web1.late - b.nodes.web1.late + (a.nodes.web2.late - b.nodes.web2.late);
    max = Math.max(max ?? 0, n);
  }
  return max;
}

function storeDiff(before, atStop) {
  if (!before || !atStop) return { readable: false, changed: [] };
  return { readable: true, changed: ['web1', 'web2'].filter((n) => before[n].changedAt !== atStop[n].changedAt || before[n].health !== atStop[n].health) };
}

/** See the header: logs (per process, per instance), sampler episodes; what web1's stop explains is not counted. */
function falseFlips(dep, sampler, { t0, tStop, tEnd }) {
  const perInstance = {};
  const events = [];
  for (const inst of dep.instances) {
    const byPid = new Map();
    for (const l of logLines(inst.logFile, t0, tEnd)) {
      if (!byPid.has(l.pid)) byPid.set(l.pid, { down: 0, answers: 0, web1DownsAfter: 0, answersAfter: 0 });
      const c = byPid.get(l.pid);
      if (l.msg === 'node health changed' && (l.node === 'web1' || l.node === 'web2') && l.to !== 'up') {
        const deliberate = l.node === 'web1' && l.time >= tStop && c.web1DownsAfter++ === 0;
        if (!deliberate) {
          c.down++;
          events.push({ instance: inst.id, pid: l.pid, atMs: l.time - t0, node: l.node, from: l.from, to: l.to });
        }
      }
      // An episode: a change away from the healthy answer (web1 alone); the way back is not counted again.
      const fromHealthy = Array.isArray(l.from) && l.from.length === 1 && l.from[0] === VALUES.web1;
      if (l.msg === 'pool answer changed' && l.pool === `${POOL}.` && fromHealthy) {
        const deliberate = l.time >= tStop && c.answersAfter++ === 0;
        if (!deliberate) {
          c.answers++;
          events.push({ instance: inst.id, pid: l.pid, atMs: l.time - t0, answer: `${l.from} -> ${l.to}` });
        }
      }
    }
    const pids = [...byPid.values()];
    // The sampler: episodes away from web1 before the stop; after it, anything but one web2 spell then web1.
    let sampled = 0;
    let prev;
    let web2After = 0;
    for (const t of sampler.transitions(inst.id, t0, tEnd)) {
      if (t.at < tStop) {
        if (t.answer !== 'web1' && (prev === 'web1' || prev === undefined)) sampled++;
      } else if (t.answer !== 'web1' && !(t.answer === 'web2' && web2After++ === 0)) sampled++;
      if (t.answer !== 'web1') events.push({ instance: inst.id, atMs: t.at - t0, sampled: t.answer, afterStop: t.at >= tStop });
      prev = t.answer;
    }
    perInstance[inst.id] = { logNodeDown: Math.max(0, ...pids.map((c) => c.down)), logAnswerChanges: Math.max(0, ...pids.map((c) => c.answers)), sampled };
  }
  const vals = Object.values(perInstance);
  return {
    logNodeDown: Math.max(...vals.map((v) => v.logNodeDown)),
    logAnswerChanges: Math.max(...vals.map((v) => v.logAnswerChanges)),
    sampled: Math.max(...vals.map((v) => v.sampled)),
    perInstance,
    events: events.filter((e) => !(e.sampled && e.afterStop && e.sampled === 'web2')),
  };
}

// ---------------------------------------------------------------------------
// Output

function table(results) {
  const rows = [['SCENARIO', 'RUN', 'SENT', 'LOST (a/b)', 'LOST-Δ', 'MAX LAT', 'FALSE FLIPS (log down/answer, sampled, store)', 'LATE', 'BEAT GAP (a/b)', 'BEATS BACK (a/b)', 'DETECT (a/b)', 'FAILBACK']];
  for (const r of results) {
    for (const run of [r.baseline, r.fault]) {
      const q = run.queries.byInstance;
      const ids = Object.keys(q);
      const s = run.falseFlipSources;
      const ms = (v) => (v === undefined ? '-' : `${fmt(v)}`);
      rows.push([
        run === r.baseline ? `${r.id} ${r.title}` : '',
        run.kind,
        fmt(run.queries.sent),
        `${fmt(run.queries.lost)} (${ids.map((i) => fmt(q[i].lost)).join('/')})`,
        run === r.baseline ? '' : fmt(r.lostDelta),
        `${fmt(run.latencyMaxMs, 1)} ms`,
        `${run.falseFlips} (${s.logNodeDown}/${s.logAnswerChanges}, ${s.sampled}, ${s.storeReadable ? s.storeChangedNodes.length : '?'})`,
        run.lateMarks === undefined ? '-' : String(run.lateMarks),
        `${ids.map((i) => ms(run.intake[i].longestGapMs)).join('/')} ms`,
        run.kind === 'fault' ? `${ids.map((i) => ms(run.intake[i].firstAcceptedAfterMs)).join('/')} ms` : '',
        `${ids.map((i) => (i in run.detectByInstance ? ms(run.detectByInstance[i]) : 'dead')).join('/')} ms`,
        `${ms(run.failbackMs)} ms`,
      ]);
    }
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = rows.map((row) => row.map((cell, c) => (c >= 2 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd());
  const notes = results.flatMap((r) => [r.baseline, r.fault].filter((run) => run.notes.length).map((run) => `${r.id} ${run.kind}: ${run.notes.join('; ')}`));
  return [
    ...lines,
    '',
    'LOST: dnsperf lost count (no answer within --timeout), total (per instance dns-a/dns-b); LOST-Δ: fault run minus its baseline.',
    'FALSE FLIPS: a node declared down or the answer changed while every node was healthy; the largest of: node-down decisions and',
    '  answer changes in the instances\' logs, episodes where the sampler got anything but web1, nodes whose state changed in the store.',
    'LATE: times a node was marked late (2 intervals without a beat) before the stop. BEAT GAP: longest time between two accepted',
    '  heartbeats of the intake prober (every 50 ms). BEATS BACK: first accepted heartbeat after the fault\'s end.',
    `DETECT: from stopping web1's agent, right after the fault's end, to each live instance answering web2 (deadline ${FALL} x ${INTERVAL_MS} ms).`,
    'FAILBACK: from starting the agent again to every instance answering web1.',
    ...(notes.length ? ['', ...notes] : []),
  ].join('\n');
}

// ---------------------------------------------------------------------------

await runWithCleanup('flipdns-bench-faults-', opts.keep, async ({ dir, procs }) => {
  const started = new Date();
  const results = [];
  for (const id of chosen) {
    const scenario = SCENARIOS[id];
    const sdir = join(dir, `scenario-${id}`);
    say(`${id}: ${scenario.title}: starting the deployment`);
    const dep = await startDeployment(procs, sdir, scenario.deployment);
    const baseline = await measuredRun(dep, procs, scenario, id, 'baseline');
    await waitHealthy(dep);
    const fault = await measuredRun(dep, procs, scenario, id, 'fault');
    results.push({ id, title: scenario.title, baseline, fault, lostDelta: fault.queries.lost - baseline.queries.lost, falseFlips: fault.falseFlips });
    await procs.stopAll();
  }
  const report = {
    bench: 'faults',
    date: started.toISOString(),
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version, dnsperf: dnsperfVersion(), redis: versionOf('redis-server', ['--version'], /v=([\d.]+)/), commit: versionOf('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD'], /(\w+)/) },
    options: { ...opts, faultAt, heartbeatIntervalMs: INTERVAL_MS, fall: FALL },
    scenarios: results,
  };
  const text = table(results);
  printReport(text, report, opts.json);
});
