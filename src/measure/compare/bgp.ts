// Router commanding, measured with real BIRD 2: two nodes announce one anycast
// /32 (the service address) over eBGP to a router, which installs the best
// route in its kernel; a client behind the router sends a request every few ms.
// The preferred node (nodeA: the shorter AS path) vanishes from the server LAN
// (its switch port pulled: the router's own link stays up, nobody is told), and
// the router must notice by itself: by BFD, or by the BGP hold timer.
//
//   client 10.79.0.2 --(10.79.0.0/30)-- 10.79.0.1 router 10.78.0.1 --[switch]-- nodeA 10.78.0.11 (AS 65011)
//                                                       (AS 65000)          \-- nodeB 10.78.0.12 (AS 65012, path prepended)
//   service 10.80.0.10/32 on each node's loopback, announced by each node's BIRD
//
// The client sits on a link of its own: on the server LAN the router would send
// it ICMP redirects to the node. Every phase is read from a log with wall-clock
// timestamps: the router's BIRD log (detect: BFD session down or hold timer
// expired; decide: the new best route exported to the kernel), `ip -ts monitor
// route` in the router (redirect: the kernel route changed), the client's
// records (moved); the failure itself from `ip -ts monitor link` in the switch.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Lab, type LabProcess, findBinary } from '../drill/lab.js';
import { REACH_SCRIPT, firstAfter, lines, waitFor } from './lab-logs.js';
import { type Host, NetLab } from './netns.js';
import { SERVICE_PORT, requestFigures, startProber, startService } from './requests.js';
import type { RowContext, RowResult } from './row.js';

const run = promisify(execFile);

export interface BgpOptions {
  /** BFD transmit and receive interval, ms (BIRD's default: 100). */
  bfdIntervalMs: number;
  /** BFD detection multiplier (BIRD's default: 5). */
  bfdMultiplier: number;
  /** BGP hold time of the row without BFD, s (3: the least RFC 4271 and BIRD accept). */
  holdS: number;
  /** BGP keepalive time of the row without BFD, s. */
  keepaliveS: number;
  /** The client sends a request every this many ms. */
  probeEveryMs: number;
  /** A request with no answer within this many ms failed. */
  probeTimeoutMs: number;
  /** Instead of a crash, nodeA's BIRD stops cleanly (a Cease: an instant withdraw), for contrast. */
  clean: boolean;
  /** Observed before the failure, once the initial state is reached (plus a random phase of one BFD interval or keepalive). */
  warmupMs: number;
  /** Observed after the router's route moved. */
  afterMs: number;
  /** Keep the lab dir (configs, BIRD logs, monitors) after the row, for inspection. */
  keepLab: boolean;
}

export const BGP_DEFAULTS = (short = false): BgpOptions => ({
  bfdIntervalMs: 100,
  bfdMultiplier: 5,
  holdS: 3,
  keepaliveS: 1,
  probeEveryMs: 10,
  probeTimeoutMs: 250,
  clean: false,
  warmupMs: short ? 500 : 2000,
  afterMs: short ? 500 : 2000,
  keepLab: false,
});

/** BGP sessions watched by BFD: the router notices the silent node after about interval × multiplier. */
export function bfdRow(options: Partial<BgpOptions>, ctx: RowContext): Promise<RowResult> {
  return bgpRow('bfd', { ...BGP_DEFAULTS(ctx.short), ...options }, ctx);
}

/** BGP alone, with a short hold time: the router notices the silent node when the hold timer expires. */
export function holdRow(options: Partial<BgpOptions>, ctx: RowContext): Promise<RowResult> {
  return bgpRow('hold', { ...BGP_DEFAULTS(ctx.short), ...options }, ctx);
}

const LAN = { router: '10.78.0.1', nodeA: '10.78.0.11', nodeB: '10.78.0.12', prefix: 24 };
const CLIENT_LINK = { router: '10.79.0.1', client: '10.79.0.2', prefix: 30 };
const SERVICE = '10.80.0.10';
const ASN = { router: 65000, nodeA: 65011, nodeB: 65012 };
/** nodeB's extra copies of its AS in the path: the router prefers nodeA (path length 1 against 3). */
const PREPEND = 2;

const now = (): number => performance.timeOrigin + performance.now();

type Kind = 'bfd' | 'hold';

interface BirdConfig {
  kind: Kind;
  options: BgpOptions;
  logFile: string;
}

/** What every instance shares: a log with wall-clock timestamps (epoch seconds, µs) and fast (re)connects. */
function common(name: string, routerId: string, logFile: string): string {
  return `# flipdns compare: ${name}
log "${logFile}" all;
# Epoch seconds and microseconds: no time zone to get wrong.
timeformat log "%s.%6f";
timeformat protocol "%s.%3f";
router id ${routerId};
protocol device { scan time 10; }
`;
}

function sessionTimers({ kind, options }: BirdConfig): string {
  // Fast re-runs: connect at once, retry every second, no growing back-off after errors.
  const fast = 'connect delay time 1; connect retry time 1; error wait time 1, 2; error forget time 10;';
  const hold = kind === 'hold' ? `hold time ${options.holdS}; keepalive time ${options.keepaliveS}; ` : '';
  return `${hold}${fast}${kind === 'bfd' ? ' bfd on;' : ''}`;
}

function bfdProtocol({ kind, options }: BirdConfig): string {
  if (kind !== 'bfd') return '';
  return `protocol bfd {
  interface "eth0" { interval ${options.bfdIntervalMs} ms; multiplier ${options.bfdMultiplier}; };
  debug { states, events };
}
`;
}

function routerConfig(config: BirdConfig): string {
  return `${common('router', LAN.router, config.logFile)}${bfdProtocol(config)}
# The best route to the service goes into this namespace's kernel table; "routes" traces each change.
protocol kernel {
  ipv4 { import none; export all; };
  learn off;
  scan time 10;
  debug { states, routes };
}

template bgp node {
  local ${LAN.router} as ${ASN.router};
  ${sessionTimers(config)}
  debug { states, events };
  ipv4 { import where net = ${SERVICE}/32; export none; };
}
protocol bgp nodeA from node { neighbor ${LAN.nodeA} as ${ASN.nodeA}; }
protocol bgp nodeB from node { neighbor ${LAN.nodeB} as ${ASN.nodeB}; }
`;
}

function nodeConfig(node: 'nodeA' | 'nodeB', config: BirdConfig): string {
  const prepend = node === 'nodeB' ? Array.from({ length: PREPEND }, () => `bgp_path.prepend(${ASN.nodeB}); `).join('') : '';
  return `${common(node, LAN[node], config.logFile)}${bfdProtocol(config)}
# The service address is announced for as long as this BIRD runs (no kernel table here).
protocol static { ipv4; route ${SERVICE}/32 blackhole; }

protocol bgp uplink {
  local ${LAN[node]} as ${ASN[node]};
  neighbor ${LAN.router} as ${ASN.router};
  ${sessionTimers(config)}
  ipv4 { import none; export filter { if net = ${SERVICE}/32 then { ${prepend}accept; } reject; }; };
}
`;
}

interface Bird {
  proc: LabProcess;
  socket: string;
  logFile: string;
}

/** Writes the instance's config, has BIRD check it (`bird -p`), and starts it in the foreground, stopped by PID with the lab. */
async function startBird(lab: Lab, host: Host, name: string, text: string, bird: string): Promise<Bird> {
  const conf = lab.path(`${name}.conf`);
  writeFileSync(conf, text);
  await run(bird, ['-p', '-c', conf]).catch((err: { stderr?: string }) => {
    throw new Error(`BIRD rejects ${name}.conf: ${(err.stderr ?? String(err)).trim()}`);
  });
  const socket = lab.path(`${name}.ctl`);
  const proc = host.spawn('bird', bird, ['-f', '-c', conf, '-s', socket, '-P', lab.path(`${name}.pid`)]);
  return { proc, socket, logFile: lab.path(`${name}-trace.log`) };
}

async function birdc(birdcBin: string, b: Bird, ...command: string[]): Promise<string> {
  return (await run(birdcBin, ['-s', b.socket, ...command])).stdout;
}

/** `1795796601.063059 <TRACE> nodeA: ...` (BIRD with `timeformat log "%s.%6f"`) -> wall-clock ms. */
export function parseBirdTimestamp(line: string): number | undefined {
  const m = /^(\d+)\.(\d{6}) /.exec(line);
  return m ? Number(m[1]) * 1000 + Number(m[2]) / 1000 : undefined;
}

/** The router's kernel route to the service goes via nodeB (a new route, not a deletion). */
const viaB = (line: string): boolean => line.includes(`${SERVICE} via ${LAN.nodeB}`) && !line.includes('Deleted');

async function bgpRow(kind: Kind, options: BgpOptions, ctx: RowContext): Promise<RowResult> {
  const bird = findBinary('bird', 'bird2');
  const birdcBin = findBinary('birdc', 'bird2');
  const ip = findBinary('ip', 'iproute2');
  const lab = new Lab('flipdns-lab-bgp-');
  lab.closeOnSignals();
  try {
    const net = new NetLab(lab);
    const sw = await net.switch('sw');
    const router = await net.host('router', { forwarding: true });
    const nodeA = await net.host('nodeA');
    const nodeB = await net.host('nodeB');
    const client = await net.host('client');
    const portA = await sw.plug(nodeA, 'eth0', `${LAN.nodeA}/${LAN.prefix}`);
    await sw.plug(nodeB, 'eth0', `${LAN.nodeB}/${LAN.prefix}`);
    await sw.plug(router, 'eth0', `${LAN.router}/${LAN.prefix}`);
    await net.cable(router, 'eth1', client, 'eth0');
    await router.exec('ip', ['address', 'add', `${CLIENT_LINK.router}/${CLIENT_LINK.prefix}`, 'dev', 'eth1']);
    await client.exec('ip', ['address', 'add', `${CLIENT_LINK.client}/${CLIENT_LINK.prefix}`, 'dev', 'eth0']);
    await client.exec('ip', ['route', 'add', 'default', 'via', CLIENT_LINK.router]);
    for (const node of [nodeA, nodeB]) {
      await node.exec('ip', ['address', 'add', `${SERVICE}/32`, 'dev', 'lo']);
      await node.exec('ip', ['route', 'add', 'default', 'via', LAN.router]);
    }
    // New namespaces copy the host's IPv4 settings: set what matters here, and read it back below.
    for (const host of [router, nodeA, nodeB]) for (const key of ['all', 'default']) await host.sysctl(`net.ipv4.conf.${key}.rp_filter`, 0);
    for (const dev of ['eth0', 'eth1']) await router.sysctl(`net.ipv4.conf.${dev}.rp_filter`, 0);
    await router.sysctl('net.ipv4.conf.all.send_redirects', 0);

    const birds = {
      router: await startBird(lab, router, 'router', routerConfig({ kind, options, logFile: lab.path('router-trace.log') }), bird),
      nodeA: await startBird(lab, nodeA, 'nodeA', nodeConfig('nodeA', { kind, options, logFile: lab.path('nodeA-trace.log') }), bird),
      nodeB: await startBird(lab, nodeB, 'nodeB', nodeConfig('nodeB', { kind, options, logFile: lab.path('nodeB-trace.log') }), bird),
    };
    const routeMonitor = router.spawn('route-monitor', ip, ['-ts', 'monitor', 'route']);
    const linkMonitor = sw.host.spawn('link-monitor', ip, ['-ts', 'monitor', 'link']);
    startService(nodeA, 'A', SERVICE);
    startService(nodeB, 'B', SERVICE);

    // The initial state: both sessions up (and their BFD sessions), the route via nodeA, the client answered by A.
    const started = Date.now();
    let last = '';
    await waitFor(
      'the initial state (both BGP sessions Established, the route via nodeA, the client reaching A)',
      30_000,
      async () => {
        const protocols = await birdc(birdcBin, birds.router, 'show', 'protocols');
        last = protocols;
        if (!['nodeA', 'nodeB'].every((name) => new RegExp(`^${name}\\s.*Established`, 'm').test(protocols))) return false;
        if (kind === 'bfd') {
          const sessions = await birdc(birdcBin, birds.router, 'show', 'bfd', 'sessions');
          last = sessions;
          if (![LAN.nodeA, LAN.nodeB].every((address) => new RegExp(`^${address.replace(/\./g, '\\.')}\\s+\\S+\\s+Up\\b`, 'm').test(sessions))) return false;
        }
        const route = await router.exec('ip', ['route', 'show', `${SERVICE}/32`]);
        last = `router: ${route}`;
        if (!route.includes(`via ${LAN.nodeA}`)) return false;
        await client.exec(process.execPath, ['-e', REACH_SCRIPT, SERVICE, String(SERVICE_PORT), 'A', '1000']);
        return true;
      },
      () => last,
      100,
      () => {
        for (const [name, b] of Object.entries(birds)) if (!b.proc.running()) throw new Error(`${name}'s bird exited: ${b.proc.tail()}`);
      },
    );
    const readyMs = Date.now() - started;
    ctx.progress(`initial state in ${(readyMs / 1000).toFixed(1)} s`);

    const prober = await startProber(client, SERVICE, options.probeEveryMs, options.probeTimeoutMs);
    // The failure at a random phase of the BFD or keepalive cycle.
    const cycleMs = kind === 'bfd' ? options.bfdIntervalMs : options.keepaliveS * 1000;
    const phaseMs = ctx.random() * cycleMs;
    await sleep(options.warmupMs + phaseMs);

    const before = now();
    if (options.clean) await birds.nodeA.proc.stop('SIGTERM');
    else await sw.unplug(portA);
    const after = now();
    // T0: the port going down, as the switch's link monitor saw it (the command around it takes a few ms).
    const down = options.clean
      ? undefined
      : firstAfter(linkMonitor.logFile, before - 1, (line) => new RegExp(`^\\S+ \\d+: ${portA}@`).test(line) && !/[<,]UP[,>]/.test(line));
    const t0 = down?.at ?? before;

    // Until the router's kernel route goes via nodeB, then `afterMs` more (plus the requests' timeout).
    const expectedMs = kind === 'bfd' ? options.bfdIntervalMs * options.bfdMultiplier : options.holdS * 1000;
    const moveDeadlineMs = options.clean ? 10_000 : expectedMs * 3 + 5000;
    let redirect: { at: number; line: string } | undefined;
    await waitFor(
      "the router's route via nodeB",
      moveDeadlineMs,
      async () => (redirect = firstAfter(routeMonitor.logFile, t0, viaB)) !== undefined,
      () => lines(routeMonitor.logFile).slice(-5).join(' | '),
      20,
    ).catch((err: Error) => ctx.progress(err.message));
    await sleep(options.afterMs + options.probeTimeoutMs);
    const records = await prober.stop();
    const binMs = kind === 'bfd' ? 25 : 100;
    const figures = requestFigures(records, t0, 'B', binMs);

    // The router's BIRD: the first sign that nodeA is gone, then the new best route sent to the kernel.
    const trace = birds.router.logFile;
    const nodeALine = (line: string): boolean =>
      (/ nodeA: /.test(line) && /BFD session down|Hold timer expired|Received: |State changed to (stop|down)/.test(line)) ||
      (line.includes(`Session to ${LAN.nodeA} `) && /changed state .* to Down/i.test(line));
    const detect = firstAfter(trace, t0, nodeALine, parseBirdTimestamp);
    // `kernel1.ipv4 < replaced 10.80.0.10/32 ...`: the table's best route changed and went to the kernel protocol.
    const decide = firstAfter(trace, t0, (line) => new RegExp(`<TRACE> kernel\\d*\\.ipv4 < (added|replaced) ${SERVICE.replace(/\./g, '\\.')}/32 `).test(line), parseBirdTimestamp);

    const phases: RowResult['phases'] = {};
    if (detect) phases.detectMs = detect.at - t0;
    if (decide) phases.decideMs = decide.at - t0;
    if (redirect) phases.redirectMs = redirect.at - t0;
    if (figures.movedMs !== undefined) phases.movedMs = figures.movedMs;
    const round = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : Math.round(ms * 10) / 10);
    for (const key of Object.keys(phases) as Array<keyof typeof phases>) phases[key] = round(phases[key]);

    const notes: string[] = [];
    const baseline = records.filter((record) => record.at < t0);
    const baselineBad = baseline.filter((record) => record.node !== 'A').length;
    if (baselineBad > 0) notes.push(`${baselineBad} of ${baseline.length} requests before the failure were not answered by nodeA`);
    notes.push(
      options.clean
        ? "T0: nodeA's BIRD stopped cleanly (SIGTERM: it sends a Cease notification, the router withdraws at once): a graceful withdraw, not a crash"
        : `T0: nodeA's switch port down as the switch's link monitor saw it (${down ? `${(down.at - before).toFixed(1)} ms after the command began` : 'not seen: the command began'}; the command took ${(after - before).toFixed(1)} ms)`,
    );
    if (!detect) notes.push("the router's BIRD log shows no loss of nodeA after T0");
    if (!decide) notes.push("the router's BIRD log shows no new best route after T0");
    if (!redirect) notes.push(`the router's kernel route did not move to nodeB within ${moveDeadlineMs / 1000} s`);
    if (detect) notes.push(`detect: ${detect.line.replace(/^\S+ /, '').trim()}`);
    if (detect && decide && decide.at - detect.at > 20)
      notes.push(
        `decide ${(decide.at - detect.at).toFixed(0)} ms after detect: BIRD 2.0.12 runs the route flush scheduled by the hold timer only at its main loop's next wake-up (io_loop sets its poll timeout before firing timers), here the next timer or packet`,
      );
    notes.push(`initial state (sessions Established${kind === 'bfd' ? ', BFD Up' : ''}, route via nodeA, client reaching A) ${(readyMs / 1000).toFixed(1)} s after BIRD started`);
    notes.push(`failure phase: ${phaseMs.toFixed(1)} ms into a ${cycleMs} ms ${kind === 'bfd' ? 'BFD interval' : 'keepalive'}`);
    if (kind === 'hold') notes.push('BIRD starts its hold timer (and keepalives) at 75-100% of the value (RFC 4271 jitter): the hold timer runs out 0.75-1 × hold after the last message nodeA sent');

    const parameters: RowResult['parameters'] = {
      implementation: (await run(bird, ['--version']).then((r) => `${r.stdout}${r.stderr}`.trim())).replace(/^BIRD version /, 'BIRD '),
      failure: options.clean ? "nodeA's BIRD stopped cleanly" : "nodeA's switch port pulled (silent to the router)",
      asns: `router ${ASN.router}, nodeA ${ASN.nodeA}, nodeB ${ASN.nodeB}`,
      preferred: `nodeA: shorter AS path (nodeB prepends ${ASN.nodeB} ${PREPEND} times)`,
      service: `${SERVICE}/32`,
      probeEveryMs: options.probeEveryMs,
      probeTimeoutMs: options.probeTimeoutMs,
      binMs,
      phaseMs: Math.round(phaseMs * 10) / 10,
      connectDelayS: 1,
      connectRetryS: 1,
      errorWaitS: '1, 2',
      'router rp_filter (all)': await router.readSysctl('net.ipv4.conf.all.rp_filter'),
      'router ip_forward': await router.readSysctl('net.ipv4.ip_forward'),
      'router send_redirects (all)': await router.readSysctl('net.ipv4.conf.all.send_redirects'),
    };
    if (kind === 'bfd') {
      parameters.bfdIntervalMs = options.bfdIntervalMs;
      parameters.bfdMultiplier = options.bfdMultiplier;
      parameters.holdS = '240 (BIRD default)';
      parameters.keepaliveS = '80 (BIRD default)';
    } else {
      parameters.bfd = 'off';
      parameters.holdS = options.holdS;
      parameters.keepaliveS = options.keepaliveS;
    }
    return {
      method: 'router',
      name:
        kind === 'bfd'
          ? `router: BGP + BFD ${options.bfdIntervalMs} ms × ${options.bfdMultiplier} (BIRD 2)${options.clean ? ', clean stop' : ''}`
          : `router: BGP, hold ${options.holdS} s, no BFD (BIRD 2)${options.clean ? ', clean stop' : ''}`,
      how: 'measured',
      parameters,
      phases,
      curve: figures.curve,
      requests: figures.requests,
      notes,
    };
  } finally {
    if (options.keepLab) ctx.progress(`lab kept: ${lab.dir}`);
    await lab.close({ keep: options.keepLab });
  }
}
