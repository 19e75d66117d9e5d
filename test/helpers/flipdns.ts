// Starts `bin/flipdns serve` as a child process on free loopback ports, the way
// an operator would, and waits until it answers. `npm test` builds dist/ first.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { queryUdp } from './dns.js';
import { getFreePorts } from './ports.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/flipdns', import.meta.url));

export interface FlipdnsHandle {
  port: number;
  httpPort: number;
  pid: number;
  child: ChildProcess;
  /** Every stdout line so far (pino JSON). */
  logs: string[];
  stop(): Promise<void>;
  /** PIDs of processes still serving the port. */
  leftovers(): number[];
}

export async function startFlipdns(zonesDir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<FlipdnsHandle> {
  if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  const [port, httpPort] = await getFreePorts(2);
  const child = spawn(process.execPath, [BIN, 'serve', '--zones', zonesDir, '--port', String(port), '--http-port', String(httpPort), '--id', 'test-instance', ...extraArgs], {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let stderr = '';
  let partial = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    logs.push(...lines.filter(Boolean));
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const handle: FlipdnsHandle = {
    port,
    httpPort,
    pid: child.pid!,
    child,
    logs,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
    leftovers() {
      // Processes still serving this instance's port after stop(): workers must go with their primary.
      const found = spawnSync('pgrep', ['-f', '--', `--port ${port} `], { encoding: 'utf8' });
      return found.stdout.split('\n').filter(Boolean).map(Number);
    },
  };
  const deadline = Date.now() + 15000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`flipdns exited with ${child.exitCode}: ${stderr}${logs.join('\n')}`);
    try {
      await queryUdp(port, { name: 'id.server', type: 'TXT', class: 'CH' }, { timeoutMs: 200, retries: 0 });
      return handle;
    } catch {
      if (Date.now() > deadline) {
        await handle.stop();
        throw new Error(`flipdns did not answer on port ${port} within 15 s: ${stderr}${logs.join('\n')}`);
      }
    }
  }
}
