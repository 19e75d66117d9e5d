// The row of client commanding: the surviving node tells each client to switch
// address over a control connection the clients hold (as Redis Sentinel,
// MongoDB drivers or a gRPC health stream do). On loopback: a primary and a
// survivor, each a process with a UDP service answering its name; the primary
// sends the survivor a UDP heartbeat every interval; N clients, in a few
// processes of their own, each hold a TCP control connection to the survivor.
// At T0 the primary is killed (SIGKILL: no goodbye). The survivor declares it
// down once no beat came for fall × interval, then writes "switch" to every
// client, one by one. Every switch time is measured; the request curve of the
// N clients is derived from them (a client's requests fail until its command
// arrives), and checked against the real requests a few of them send.

import { Lab, type LabProcess } from '../drill/lab.js';
import type { ClientRequest, ClientsResult } from './commanding-clients.js';
import type { DownReport } from './commanding-node.js';
import { requestFigures } from './requests.js';
import { script } from './scripts.js';
import type { RowContext, RowResult, RowRunner } from './row.js';

export interface CommandingOptions {
  /** Clients told to switch (default 1,000; 100 in a short run). */
  clients?: number;
  /** Heartbeat interval, ms (default 100, as flipdns's drill). */
  intervalMs?: number;
  /** Missed intervals before the primary is down (default 3). */
  fall?: number;
  /** Clients that really send requests (default 20, spread evenly over the N). */
  probingClients?: number;
  /** How often each of them sends one, ms (default 10). */
  probeEveryMs?: number;
  /** A request not answered within this is failed, ms (default 250). */
  probeTimeoutMs?: number;
  /** Clients per client process (default 500). */
  clientsPerProcess?: number;
  /** Width of the curve's bins, ms (default 10). */
  binMs?: number;
  /** Loopback addresses of the two nodes (defaults 127.0.10.1 and 127.0.10.2). */
  primaryAddress?: string;
  survivorAddress?: string;
}

const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const round = (ms: number): number => Math.round(ms * 100) / 100;
/** The name the survivor's service answers with. */
const SURVIVOR = 'survivor';

/** A lab process whose stdout is kept in memory, to wait for its lines and read its last one whole. */
interface Watched {
  proc: LabProcess;
  line(prefix: string): string | undefined;
  /** Resolves once its stdout has closed (after its exit): nothing more will come. */
  closed: Promise<void>;
  /** The last lines it wrote to stderr, for error messages. */
  errors(): string;
}

function watch(proc: LabProcess): Watched {
  let text = '';
  let errors = '';
  proc.child.stdout!.setEncoding('utf8');
  proc.child.stdout!.on('data', (chunk: string) => {
    text += chunk;
  });
  proc.child.stderr!.setEncoding('utf8');
  proc.child.stderr!.on('data', (chunk: string) => {
    errors = (errors + chunk).slice(-4000);
  });
  const closed = new Promise<void>((resolve) => proc.child.once('close', () => resolve()));
  return {
    proc,
    closed,
    errors: () => errors.trimEnd().split('\n').slice(-10).join('\n'),
    line: (prefix) =>
      text
        .split('\n')
        .find((line) => line.startsWith(prefix))
        ?.slice(prefix.length),
  };
}

async function waitFor(watched: Watched, prefix: string, timeoutMs: number, what: string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = watched.line(prefix);
    if (found !== undefined) return found;
    if (!watched.proc.running()) {
      await watched.closed;
      throw new Error(`${watched.proc.name} exited (${await watched.proc.exited}) before ${what}: ${watched.errors()}`);
    }
    if (Date.now() > deadline) throw new Error(`${watched.proc.name}: no ${what} within ${timeoutMs} ms: ${watched.errors()}`);
    await sleep(5);
  }
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/**
 * Share of requests failed per bin, for clients sending at an even rate whose
 * requests fail until their switch (ms after T0): per bin, the mean over the
 * clients of the part of the bin they spent unswitched. Up to the bin after
 * the last switch (share 0).
 */
export function switchCurve(switchMs: number[], binMs: number): Array<[number, number]> {
  const last = Math.max(...switchMs);
  const curve: Array<[number, number]> = [];
  for (let bin = 0; bin <= last + binMs; bin += binMs) {
    let unswitched = 0;
    for (const at of switchMs) unswitched += Math.min(1, Math.max(0, (at - bin) / binMs));
    curve.push([bin, unswitched / switchMs.length]);
  }
  return curve;
}

export function commandingRow(options: CommandingOptions = {}): RowRunner {
  return async (context) => {
    const lab = new Lab('flipdns-lab-compare-client-');
    lab.closeOnSignals();
    try {
      return await run(lab, context, options);
    } finally {
      await lab.close();
    }
  };
}

async function run(lab: Lab, context: RowContext, options: CommandingOptions): Promise<RowResult> {
  const clients = options.clients ?? (context.short ? 100 : 1000);
  const intervalMs = options.intervalMs ?? 100;
  const fall = options.fall ?? 3;
  const probing = Math.min(clients, options.probingClients ?? 20);
  const probeEveryMs = options.probeEveryMs ?? 10;
  const probeTimeoutMs = options.probeTimeoutMs ?? 250;
  const perProcess = options.clientsPerProcess ?? 500;
  const binMs = options.binMs ?? 10;
  const primaryAddress = options.primaryAddress ?? '127.0.10.1';
  const survivorAddress = options.survivorAddress ?? '127.0.10.2';
  if (!Number.isInteger(clients) || clients < 1) throw new Error(`clients: a positive integer, not ${clients}`);
  const nodeScript = script('commanding-node');
  const clientsScript = script('commanding-clients');

  // The nodes.
  const survivor = watch(lab.spawn('survivor', process.execPath, [nodeScript, 'survivor', survivorAddress, String(intervalMs), String(fall), String(clients)]));
  const ports = JSON.parse(await waitFor(survivor, 'ready ', 10_000, 'its ports')) as { servicePort: number; heartbeatPort: number; controlPort: number };
  const primary = watch(lab.spawn('primary', process.execPath, [nodeScript, 'primary', primaryAddress, survivorAddress, String(ports.heartbeatPort), String(intervalMs)]));
  const { servicePort: primaryPort, start: beatsStart } = JSON.parse(await waitFor(primary, 'ready ', 10_000, 'its ports')) as { servicePort: number; start: number };

  // The clients, `perProcess` to a process; every `step`-th one sends real requests, `probing` of them.
  const step = probing > 0 ? Math.floor(clients / probing) : 0;
  const groups: Watched[] = [];
  for (let first = 0; first < clients; first += perProcess) {
    const count = Math.min(perProcess, clients - first);
    const args = [clientsScript, survivorAddress, String(ports.controlPort), String(first), String(count), String(step), String(probing), primaryAddress, String(primaryPort), String(probeEveryMs)];
    groups.push(watch(lab.spawn(`clients-${groups.length}`, process.execPath, args)));
  }
  const connectBudget = 10_000 + clients * 10;
  await Promise.all(groups.map((group) => waitFor(group, 'connected ', connectBudget, 'all its connections')));
  await waitFor(survivor, 'connected ', connectBudget, 'every client');
  context.progress(`client commanding: ${clients} clients connected in ${groups.length} processes; heartbeats every ${intervalMs} ms, fall ${fall}`);

  // Steady state: beats, and requests answered by the primary, for a few intervals.
  await sleep(Math.max(300, 2 * fall * intervalMs));
  if (survivor.line('down ') !== undefined) throw new Error('the survivor declared the primary down before the crash: a heartbeat was late (the machine is too busy)');

  // The crash, at a phase of the heartbeat cycle drawn from the trial's randomness.
  const phase = context.random();
  const earliest = now() + 50;
  const beat = Math.ceil((earliest - beatsStart - phase * intervalMs) / intervalMs);
  const crashAt = beatsStart + (beat + phase) * intervalMs;
  await sleep(crashAt - now());
  const t0 = now();
  await primary.proc.stop('SIGKILL');
  context.progress('client commanding: primary killed');

  const down = JSON.parse(await waitFor(survivor, 'down ', fall * intervalMs + 10_000, 'down decision')) as DownReport;
  if (down.detectAt < t0) throw new Error(`the survivor declared the primary down ${round(t0 - down.detectAt)} ms before the crash: a heartbeat was late (the machine is too busy)`);
  await Promise.all(groups.map((group) => waitFor(group, 'switched ', 10_000, 'every switch command')));
  // The requests sent after the last switch get their answers.
  await sleep(probeTimeoutMs + 5 * probeEveryMs);
  const stopAt = now();
  const results: ClientsResult[] = [];
  for (const group of groups) {
    await group.proc.stop('SIGTERM');
    await group.closed;
    const line = group.line('result ');
    if (line === undefined) throw new Error(`${group.proc.name} left no result: ${group.errors()}`);
    results.push(JSON.parse(line) as ClientsResult);
  }

  // Switch times, commands, detection.
  const switchAt = new Map(results.flatMap((result) => result.switches));
  if (switchAt.size !== clients) throw new Error(`${clients - switchAt.size} of ${clients} clients got no switch command`);
  const switchMs = [...switchAt.values()].map((at) => at - t0).sort((a, b) => a - b);
  const detectMs = down.detectAt - t0;
  const firstCommandMs = down.writes[0][1] - t0;
  const lastCommandMs = down.writes[down.writes.length - 1][1] - t0;
  const movedMs = switchMs[switchMs.length - 1];
  const delivery = down.writes.map(([id, at]) => switchAt.get(id)! - at).sort((a, b) => a - b);
  const lastBeatSentAt = down.lastBeat?.sentAt ?? Number.NaN;

  // The real requests, against the model: a client's request fails if and only if it was sent before its switch.
  const counted = (request: ClientRequest): boolean => request[0] >= t0 && request[0] < stopAt - probeTimeoutMs;
  const good = (request: ClientRequest): boolean => request[1] === SURVIVOR && request[2] !== null && request[2] <= probeTimeoutMs;
  let requests = 0;
  let failed = 0;
  let goodBeforeSwitch = 0;
  let failedAfterSwitch = 0;
  let firstGoodAfterSwitch = 0;
  const records: Array<{ at: number; node: string | null }> = [];
  for (const { id, requests: sent } of results.flatMap((result) => result.probes)) {
    const switchedAt = switchAt.get(id)!;
    let firstGood: number | undefined;
    for (const request of sent.filter(counted)) {
      requests++;
      const ok = good(request);
      records.push({ at: request[0], node: ok ? request[1] : null });
      if (!ok) failed++;
      if (ok && request[0] < switchedAt) goodBeforeSwitch++;
      if (!ok && request[0] >= switchedAt) failedAfterSwitch++;
      if (ok && request[0] >= switchedAt && firstGood === undefined) firstGood = request[0] - switchedAt;
    }
    firstGoodAfterSwitch = Math.max(firstGoodAfterSwitch, firstGood ?? Number.POSITIVE_INFINITY);
  }
  const measured = requestFigures(records, t0, SURVIVOR, binMs);

  const spreadMs = lastCommandMs - firstCommandMs;
  return {
    method: 'client',
    name: `client commanding: ${clients} clients told one by one over TCP`,
    how: 'measured',
    parameters: {
      clients,
      clientProcesses: groups.length,
      heartbeatIntervalMs: intervalMs,
      fall,
      transport: `heartbeats over UDP, commands over TCP, loopback (primary ${primaryAddress}, survivor ${survivorAddress})`,
      crashPhase: Math.round(phase * 1000) / 1000,
      lastBeatBeforeCrashMs: round(t0 - lastBeatSentAt),
      detectAfterLastBeatMs: round(down.detectAt - lastBeatSentAt),
      firstCommandMs: round(firstCommandMs),
      lastCommandMs: round(lastCommandMs),
      firstToLastCommandMs: round(spreadMs),
      firstSwitchedMs: round(switchMs[0]),
      medianSwitchedMs: round(quantile(switchMs, 0.5)),
      lastSwitchedMs: round(movedMs),
      deliveryMedianMs: round(quantile(delivery, 0.5)),
      deliveryMaxMs: round(delivery[delivery.length - 1]),
      probingClients: results.reduce((sum, result) => sum + result.probes.length, 0),
      probeEveryMs,
      probeTimeoutMs,
      realRequests: requests,
      realRequestsFailed: failed,
      realGoodBeforeSwitch: goodBeforeSwitch,
      realFailedAfterSwitch: failedAfterSwitch,
      realFirstGoodAfterSwitchMs: Number.isFinite(firstGoodAfterSwitch) ? round(firstGoodAfterSwitch) : 'none',
      binMs,
    },
    phases: { detectMs: round(detectMs), decideMs: round(detectMs), redirectMs: round(firstCommandMs), movedMs: round(movedMs) },
    curve: switchCurve(switchMs, binMs).map(([bin, share]) => [bin, Math.round(share * 10_000) / 10_000]),
    requests,
    notes: [
      `Crash at T0: SIGKILL of the primary at ${round(t0 - lastBeatSentAt)} ms after its last heartbeat (phase ${phase.toFixed(3)} of the ${intervalMs} ms cycle). ` +
        `The survivor declares it down once no beat came for fall × interval = ${fall * intervalMs} ms: ${round(detectMs)} ms after the crash, ${round(down.detectAt - lastBeatSentAt)} ms after the last beat was sent. ` +
        `From the crash, detection lies between (fall − 1) × interval and fall × interval, by the phase.`,
      'Decide = detect: the survivor acts on its own down decision, with no vote and no second opinion.',
      `Redirect: the survivor writes "switch ${survivorAddress}" to each of the ${clients} control connections in turn; the first write at ${round(firstCommandMs)} ms, the last at ${round(lastCommandMs)} ms: ${round(spreadMs)} ms to reach every client, ${clients > 1 ? round((spreadMs / (clients - 1)) * 1000) : 0} µs per client. ` +
        'On loopback each write() also runs the receiving side of TCP in the kernel, so that cost includes the delivery to the client socket.',
      `Moved: every client's command arrived by ${round(movedMs)} ms (first ${round(switchMs[0])} ms, median ${round(quantile(switchMs, 0.5))} ms); write to arrival: median ${round(quantile(delivery, 0.5))} ms, max ${round(delivery[delivery.length - 1])} ms. ` +
        `On loopback there is no network latency: what spreads the arrivals is the survivor's writes and the ${groups.length} client process(es) reading ${clients} sockets, all on this machine's CPU cores.`,
      `The curve is derived from the ${clients} measured switch times: a client's requests fail until its command arrives (it goes on sending to the dead primary), so each bin holds the share of the bin the clients spent unswitched.`,
      `Checked against real requests: ${results.reduce((sum, result) => sum + result.probes.length, 0)} of the clients sent a UDP request every ${probeEveryMs} ms to their current target (${requests} after T0, ${failed} failed or unanswered within ${probeTimeoutMs} ms); ` +
        `${goodBeforeSwitch} succeeded before their client's switch and ${failedAfterSwitch} failed after it (the model says 0 and 0); each client's first request after its switch succeeded within ${round(firstGoodAfterSwitch)} ms; ` +
        `their own curve ends (last failed request) at ${measured.lastBadMs === undefined ? 'none' : `${round(measured.lastBadMs)} ms`}.`,
    ],
  };
}
