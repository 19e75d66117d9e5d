// Gratuitous ARP, measured with real keepalived (VRRPv3): two nodes and a
// client on one switch; the nodes share a virtual IP (VIP) that the master
// holds, and the client sends it a request every few ms. The master crashes
// (its switch port pulled, its daemons SIGKILLed: nobody is told); the backup's
// master-down timer runs out (3 × advert + skew), it takes the VIP and announces
// it with gratuitous ARPs, which overwrite the client's neighbour entry at once.
// Without them (noGarpRow: the backup's GARPs dropped on its way out), the
// client keeps sending to the dead MAC until its own neighbour entry goes stale,
// its unicast probes fail and it resolves the VIP afresh.
//
//   nodeA 10.77.0.11 (keepalived, priority 200: master) --\
//   nodeB 10.77.0.12 (keepalived, priority 100: backup)  ---[switch]
//   client 10.77.0.100 (requests to the VIP 10.77.0.10) --/
//
// Every phase is read from a trace with wall-clock timestamps: tcpdump -tt on
// the switch's bridge (decide: the backup's first advert as master; redirect:
// its first GARP, or the first ARP frame binding the VIP to its MAC), the
// client's records (moved); the failure itself from `ip -ts monitor link` in
// the switch; the client's neighbour entry from `ip -ts monitor neigh`.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Lab, type LabProcess, findBinary } from '../drill/lab.js';
import { REACH_SCRIPT, firstAfter, lines, parseIpTimestamp, text, waitFor } from './lab-logs.js';
import { type Host, NetLab } from './netns.js';
import { SERVICE_PORT, requestFigures, startProber, startService } from './requests.js';
import type { RowContext, RowResult, RowRunner } from './row.js';

/** The client's neighbour (ARP) settings on its interface: net.ipv4.neigh.eth0.* (and conf.eth0.arp_accept). */
export interface NeighbourSettings {
  base_reachable_time_ms: number;
  /** Seconds. */
  delay_first_probe_time: number;
  ucast_solicit: number;
  mcast_solicit: number;
  app_solicit: number;
  mcast_resolicit: number;
  retrans_time_ms: number;
  /** Seconds. */
  gc_stale_time: number;
  /** Centiseconds (USER_HZ), as the sysctl takes it. */
  locktime: number;
  /** net.ipv4.conf.eth0.arp_accept (all is set to 0). */
  arp_accept: number;
}

/** The kernel's defaults (a namespace's interfaces copy the host's, which may differ: they are set explicitly). */
export const KERNEL_NEIGHBOUR: NeighbourSettings = {
  base_reachable_time_ms: 30_000,
  delay_first_probe_time: 5,
  ucast_solicit: 3,
  mcast_solicit: 3,
  app_solicit: 0,
  mcast_resolicit: 0,
  retrans_time_ms: 1000,
  gc_stale_time: 60,
  locktime: 100,
  arp_accept: 0,
};

/** A short run's client (CI): the entry stale after 1-3 s instead of 15-45 s, the first probe after 1 s instead of 5 s. */
export const SHORT_NEIGHBOUR: Partial<NeighbourSettings> = { base_reachable_time_ms: 2000, delay_first_probe_time: 1 };

export interface VrrpOptions {
  /** VRRPv3 advert interval, ms: a multiple of 10 (centiseconds), 10 at least (default 100). */
  advertMs?: number;
  /** keepalived priorities (defaults 200 and 100): the backup's sets its skew, (256 − priority) / 256 × advert. */
  masterPriority?: number;
  backupPriority?: number;
  /** The client sends a request to the VIP every this many ms (default 10). */
  probeEveryMs?: number;
  /** A request with no answer within this many ms failed (default 200). */
  probeTimeoutMs?: number;
  /** The client's neighbour settings, over the kernel's defaults (a short run: SHORT_NEIGHBOUR over them). */
  neighbour?: Partial<NeighbourSettings>;
  /** Width of the curve's bins, ms (default 10 with GARP, 250 without). */
  binMs?: number;
  /** Observed before the failure once the initial state is reached (default 1000; 500 short), plus a random phase. */
  warmupMs?: number;
  /**
   * The random phase before T0 is drawn from [0, phaseMs) (default: one advert interval with GARP; without, one
   * cycle of the client's neighbour entry: its reachable time as read back + delay_first_probe_time).
   */
  phaseMs?: number;
  /** The longest wait after T0 for the client's entry to take nodeB's MAC (default: what the timers allow, plus 3 s). */
  observeMs?: number;
  /** Observed after the client's entry took nodeB's MAC (default 1000; 500 short). */
  afterMs?: number;
  /** Instead of a crash, nodeA's keepalived stops cleanly (SIGTERM: a priority-0 advert, the backup takes over after its skew time). */
  clean?: boolean;
  /** The deadline for the initial state (nodeA master, nodeB backup, the client answered by A), ms (default 20,000). */
  settleTimeoutMs?: number;
  /** Keep the lab dir (configs, keepalived logs, the switch's trace) after the row, for inspection. */
  keepLab?: boolean;
}

type Kind = 'garp' | 'noGarp';

const run = promisify(execFile);

/** keepalived announces the VIP with gratuitous ARPs at its master transition (its defaults: 5 at once, 5 more 5 s later). */
export function garpRow(options: VrrpOptions = {}): RowRunner {
  return (ctx) => vrrpRow('garp', options, ctx);
}

/** The same move with no gratuitous ARP reaching the client (dropped on nodeB's egress): the client waits for its neighbour entry. */
export function noGarpRow(options: VrrpOptions = {}): RowRunner {
  return (ctx) => vrrpRow('noGarp', options, ctx);
}

const NET = { nodeA: '10.77.0.11', nodeB: '10.77.0.12', client: '10.77.0.100', prefix: 24 };
const VIP = '10.77.0.10';
const VRID = 77;
/**
 * keepalived's defaults for gratuitous ARP at a master transition (keepalived.conf(5)); the two counts are written
 * out in the config (2.2.7 refuses an explicit 0 for the interval and the refresh: those stay implicit).
 */
const GARP_DEFAULTS = { vrrp_garp_master_repeat: 5, vrrp_garp_master_delay: 5, vrrp_garp_master_refresh: 0, vrrp_garp_interval: 0 };

const now = (): number => performance.timeOrigin + performance.now();
const round = (ms: number): number => Math.round(ms * 10) / 10;
const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function settings(options: VrrpOptions, ctx: RowContext) {
  const advertMs = options.advertMs ?? 100;
  if (!Number.isInteger(advertMs / 10) || advertMs < 10 || advertMs > 40_950) throw new Error(`advertMs ${advertMs}: VRRPv3 counts adverts in centiseconds, 10 to 40950 ms`);
  const masterPriority = options.masterPriority ?? 200;
  const backupPriority = options.backupPriority ?? 100;
  if (!(backupPriority >= 1 && backupPriority < masterPriority && masterPriority <= 254)) throw new Error(`priorities ${masterPriority}/${backupPriority}: need 1 <= backup < master <= 254`);
  return {
    advertMs,
    masterPriority,
    backupPriority,
    probeEveryMs: options.probeEveryMs ?? 10,
    probeTimeoutMs: options.probeTimeoutMs ?? 200,
    neighbour: { ...KERNEL_NEIGHBOUR, ...(ctx.short ? SHORT_NEIGHBOUR : {}), ...options.neighbour },
    warmupMs: options.warmupMs ?? (ctx.short ? 500 : 1000),
    afterMs: options.afterMs ?? (ctx.short ? 500 : 1000),
    clean: options.clean ?? false,
    settleTimeoutMs: options.settleTimeoutMs ?? 20_000,
    /** The backup's skew and master-down interval (RFC 5798: skew = (256 − priority) × advert / 256). */
    skewMs: ((256 - backupPriority) * advertMs) / 256,
    masterDownMs: 3 * advertMs + ((256 - backupPriority) * advertMs) / 256,
  };
}
type Settings = ReturnType<typeof settings>;

function keepalivedConfig(name: 'A' | 'B', s: Settings, notify: string): string {
  const master = name === 'A';
  return `# flipdns compare: gratuitous ARP row, node${name}
global_defs {
  router_id node${name}
  vrrp_version 3
  script_user root
  enable_script_security
  vrrp_garp_master_repeat ${GARP_DEFAULTS.vrrp_garp_master_repeat}
  vrrp_garp_master_delay ${GARP_DEFAULTS.vrrp_garp_master_delay}
}
vrrp_instance VI_1 {
  state ${master ? 'MASTER' : 'BACKUP'}
  interface eth0
  virtual_router_id ${VRID}
  priority ${master ? s.masterPriority : s.backupPriority}
  advert_int ${s.advertMs / 1000}
  virtual_ipaddress {
    ${VIP}/32 dev eth0
  }
  notify_master "${notify}"
}
`;
}

interface Keepalived {
  proc: LabProcess;
  /** Where notify_master appends `date +%s.%N`. */
  masterFile: string;
  vrrpPidFile: string;
}

/** Checks the config (`keepalived -t`), then runs keepalived in the foreground (-n), VRRP only, logging to the console, stopped by PID with the lab. */
async function startKeepalived(lab: Lab, host: Host, name: 'A' | 'B', s: Settings, keepalived: string): Promise<Keepalived> {
  const masterFile = lab.path(`node${name}-master.times`);
  const notify = lab.path(`node${name}-notify-master.sh`);
  writeFileSync(notify, `#!/bin/sh\ndate +%s.%N >> ${masterFile}\n`, { mode: 0o755 });
  const config = lab.path(`node${name}-keepalived.conf`);
  writeFileSync(config, keepalivedConfig(name, s, notify));
  await host.exec(keepalived, ['-t', '-f', config]).catch((err: { stderr?: string }) => {
    throw new Error(`keepalived rejects node${name}-keepalived.conf: ${(err.stderr ?? String(err)).trim()}`);
  });
  const pid = (file: string): string => lab.path(`node${name}-keepalived${file}.pid`);
  const proc = host.spawn('keepalived', keepalived, ['-n', '-l', '-D', '-G', '-P', '-f', config, '-p', pid(''), '-r', pid('-vrrp'), '-c', pid('-checkers')]);
  return { proc, masterFile, vrrpPidFile: pid('-vrrp') };
}

/** A frame of the switch's trace (`tcpdump -tt -e -n`). */
interface Frame {
  at: number;
  source: string;
  kind: 'advert' | 'garp' | 'arp-request' | 'arp-reply' | 'other';
  /** Adverts: the priority. */
  priority?: number;
  /** ARP: the sender's IP address (and, for replies, the hardware address claimed). */
  senderIp?: string;
  claimed?: string;
}

const MAC = '[0-9a-f]{2}(?::[0-9a-f]{2}){5}';
const FRAME = new RegExp(`^(\\d+)\\.(\\d{6}) (${MAC}) > (${MAC}), ethertype \\S+ \\(0x[0-9a-f]+\\), length \\d+: (.*)$`);

export function parseFrame(line: string): Frame | undefined {
  const m = FRAME.exec(line);
  if (!m) return undefined;
  const at = Number(m[1]) * 1000 + Number(m[2]) / 1000;
  const [source, payload] = [m[3], m[5]];
  const advert = new RegExp(`VRRPv3, Advertisement, vrid ${VRID}, prio (\\d+)`).exec(payload);
  if (advert) return { at, source, kind: 'advert', priority: Number(advert[1]) };
  const request = new RegExp(`^Request who-has (\\S+)(?: \\(${MAC}\\))? tell (\\S+), length`).exec(payload);
  if (request) return { at, source, kind: request[1] === request[2] ? 'garp' : 'arp-request', senderIp: request[2] };
  const reply = new RegExp(`^Reply (\\S+) is-at (${MAC}), length`).exec(payload);
  if (reply) return { at, source, kind: 'arp-reply', senderIp: reply[1], claimed: reply[2] };
  return { at, source, kind: 'other' };
}

/**
 * nodeB's gratuitous ARPs dropped on its way out: a clsact qdisc on its eth0 with a classic-BPF filter in
 * direct-action mode (this kernel has neither the flower classifier nor the gact action; cls_bpf is built in):
 * ARP (0x0806), opcode request, sender IP = target IP = VIP -> TC_ACT_SHOT; anything else -> TC_ACT_OK.
 */
async function dropGarps(host: Host, tc: string): Promise<string> {
  const vip = VIP.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
  const program = [
    [0x28, 0, 0, 12], // ldh [12]: ethertype
    [0x15, 0, 7, 0x0806], // ARP, else pass
    [0x28, 0, 0, 20], // ldh [20]: opcode
    [0x15, 0, 5, 1], // request, else pass
    [0x20, 0, 0, 28], // ld [28]: sender IP
    [0x15, 0, 3, vip],
    [0x20, 0, 0, 38], // ld [38]: target IP
    [0x15, 0, 1, vip],
    [0x06, 0, 0, 2], // ret TC_ACT_SHOT
    [0x06, 0, 0, 0], // ret TC_ACT_OK
  ];
  await host.exec(tc, ['qdisc', 'add', 'dev', 'eth0', 'clsact']);
  await host.exec(tc, ['filter', 'add', 'dev', 'eth0', 'egress', 'bpf', 'da', 'bytecode', `${program.length},${program.map((op) => op.join(' ')).join(',')}`]);
  return (await host.exec(tc, ['filter', 'show', 'dev', 'eth0', 'egress'])).trim().replace(/\s+/g, ' ');
}

async function macOf(host: Host): Promise<string> {
  const [link] = JSON.parse(await host.exec('ip', ['-j', 'link', 'show', 'eth0'])) as Array<{ address: string }>;
  return link.address;
}

/** The parent of `pid`, from /proc (undefined once it is gone). */
function parentOf(pid: number): number | undefined {
  try {
    // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

async function vrrpRow(kind: Kind, options: VrrpOptions, ctx: RowContext): Promise<RowResult> {
  const s = settings(options, ctx);
  const keepalived = findBinary('keepalived', 'keepalived');
  const tcpdump = findBinary('tcpdump', 'tcpdump');
  const ip = findBinary('ip', 'iproute2');
  const tc = kind === 'noGarp' ? findBinary('tc', 'iproute2') : '';
  const lab = new Lab('flipdns-compare-garp-');
  lab.closeOnSignals();
  try {
    const net = new NetLab(lab);
    const sw = await net.switch('sw');
    const nodeA = await net.host('nodeA');
    const nodeB = await net.host('nodeB');
    const client = await net.host('client');
    const portA = await sw.plug(nodeA, 'eth0', `${NET.nodeA}/${NET.prefix}`);
    await sw.plug(nodeB, 'eth0', `${NET.nodeB}/${NET.prefix}`);
    await sw.plug(client, 'eth0', `${NET.client}/${NET.prefix}`);
    const macA = await macOf(nodeA);
    const macB = await macOf(nodeB);

    // New namespaces copy the host's IPv4 settings: set what matters here explicitly, and read it back below.
    for (const host of [nodeA, nodeB, client]) {
      for (const key of ['all', 'default', 'eth0']) await host.sysctl(`net.ipv4.conf.${key}.rp_filter`, 0);
      for (const key of ['all', 'eth0']) {
        await host.sysctl(`net.ipv4.conf.${key}.arp_ignore`, 0);
        await host.sysctl(`net.ipv4.conf.${key}.arp_announce`, 0);
      }
    }
    await client.sysctl('net.ipv4.conf.all.arp_accept', 0);
    for (const [key, value] of Object.entries(s.neighbour)) {
      await client.sysctl(key === 'arp_accept' ? 'net.ipv4.conf.eth0.arp_accept' : `net.ipv4.neigh.eth0.${key}`, value);
    }
    const readBack: Record<string, number> = {};
    for (const key of Object.keys(s.neighbour)) {
      readBack[key] = Number(await client.readSysctl(key === 'arp_accept' ? 'net.ipv4.conf.eth0.arp_accept' : `net.ipv4.neigh.eth0.${key}`));
    }
    // The reachable time in force: drawn at random in [0.5, 1.5) × base when the base is set, redrawn every 300 s.
    const ntable = JSON.parse(await client.exec('ip', ['-j', 'ntable', 'show', 'dev', 'eth0'])) as Array<{ family: string; reachable: number }>;
    const reachableMs = ntable.find((table) => table.family === 'inet')?.reachable ?? Number.NaN;

    const filter = kind === 'noGarp' ? await dropGarps(nodeB, tc) : undefined;

    // The traces: every ARP and VRRP frame through the switch, the switch's ports, the client's neighbour entries.
    const trace = sw.host.spawn('tcpdump', tcpdump, ['-l', '-n', '-e', '-tt', '-i', 'br0', 'arp or ip proto 112']);
    const linkMonitor = sw.host.spawn('link-monitor', ip, ['-ts', 'monitor', 'link']);
    const neighMonitor = client.spawn('neigh-monitor', ip, ['-ts', 'monitor', 'neigh']);
    await waitFor('tcpdump listening on the switch', 10_000, () => text(trace.logFile).includes('listening on'), () => trace.tail());

    const serviceA = startService(nodeA, 'A', VIP, { anyAddress: true });
    startService(nodeB, 'B', VIP, { anyAddress: true });

    // The initial state: nodeA master first, then nodeB started and still backup past its master-down interval.
    const started = Date.now();
    const a = await startKeepalived(lab, nodeA, 'A', s, keepalived);
    await waitFor('nodeA MASTER', s.settleTimeoutMs, () => existsSync(a.masterFile), () => a.proc.tail(5));
    const b = await startKeepalived(lab, nodeB, 'B', s, keepalived);
    await waitFor('nodeB BACKUP', s.settleTimeoutMs, () => text(b.proc.logFile).includes('Entering BACKUP STATE'), () => b.proc.tail(5));
    await sleep(s.masterDownMs + 2 * s.advertMs);
    if (existsSync(b.masterFile) || !b.proc.running()) throw new Error(`nodeB did not stay backup while nodeA was master (adverts not passing?): ${b.proc.tail(5)}`);
    // nodeA's delayed GARPs (vrrp_garp_master_delay after its transition) over: an ARP frame from the VIP's owner
    // re-confirms the client's entry even when it changes nothing, which would put the client's neighbour cycle
    // in step with keepalived's start rather than with its own timers.
    const garpsOfA = (): number => lines(trace.logFile).filter((line) => parseFrame(line)?.source === macA && parseFrame(line)?.kind === 'garp').length;
    const allGarps = 2 * GARP_DEFAULTS.vrrp_garp_master_repeat;
    await waitFor(`nodeA's ${allGarps} gratuitous ARPs (both batches)`, s.settleTimeoutMs, () => garpsOfA() >= allGarps, () => `${garpsOfA()} seen`, 100);
    const reach = await client
      .exec(process.execPath, ['-e', REACH_SCRIPT, VIP, String(SERVICE_PORT), 'A', String(s.settleTimeoutMs)])
      .then(() => true)
      .catch(() => false);
    if (!reach) throw new Error('the client is not answered by nodeA on the VIP');
    const readyMs = Date.now() - started;
    ctx.progress(`initial state in ${(readyMs / 1000).toFixed(1)} s (nodeA master, nodeB backup, the client answered by A)`);

    const prober = await startProber(client, VIP, s.probeEveryMs, s.probeTimeoutMs);
    // The failure at a random phase: of the advert cycle with GARP, of the client's neighbour entry cycle without.
    const cycleMs = options.phaseMs ?? (kind === 'garp' ? s.advertMs : reachableMs + s.neighbour.delay_first_probe_time * 1000);
    const phaseMs = ctx.random() * cycleMs;
    await sleep(s.warmupMs + phaseMs);

    // T0.
    const before = now();
    let killed = '';
    if (s.clean) {
      a.proc.child.kill('SIGTERM');
    } else {
      await sw.unplug(portA);
      // A crashed machine runs nothing: nodeA's keepalived and service die without a word (their frames would go
      // nowhere anyway). The parent is stopped first so it cannot respawn its VRRP child, which dies before it.
      const parent = a.proc.pid;
      const child = Number(readFileSync(a.vrrpPidFile, 'utf8').trim());
      process.kill(parent, 'SIGSTOP');
      if (parentOf(child) === parent) process.kill(child, 'SIGKILL');
      else throw new Error(`nodeA's VRRP child ${child} (from its pid file) is not a child of keepalived ${parent}`);
      a.proc.child.kill('SIGKILL');
      serviceA.child.kill('SIGKILL');
      killed = `${round(now() - before)} ms after the command began`;
    }
    const after = now();
    // T0: the port going down, as the switch's link monitor saw it (the command around it takes a few ms).
    const portDown = (line: string): boolean => new RegExp(`^\\S+ \\d+: ${portA}@`).test(line) && !/[<,]UP[,>]/.test(line);
    let down: { at: number; line: string } | undefined;
    if (!s.clean) {
      // The monitor writes its line a moment later.
      await waitFor('the port down in the link monitor', 1000, () => (down = firstAfter(linkMonitor.logFile, before - 1, portDown)) !== undefined, () => '', 5).catch(
        () => undefined,
      );
    }
    const t0 = down?.at ?? before;

    // Until the client's neighbour entry for the VIP holds nodeB's MAC, then `afterMs` more (plus the requests' timeout).
    const probes = s.neighbour.ucast_solicit + s.neighbour.app_solicit + s.neighbour.mcast_resolicit + s.neighbour.mcast_solicit;
    const observeMs =
      options.observeMs ??
      (kind === 'garp' ? 12 * s.advertMs + 3000 : reachableMs + s.neighbour.delay_first_probe_time * 1000 + probes * s.neighbour.retrans_time_ms + 3000);
    const vipToB = (line: string): boolean => new RegExp(`\\] ${escape(VIP)} dev eth0 lladdr ${macB} `).test(line);
    let clientEntry: { at: number; line: string } | undefined;
    await waitFor(
      "the client's neighbour entry for the VIP holding nodeB's MAC",
      observeMs,
      () => (clientEntry = firstAfter(neighMonitor.logFile, t0, vipToB)) !== undefined,
      () => lines(neighMonitor.logFile).slice(-4).join(' | '),
      20,
    ).catch((err: Error) => ctx.progress(err.message));
    await sleep(s.afterMs + s.probeTimeoutMs);
    const records = await prober.stop();
    const end = now();
    const binMs = options.binMs ?? (kind === 'garp' ? 10 : 250);
    const figures = requestFigures(records, t0, 'B', binMs);

    // Nothing of nodeA runs any more after a crash (and nothing of it may outlive the lab).
    let leftInA = '';
    if (!s.clean) {
      await Promise.all([a.proc.exited, serviceA.exited]);
      await waitFor('nodeA empty', 2000, async () => (leftInA = (await run(ip, ['netns', 'pids', nodeA.ns])).stdout.trim()) === '', () => leftInA).catch(() => undefined);
    }
    await trace.stop('SIGINT');
    const frames = lines(trace.logFile)
      .map(parseFrame)
      .filter((frame): frame is Frame => frame !== undefined && frame.at >= t0);
    const fromB = frames.filter((frame) => frame.source === macB);
    const firstAdvertB = fromB.find((frame) => frame.kind === 'advert');
    const garps = frames.filter((frame) => frame.kind === 'garp' && frame.senderIp === VIP);
    // Any ARP frame of nodeB's that tells the VIP's MAC: a GARP, a reply for the VIP, a request sent from the VIP.
    const firstBinding = fromB.find((frame) => frame.senderIp === VIP && (frame.kind !== 'arp-reply' || frame.claimed === macB));
    const notifyB = lines(b.masterFile)
      .map((line) => Number(line) * 1000)
      .find((at) => at >= t0);
    const garpsLogged = (text(b.proc.logFile).match(new RegExp(`Sending gratuitous ARP on eth0 for ${escape(VIP)}`, 'g')) ?? []).length;

    if (kind === 'noGarp' && garps.length > 0) throw new Error(`${garps.length} gratuitous ARPs for the VIP reached the switch although nodeB drops them: ${filter}`);
    if (kind === 'garp' && !garps.some((frame) => frame.source === macB)) throw new Error(`no gratuitous ARP from nodeB reached the switch (keepalived logged ${garpsLogged})`);
    if (leftInA !== '') throw new Error(`processes left in the crashed nodeA: ${leftInA}`);

    const phases: RowResult['phases'] = {};
    const decideAt = firstAdvertB?.at ?? notifyB;
    if (decideAt !== undefined) phases.detectMs = phases.decideMs = round(decideAt - t0);
    const redirectAt = kind === 'garp' ? garps.find((frame) => frame.source === macB)?.at : firstBinding?.at;
    if (redirectAt !== undefined) phases.redirectMs = round(redirectAt - t0);
    if (figures.movedMs !== undefined) phases.movedMs = round(figures.movedMs);

    const at = (ms: number | undefined): string => (ms === undefined ? 'never' : `${round(ms - t0)} ms`);
    const notes: string[] = [
      s.clean
        ? "T0: nodeA's keepalived stopped cleanly (SIGTERM: a priority-0 advert, the VIP released): the backup takes over after its skew time, a graceful handover, not a crash"
        : `T0: nodeA's switch port down as the switch's link monitor saw it (${down ? `${round(down.at - before)} ms after the command began` : 'not seen: the command began'}; the command took ${round(after - before)} ms); then nodeA's keepalived (parent SIGSTOPped, VRRP child SIGKILLed, parent SIGKILLed) and service died (${killed}): a crashed machine says nothing and runs nothing, and its frames could not leave anyway`,
      `VRRP detects and decides in one step: the backup becomes master when its master-down timer runs out (3 × advert + skew = ${round(s.masterDownMs)} ms after nodeA's last advert), so detectMs = decideMs = nodeB's first advert on the switch (${at(firstAdvertB?.at)}); its notify_master script wrote ${at(notifyB)}`,
      kind === 'garp'
        ? `redirect: nodeB's first gratuitous ARP on the switch; ${garps.length} seen in ${round(end - t0)} ms after T0 (keepalived logged ${garpsLogged}: ${GARP_DEFAULTS.vrrp_garp_master_repeat} at the transition, ${GARP_DEFAULTS.vrrp_garp_master_repeat} more ${GARP_DEFAULTS.vrrp_garp_master_delay} s later)`
        : `no GARP: keepalived sent its usual ones (logged ${garpsLogged}), dropped on nodeB's egress by tc (clsact + cBPF: ARP request, sender = target = VIP); none reached the switch. redirect: the first ARP frame of nodeB's binding the VIP to its MAC (${at(firstBinding?.at)}), an answer to the client's own fresh resolution`,
      `the client's entry for the VIP after T0: ${
        lines(neighMonitor.logFile)
          .filter((line) => line.includes(`] ${VIP} dev eth0 `) && (parseIpTimestamp(line) ?? 0) >= t0 && (parseIpTimestamp(line) ?? 0) <= (clientEntry?.at ?? end))
          .map((line) => `${/ (\w+)\s*$/.exec(line)?.[1] ?? '?'}${line.includes(macB) ? ' (nodeB)' : line.includes(macA) ? ' (nodeA)' : ''} at ${round(parseIpTimestamp(line)! - t0)} ms`)
          .join(', ') || 'no change seen'
      }`,
    ];
    if (kind === 'noGarp') {
      notes.push(
        `without GARP the client sends to nodeA's MAC until its entry leaves REACHABLE (reachable time ${reachableMs} ms, drawn in [0.5, 1.5) × base_reachable_time when set, after its last confirmation), then delay_first_probe_time (${readBack.delay_first_probe_time} s) and ${readBack.ucast_solicit} unicast probes ${readBack.retrans_time_ms} ms apart, then FAILED and a broadcast resolution that nodeB answers; the failure came at a random phase of that cycle`,
      );
    }
    // (A request sent in the last few ms before T0 may be lost with its answer: a casualty of the failure, left out.)
    const baseline = records.filter((record) => record.at < t0 - 5 && record.at >= t0 - 1000);
    const baselineBad = baseline.filter((record) => record.node !== 'A');
    if (baselineBad.length > 0) {
      notes.push(
        `${baselineBad.length} of ${baseline.length} requests in the second before the failure were not answered by nodeA (sent at ${baselineBad.map((record) => `${round(record.at - t0)}`).join(', ')} ms)`,
      );
    }
    if (figures.movedMs === undefined) notes.push(`the client had not moved within ${round(end - t0)} ms of observation`);

    const name =
      kind === 'garp'
        ? `GARP: keepalived VRRPv3, advert ${s.advertMs} ms${s.clean ? ', clean stop' : ''}`
        : `no GARP: keepalived VRRPv3 with gratuitous ARP dropped (client waits for its neighbour entry)${s.clean ? ', clean stop' : ''}`;
    const parameters: Record<string, string | number> = {
      failure: s.clean ? 'clean stop (SIGTERM)' : 'crash (switch port down, SIGKILL)',
      vrrpVersion: 3,
      advertMs: s.advertMs,
      masterPriority: s.masterPriority,
      backupPriority: s.backupPriority,
      skewMs: round(s.skewMs),
      masterDownMs: round(s.masterDownMs),
      garp: kind === 'garp' ? 'keepalived defaults' : 'dropped on nodeB egress (tc clsact + cBPF)',
      ...Object.fromEntries(Object.entries(GARP_DEFAULTS).map(([key, value]) => [key, value])),
      ...Object.fromEntries(Object.entries(readBack).map(([key, value]) => [`client ${key === 'arp_accept' ? 'conf' : 'neigh'}.eth0.${key}`, value])),
      'client reachable_time_ms (drawn)': reachableMs,
      probeEveryMs: s.probeEveryMs,
      probeTimeoutMs: s.probeTimeoutMs,
      binMs,
      phaseMs: round(phaseMs),
      warmupMs: s.warmupMs,
      observedMs: round(end - t0),
      readyMs,
      keepalived: (text(a.proc.logFile).match(/Keepalived v[\d.]+/) ?? ['keepalived'])[0],
    };
    return { method: 'garp', name, how: 'measured', parameters, phases, curve: figures.curve, requests: figures.requests, notes };
  } finally {
    await lab.close({ keep: options.keepLab ?? false });
  }
}
