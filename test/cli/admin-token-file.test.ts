// Servers the tests start run in the repository. One started without
// --admin-token generates a token and writes it down: to a temp file the test
// helper gives it, never to the repository's .flipdns/admin-token, which a
// developer's own `npm start` and CLI share.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FlipdnsHandle, REPO, startFlipdns } from '../helpers/flipdns.js';
import { runCli } from './run-cli.js';
import { waitFor as until } from '../helpers/wait.js';

const REPO_TOKEN_FILE = join(REPO, '.flipdns', 'admin-token');

function snapshot(file: string): { mtimeMs: number; content: string } | 'absent' {
  return existsSync(file) ? { mtimeMs: statSync(file).mtimeMs, content: readFileSync(file, 'utf8') } : 'absent';
}

describe('the admin token of a test server', () => {
  it("goes to a temp file the CLI can use, and leaves the repository's .flipdns/ alone", async () => {
    const before = snapshot(REPO_TOKEN_FILE);
    const server = await startFlipdns(join(REPO, 'zones'));
    try {
      expect(server.adminTokenFile.startsWith(tmpdir())).toBe(true);
      await until(() => existsSync(server.adminTokenFile), 'the generated token to be written');
      const listed = await runCli(['node', 'list', '--json', '--server', `http://127.0.0.1:${server.httpPort}`], { FLIPDNS_ADMIN_TOKEN_FILE: server.adminTokenFile });
      expect(listed).toMatchObject({ code: 0, stderr: '' });
    } finally {
      await server.stop();
    }
    expect(snapshot(REPO_TOKEN_FILE)).toEqual(before);
  });

  it('is kept in its file: a restart, or a second server started with the same file, takes the same token', async () => {
    const first = await startFlipdns(join(REPO, 'zones'));
    let second: FlipdnsHandle | undefined;
    try {
      await until(() => existsSync(first.adminTokenFile), 'the generated token to be written');
      const token = readFileSync(first.adminTokenFile, 'utf8');
      second = await startFlipdns(join(REPO, 'zones'), [], { FLIPDNS_ADMIN_TOKEN_FILE: first.adminTokenFile });
      await until(() => second!.logs.some((line) => line.includes('admin token read from its file')), 'the second server to read the file');
      expect(readFileSync(first.adminTokenFile, 'utf8')).toBe(token);
      for (const server of [first, second]) {
        const listed = await runCli(['node', 'list', '--json', '--server', `http://127.0.0.1:${server.httpPort}`], { FLIPDNS_ADMIN_TOKEN_FILE: first.adminTokenFile });
        expect(listed).toMatchObject({ code: 0, stderr: '' });
      }
    } finally {
      await Promise.all([first.stop(), second?.stop()]);
    }
  });
});
