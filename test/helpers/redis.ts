// Starts a real redis-server on 127.0.0.1 for tests. Its data dir is a temp
// dir (or the caller's), with the append-only file on, so that restart() comes
// back with the same data. redis-server is required: when it is missing this
// throws, it never skips.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getFreePort } from './ports.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;

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

/** Absolute path of redis-server, or throws a clear error. */
export function findRedisServer(): string {
  for (const dir of [...(process.env.PATH ?? '').split(':'), '/usr/bin', '/usr/local/bin']) {
    if (dir && existsSync(join(dir, 'redis-server'))) return join(dir, 'redis-server');
  }
  throw new Error(
    'redis-server is not installed: it was not found in PATH, /usr/bin or /usr/local/bin. ' +
      'The health store tests need it; install it with `apt-get install redis-server` (7.0 or newer).',
  );
}

export async function startRedis(options: { dir?: string } = {}): Promise<RedisHandle> {
  const binary = findRedisServer();
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'flipdns-redis-'));
  const port = await getFreePort();
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
  const args = [
    '--bind', HOST,
    '--port', String(port),
    '--dir', dir,
    '--appendonly', 'yes',
    '--save', '',
    '--protected-mode', 'yes',
    '--daemonize', 'no',
    '--logfile', 'redis.log',
  ];
  const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A test run that dies must not leave redis-server behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));

  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answersPing(port))) {
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      const log = readLog(dir);
      throw new Error(
        `redis-server on ${HOST}:${port} did not answer PING ` +
          `(${child.exitCode !== null ? `exited with ${child.exitCode}` : `not ready after ${READY_TIMEOUT_MS} ms`}).\n` +
          `stderr: ${stderr.trim()}\nlog tail:\n${log.split('\n').slice(-20).join('\n')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
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

/** True once the server answers PING with PONG (not while it is still loading the AOF). */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
  });
}

function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}
