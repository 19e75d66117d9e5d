// Starts a real redis-server on 127.0.0.1 for tests. Its data dir is a temp
// dir (or the caller's), with the append-only file on, so that restart() comes
// back with the same data. redis-server is required: when it is missing this
// throws, it never skips.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisServerArgs, redisServerBinary, waitForRedis } from '../../src/measure/drill/redis.js';
import { getFreePort } from './ports.js';

const HOST = '127.0.0.1';

export interface RedisHandle {
  port: number;
  url: string;
  /** PID of the running redis-server (changes on restart). */
  pid: number;
  dir: string;
  /** SIGTERM, waits for exit, removes the dir if this helper made it. */
  stop(): Promise<void>;
  /** SIGKILL, waits for exit; the dir and its AOF stay for restart(). */
  kill(): Promise<void>;
  /** Starts redis-server again on the same port and dir (killing it first if running). */
  restart(): Promise<void>;
}

/** `port`: a port chosen beforehand (a test that starts flipdns before its Redis). */
export async function startRedis(options: { dir?: string; port?: number } = {}): Promise<RedisHandle> {
  const binary = redisServerBinary();
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'flipdns-redis-'));
  const port = options.port ?? (await getFreePort());
  let child = await launch(binary, port, dir);

  const handle: RedisHandle = {
    port,
    url: `redis://${HOST}:${port}`,
    pid: child.pid!,
    dir,
    async stop() {
      await terminate(child, 'SIGTERM');
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
    async kill() {
      await terminate(child, 'SIGKILL');
    },
    async restart() {
      await terminate(child, 'SIGKILL');
      child = await launch(binary, port, dir);
      handle.pid = child.pid!;
    },
  };
  return handle;
}

async function launch(binary: string, port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(binary, redisServerArgs(port, dir), { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A test run that dies must not leave redis-server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  try {
    await waitForRedis(port, () => (child.exitCode !== null || child.signalCode !== null ? `exited with ${child.exitCode ?? child.signalCode}` : undefined));
  } catch (err) {
    child.kill('SIGKILL');
    const log = readLog(dir).split('\n').slice(-20).join('\n');
    throw new Error(`${(err as Error).message}\nstderr: ${stderr.trim()}\nlog tail:\n${log}`);
  }
  return child;
}

function readLog(dir: string): string {
  try {
    return readFileSync(join(dir, 'redis.log'), 'utf8');
  } catch {
    return '(no log)';
  }
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
