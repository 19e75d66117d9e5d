// The processes a drill (or a test) starts, in one temp dir: each is stopped by
// its PID when the lab closes, on success, failure or Ctrl-C alike, and the dir
// is removed. Nothing is ever stopped by name.

import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LabProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Its stdout and stderr, as a file in the lab dir. */
  readonly logFile: string;
  /** Resolves with the exit code (or signal) once it has exited. */
  readonly exited: Promise<number | string>;
  running(): boolean;
  /** Sends `signal` and waits for the exit; SIGKILL after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
  /** The last lines it wrote, for error messages. */
  tail(lines?: number): string;
}

const STOP_GRACE_MS = 3000;

export class Lab {
  readonly dir: string;
  private readonly processes: LabProcess[] = [];
  /** What the lab owns besides processes (network namespaces): undone after the processes stop, last added first. */
  private readonly teardowns: Array<{ undo: () => Promise<void>; undoNow: () => void }> = [];
  private closed = false;
  private removeSignalHandlers?: () => void;

  constructor(prefix = 'flipdns-lab-') {
    this.dir = mkdtempSync(join(tmpdir(), prefix));
  }

  path(name: string): string {
    return join(this.dir, name);
  }

  /** `env`: the whole environment of the process (default: this one's). */
  spawn(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env): LabProcess {
    if (this.closed) throw new Error('the lab is closed');
    const logFile = this.path(`${name}.log`);
    const log = createWriteStream(logFile);
    const child = spawn(command, args, { cwd: this.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.pipe(log, { end: false });
    child.stderr!.pipe(log, { end: false });
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown'));
      child.once('error', (err) => resolve(err.message));
    });
    const handle: LabProcess = {
      name,
      pid: child.pid ?? -1,
      child,
      logFile,
      exited,
      running: () => child.exitCode === null && child.signalCode === null && child.pid !== undefined,
      async stop(signal = 'SIGTERM', graceMs = STOP_GRACE_MS) {
        if (!handle.running()) return;
        child.kill(signal);
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(timer);
      },
      tail(lines = 20) {
        return existsSync(logFile) ? readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '';
      },
    };
    this.processes.push(handle);
    return handle;
  }

  /** Stops every process (by PID, in reverse start order) and removes the dir unless `keep`. */
  async close({ keep = false }: { keep?: boolean } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.removeSignalHandlers?.();
    for (const proc of [...this.processes].reverse()) await proc.stop();
    for (const { undo } of [...this.teardowns].reverse()) await undo();
    if (!keep) rmSync(this.dir, { recursive: true, force: true });
  }

  /** Something to undo when the lab closes: `undo` on a close, `undoNow` (synchronous) when the process exits without one. */
  onClose(undo: () => Promise<void>, undoNow: () => void): void {
    this.teardowns.push({ undo, undoNow });
  }

  /** For commands: Ctrl-C or SIGTERM closes the lab before the process exits. */
  closeOnSignals(): void {
    const onSignal = (signal: NodeJS.Signals): void => {
      process.stderr.write(`flipdns: ${signal}: stopping what was started\n`);
      void this.close().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    // A lab left open by a crash must not leave its processes behind.
    const onExit = (): void => {
      for (const proc of this.processes) if (proc.running()) proc.child.kill('SIGKILL');
      for (const { undoNow } of [...this.teardowns].reverse()) undoNow();
    };
    process.once('exit', onExit);
    this.removeSignalHandlers = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      process.off('exit', onExit);
    };
  }
}

/** Absolute path of a daemon's binary, looked for in PATH and the sbin folders; throws one line naming the package. */
export function findBinary(name: string, debianPackage: string): string {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/bin'];
  for (const dir of dirs) if (dir && existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`${name} is not installed (Debian package ${debianPackage}; .ci/run installs it)`);
}
