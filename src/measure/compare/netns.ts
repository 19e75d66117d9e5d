// Network namespaces for the redirection labs: hosts, a switch and routers on
// one machine, made by the lab and undone with it (also on failure or Ctrl-C).
// Every veth is created straight into its namespaces and every bridge lives in
// a namespace of its own, so nothing appears in, or sends from, the host's
// namespace; the addresses exist only inside the lab.

import { execFile, spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { type Lab, type LabProcess, findBinary } from '../drill/lab.js';

const run = promisify(execFile);

/** One namespace of the lab. */
export interface Host {
  /** The namespace's name (unique to this lab). */
  readonly ns: string;
  /** `ip` and friends inside it; rejects with the command's stderr. */
  exec(command: string, args: string[]): Promise<string>;
  /** A long-running process inside it, stopped by PID with the lab. */
  spawn(name: string, command: string, args: string[]): LabProcess;
  sysctl(key: string, value: string | number): Promise<void>;
  readSysctl(key: string): Promise<string>;
}

let counter = 0;
/** Labs name their namespaces `fdc<pid mod 100000>x<n>-<host>`. */
const OURS = /^fdc(\d+)x\d+-/;
const PID_SPACE = 100_000;
let swept: Promise<void> | undefined;

/**
 * Deletes the namespaces a lab left behind when its process was killed
 * (SIGKILL runs no teardown): ours by name, empty, and made by a process that
 * no longer exists. Once per process, before its first namespace.
 */
async function sweepStaleNamespaces(ip: string): Promise<void> {
  const live = new Set(readdirSync('/proc').filter((entry) => /^\d+$/.test(entry)).map((pid) => Number(pid) % PID_SPACE));
  const names = (await run(ip, ['netns', 'list'])).stdout.split('\n').map((line) => line.split(' ')[0]);
  for (const ns of names) {
    const owner = OURS.exec(ns);
    if (!owner || live.has(Number(owner[1]))) continue;
    if ((await run(ip, ['netns', 'pids', ns])).stdout.trim() !== '') continue;
    await run(ip, ['netns', 'delete', ns]).catch(() => undefined);
  }
}

export class NetLab {
  private readonly ip = findBinary('ip', 'iproute2');
  private readonly prefix = `fdc${process.pid % PID_SPACE}x${counter++}`;
  private readonly namespaces: string[] = [];

  constructor(readonly lab: Lab) {
    lab.onClose(
      async () => {
        for (const ns of [...this.namespaces].reverse()) await run(this.ip, ['netns', 'delete', ns]).catch(() => undefined);
      },
      () => {
        for (const ns of [...this.namespaces].reverse()) spawnSync(this.ip, ['netns', 'delete', ns]);
      },
    );
  }

  /** A new namespace with loopback up; `forwarding` makes it a router. */
  async host(name: string, { forwarding = false }: { forwarding?: boolean } = {}): Promise<Host> {
    const ns = `${this.prefix}-${name}`;
    await (swept ??= sweepStaleNamespaces(this.ip));
    await run(this.ip, ['netns', 'add', ns]);
    this.namespaces.push(ns);
    const host: Host = {
      ns,
      exec: async (command, args) => (await run(this.ip, ['netns', 'exec', ns, command, ...args])).stdout,
      spawn: (processName, command, args) => this.lab.spawn(`${name}-${processName}`, this.ip, ['netns', 'exec', ns, command, ...args]),
      sysctl: async (key, value) => {
        await run(this.ip, ['netns', 'exec', ns, 'sysctl', '-qw', `${key}=${value}`]);
      },
      readSysctl: async (key) => (await run(this.ip, ['netns', 'exec', ns, 'sysctl', '-n', key])).stdout.trim(),
    };
    await host.exec('ip', ['link', 'set', 'lo', 'up']);
    await host.sysctl('net.ipv4.ip_forward', forwarding ? 1 : 0);
    return host;
  }

  /** A switch: a bridge in a namespace of its own, forwarding at once (no STP), as a plain unmanaged switch. */
  async switch(name: string): Promise<Switch> {
    const host = await this.host(name);
    await host.exec('ip', ['link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0']);
    await host.exec('ip', ['link', 'set', 'br0', 'up']);
    return new Switch(this, host);
  }

  /** A cable between two hosts: a veth pair created straight into both namespaces, both ends up. */
  async cable(a: Host, aInterface: string, b: Host, bInterface: string): Promise<void> {
    await run(this.ip, ['link', 'add', aInterface, 'netns', a.ns, 'type', 'veth', 'peer', 'name', bInterface, 'netns', b.ns]);
    await a.exec('ip', ['link', 'set', aInterface, 'up']);
    await b.exec('ip', ['link', 'set', bInterface, 'up']);
  }
}

export class Switch {
  private ports = 0;

  constructor(
    private readonly net: NetLab,
    readonly host: Host,
  ) {}

  /** Plugs `host` in as `interfaceName`, with `address` (CIDR); returns the switch port, to pull the cable later. */
  async plug(host: Host, interfaceName: string, address: string): Promise<string> {
    const port = `p${this.ports++}`;
    await this.net.cable(this.host, port, host, interfaceName);
    await this.host.exec('ip', ['link', 'set', port, 'master', 'br0']);
    await host.exec('ip', ['address', 'add', address, 'dev', interfaceName]);
    return port;
  }

  /** The host behind `port` vanishes from the network (a crash, a pulled cable), while its own link stays up: nobody is told. */
  async unplug(port: string): Promise<void> {
    await this.host.exec('ip', ['link', 'set', port, 'down']);
  }
}
