// Runs the built `bin/flipdns` as an operator would, with none of the
// FLIPDNS_* variables of the environment the tests run in.

import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { BIN, REPO } from '../helpers/flipdns.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 15_000): Promise<CliRun> {
  if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('FLIPDNS_')));
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, env: { ...clean, FLIPDNS_ADMIN_TOKEN_FILE: NO_TOKEN_FILE, ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** Where the CLI would otherwise find the admin token a local server generated: kept missing unless a test says otherwise. */
const NO_TOKEN_FILE = '/nonexistent/flipdns-admin-token';

/** A loopback URL where nothing listens. */
export async function deadServerUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}`;
}
