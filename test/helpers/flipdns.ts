// Starts `bin/flipdns serve` as a child process on free loopback ports, the way
// an operator would, and waits until it answers. `npm test` builds dist/ first.
// Servers run in the repository, so each gets its own admin token file: one
// started without --admin-token must not write the repository's .flipdns/.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queryUdp } from './dns.js';
import { getFreePorts } from './ports.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/flipdns', import.meta.url));

/** A path in a fresh temp folder for a server's generated admin token. */
export function scratchAdminTokenFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'flipdns-admin-')), 'admin-token');
}

export interface FlipdnsHandle {
  port: number;
  httpPort: number;
  pid: number;
  child: ChildProcess;
  /** Where the server writes its admin token when it generates one. */
  adminTokenFile: string;
  /** Every stdout line so far (pino JSON). */
  logs: string[];
  stop(): Promise<void>;
  /** PIDs of processes still serving the port. */
  leftovers(): number[];
}

/** `ready`: return once DNS answers (the default), or once HTTP does (a server waiting for its store opens DNS later). */
export async function startFlipdns(zonesDir: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}, { ready = 'dns' }: { ready?: 'dns' | 'http' } = {}): Promise<FlipdnsHandle> {
  if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  const [port, httpPort] = await getFreePorts(2);
  const adminTokenFile = env.FLIPDNS_ADMIN_TOKEN_FILE ?? scratchAdminTokenFile();
  const child = spawn(process.execPath, [BIN, 'serve', '--zones', zonesDir, '--port', String(port), '--http-port', String(httpPort), '--id', 'test-instance', ...extraArgs], {
    cwd: REPO,
    env: { ...process.env, ...env, FLIPDNS_ADMIN_TOKEN_FILE: adminTokenFile },
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
    adminTokenFile,
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
      if (ready === 'dns') await queryUdp(port, { name: 'id.server', type: 'TXT', class: 'CH' }, { timeoutMs: 200, retries: 0 });
      else await (await fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(200) })).arrayBuffer();
      return handle;
    } catch {
      if (ready === 'http') await new Promise((resolve) => setTimeout(resolve, 20));
      if (Date.now() > deadline) {
        await handle.stop();
        throw new Error(`flipdns did not answer (${ready}) on port ${ready === 'dns' ? port : httpPort} within 15 s: ${stderr}${logs.join('\n')}`);
      }
    }
  }
}
