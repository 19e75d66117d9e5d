// `flipdns query` against a real `flipdns serve` on the example zones.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FlipdnsHandle, REPO, startFlipdns } from '../helpers/flipdns.js';
import { getFreePort } from '../helpers/ports.js';
import { runCli } from './run-cli.js';

describe('flipdns query', () => {
  let server: FlipdnsHandle;
  beforeAll(async () => {
    server = await startFlipdns(join(REPO, 'zones'), ['--admin-token', 'query-test-admin-token']);
  });
  afterAll(() => server?.stop());

  it('prints the answer like a short dig, over UDP and TCP', async () => {
    for (const transport of [[], ['--tcp']]) {
      const { code, stdout } = await runCli(['query', 'www.example.test', '-p', String(server.port), ...transport]);
      expect(code).toBe(0);
      expect(stdout).toMatch(/^;; status: NOERROR, id: \d+, flags: qr aa rd\n;; question: www\.example\.test\. IN A\n;; answer:\nwww\.example\.test\.\t300\tIN\tA\t192\.0\.2\.10\n/);
      expect(stdout).toMatch(new RegExp(`^;; from 127\\.0\\.0\\.1#${server.port} over ${transport.length ? 'tcp' : 'udp'} in \\d+ ms$`, 'm'));
    }
  });

  it('takes type, class and @server in any order, and --json', async () => {
    const { code, stdout } = await runCli(['query', 'TXT', '@127.0.0.1', 'id.server', 'ch', '-p', String(server.port), '--json']);
    expect(code).toBe(0);
    const response = JSON.parse(stdout);
    expect(response.header.rcode).toBe(0);
    expect(response.answers).toEqual([expect.objectContaining({ name: 'id.server', data: 'test-instance' })]);
  });

  it('exits 1 on NXDOMAIN, with the SOA shown', async () => {
    const { code, stdout } = await runCli(['query', 'nothing.example.test', 'AAAA', '-p', String(server.port)]);
    expect(code).toBe(1);
    expect(stdout).toMatch(/^;; status: NXDOMAIN/);
    expect(stdout).toMatch(/^;; authority:\nexample\.test\.\t\d+\tIN\tSOA\tns1\.example\.test\. /m);
  });

  it('exits 3 with one line when nothing answers', async () => {
    const port = await getFreePort();
    const { code, stderr } = await runCli(['query', 'www.example.test', '-p', String(port), '--tcp']);
    expect(code).toBe(3);
    expect(stderr).toBe(`flipdns: 127.0.0.1#${port}: ECONNREFUSED\n`);
  });
});
