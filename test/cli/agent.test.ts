// `flipdns agent` end to end: a real `flipdns serve`, a node and a pool added
// with the CLI, the agent beating for the node, then stopped with SIGTERM.

import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusView } from '../../src/api/context.js';
import { BIN, type FlipdnsHandle, REPO, startFlipdns } from '../helpers/flipdns.js';
import { runCli } from './run-cli.js';
import { waitFor as until } from '../helpers/wait.js';

const ADMIN_TOKEN = 'agent-test-admin-token';
const NODE_TOKEN = 'web9-token-abcdefghijkl';

describe('flipdns agent, end to end', () => {
  let server: FlipdnsHandle;
  let admin: (...args: string[]) => ReturnType<typeof runCli>;
  beforeAll(async () => {
    server = await startFlipdns(join(REPO, 'zones'), ['--admin-token', ADMIN_TOKEN]);
    admin = (...args) => runCli(args, { FLIPDNS_SERVER: `http://127.0.0.1:${server.httpPort}`, FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN });
  });
  afterAll(() => server?.stop());

  it('brings its node up, moves the pool answer to it, and stops cleanly on SIGTERM', async () => {
    expect((await admin('node', 'add', 'web9', '--interval', '100', '--fall', '3', '--rise', '1', '--node-token', NODE_TOKEN)).code).toBe(0);
    expect((await admin('node', 'add', 'web8', '--interval', '100', '--fall', '3', '--node-token', 'web8-token-abcdefghijkl')).code).toBe(0);
    const pool = await admin('pool', 'create', 'svc.example.test.', 'A', '--policy', 'failover', '--startup', 'assume-down', '--member', 'id=backup,node=web8,value=192.0.2.98,priority=1', '--member', 'id=main,node=web9,value=192.0.2.99');
    expect(pool.stderr).toBe('');

    const agent: ChildProcess = spawn(process.execPath, [BIN, 'agent', '--node', 'web9', '--server', `http://127.0.0.1:${server.httpPort}`], {
      env: { ...process.env, FLIPDNS_NODE_TOKEN: NODE_TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: Array<Record<string, unknown>> = [];
    agent.stdout!.setEncoding('utf8').on('data', (chunk: string) => lines.push(...chunk.split('\n').filter(Boolean).map((line) => JSON.parse(line))));
    const exited = new Promise<number | null>((resolve) => agent.once('exit', resolve));
    try {
      const status = async (): Promise<StatusView> => JSON.parse((await admin('status', '--json')).stdout);
      await until(async () => (await status()).nodes.find((node) => node.id === 'web9')?.health === 'up', 'web9 up');
      const query = await runCli(['query', 'svc.example.test', '-p', String(server.port)]);
      expect(query.stdout).toMatch(/^svc\.example\.test\.\t5\tIN\tA\t192\.0\.2\.99$/m);
      // The node's interval came from the server: no --interval was given.
      expect(lines).toContainEqual(expect.objectContaining({ msg: "beating at the node's interval, as the server has it", intervalMs: 100 }));
    } finally {
      agent.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    expect(lines.map((line) => line.msg)).toEqual(['agent started', "beating at the node's interval, as the server has it", 'heartbeats accepted', 'agent stopped']);
    expect(lines.at(-1)).toMatchObject({ node: 'web9', signal: 'SIGTERM' });
  });
});
