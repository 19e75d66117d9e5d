// Starts NSD (the reference authoritative server) on 127.0.0.1 for comparison
// tests. Everything NSD writes goes into a fresh temp dir; nothing in /etc or
// /var is read or written. NSD is required: when it is missing this throws, it
// never skips.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { normalize, queryUdp } from './dns.js';
import { nsdConfig } from '../../bench/nsd-config.mjs';
import { getFreePort } from './ports.js';

export interface NsdZone {
  /** Zone name, e.g. 'example.test' (trailing dot optional). */
  origin: string;
  /** Zone file, relative to zonesDir or absolute. */
  file: string;
}

export interface StartNsdOptions {
  zonesDir: string;
  zones: NsdZone[];
  /** Default: a free port (UDP and TCP). */
  port?: number;
  /** NSD `server-count`; default 1. */
  serverCount?: number;
  /** NSD `verbosity`; default 0. */
  verbosity?: number;
  /** Extra lines for the `server:` clause, e.g. ['minimal-responses: yes']. */
  extraServerConfig?: string[];
  /** How long to wait for the first answer; default 15000 ms. */
  startTimeoutMs?: number;
}

export interface NsdHandle {
  port: number;
  /** PID of the main nsd process (server processes are its children). */
  pid: number;
  /** The temp dir holding nsd.conf, logs and state. */
  dir: string;
  /** nsd's log so far (its logfile plus stderr). */
  log(): string;
  /** Kills nsd by PID, waits for it to exit and removes the temp dir. */
  stop(): Promise<void>;
}

/** Absolute path of the nsd binary, or throws a clear error. */
export function findNsd(): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, 'nsd');
    if (existsSync(p)) return p;
  }
  throw new Error(
    'NSD is not installed: the `nsd` binary was not found in PATH or /usr/sbin. ' +
      'The NSD comparison tests and benchmarks need it; install it with `apt-get install nsd` (4.6 or newer).',
  );
}

/** `nsd -v` first line, e.g. 'NSD version 4.6.1'. */
export function nsdVersion(): string {
  const r = spawnSync(findNsd(), ['-v'], { encoding: 'utf8' });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n')[0].trim();
}


function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((res) => {
    const t = setTimeout(() => res(false), ms);
    child.once('exit', () => {
      clearTimeout(t);
      res(true);
    });
  });
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if a test run dies without calling stop(): kill what we started.
  process.on('exit', () => {
    for (const c of running) {
      if (c.pid && c.exitCode === null) {
        try {
          process.kill(c.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
  });
}

export async function startNsd(opts: StartNsdOptions): Promise<NsdHandle> {
  const nsd = findNsd();
  if (opts.zones.length === 0) throw new Error('startNsd: no zones given');
  const port = opts.port ?? (await getFreePort());
  const dir = mkdtempSync(join(tmpdir(), 'flipdns-nsd-'));
  const confPath = join(dir, 'nsd.conf');
  writeFileSync(
    confPath,
    nsdConfig({
      dir,
      zonesDir: resolve(opts.zonesDir),
      zones: opts.zones.map((zone) => ({ origin: zone.origin, file: isAbsolute(zone.file) ? zone.file : resolve(opts.zonesDir, zone.file) })),
      port,
      serverCount: opts.serverCount ?? 1,
      verbosity: opts.verbosity ?? 0,
      extraServerConfig: opts.extraServerConfig ?? [],
    }),
  );

  // Check the config first: nsd-checkconf gives a much clearer message than a daemon that exits.
  const checkconf = join(nsd, '..', 'nsd-checkconf');
  if (existsSync(checkconf)) {
    const r = spawnSync(checkconf, [confPath], { encoding: 'utf8' });
    if (r.status !== 0) {
      const msg = `${r.stdout}${r.stderr}`.trim();
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nsd-checkconf rejected the generated config:\n${msg}`);
    }
  }

  let stderr = '';
  const child = spawn(nsd, ['-d', '-c', confPath], { stdio: ['ignore', 'pipe', 'pipe'], cwd: dir });
  running.add(child);
  installExitHook();
  child.stdout!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const spawnError = new Promise<Error>((res) => child.once('error', res));
  child.once('exit', () => running.delete(child));

  const log = () => {
    let file = '';
    try {
      file = readFileSync(join(dir, 'nsd.log'), 'utf8');
    } catch {
      /* not written yet */
    }
    return file + stderr;
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
      if (!(await waitExit(child, 5000))) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        await waitExit(child, 5000);
      }
    }
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };

  // Wait until it answers a query for the first zone's SOA.
  const deadline = Date.now() + (opts.startTimeoutMs ?? 15000);
  const origin = opts.zones[0].origin.replace(/\.$/, '') || '.';
  let lastErr = '';
  for (;;) {
    const early = await Promise.race([spawnError, new Promise<null>((r) => setTimeout(() => r(null), 0))]);
    if (early) {
      await stop();
      throw new Error(`could not start nsd (${nsd}): ${early.message}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      const out = log();
      await stop();
      throw new Error(`nsd exited during startup (code ${child.exitCode}, signal ${child.signalCode}) on port ${port}:\n${out}`);
    }
    try {
      const r = await queryUdp(port, { name: origin, type: 'SOA' }, { timeoutMs: 300, retries: 0 });
      const rcode = r.packet ? normalize(r).rcode : 'undecodable';
      if (rcode === 'NOERROR') break;
      lastErr = `answered ${rcode}`;
    } catch (err) {
      lastErr = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      const out = log();
      await stop();
      throw new Error(`nsd did not answer SOA ${origin} on 127.0.0.1:${port} in time (${lastErr}):\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  return { port, pid: child.pid!, dir, log, stop };
}
