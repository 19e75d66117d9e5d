// redis-server for a lab (the drill's `--store redis`) and for the tests'
// helper: loopback only, its data in a dir of its own, append-only on so that
// a restart comes back with the same data.

import { connect } from 'node:net';
import { type Lab, type LabProcess, findBinary } from './lab.js';
import { getFreePort } from './ports.js';

const HOST = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;

export function redisServerBinary(): string {
  return findBinary('redis-server', 'redis-server');
}

export function redisServerArgs(port: number, dir: string): string[] {
  return ['--bind', HOST, '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--save', '', '--protected-mode', 'yes', '--daemonize', 'no', '--logfile', 'redis.log'];
}

/** Resolves once redis-server answers PING with PONG (not while it is still loading its data); rejects on `failed()`. */
export async function waitForRedis(port: number, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (!(await answersPing(port))) {
    const why = failed() ?? (Date.now() > deadline ? `not ready after ${READY_TIMEOUT_MS} ms` : undefined);
    if (why !== undefined) throw new Error(`redis-server on ${HOST}:${port} did not answer PING: ${why}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startLabRedis(lab: Lab): Promise<{ url: string; process: LabProcess }> {
  const port = await getFreePort(HOST);
  const proc = lab.spawn('redis', redisServerBinary(), redisServerArgs(port, lab.dir));
  await waitForRedis(port, () => (proc.running() ? undefined : `exited: ${proc.tail(5)}`));
  return { url: `redis://${HOST}:${port}`, process: proc };
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    let reply = '';
    const done = (ok: boolean): void => {
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
