// Operator changes through the `flipdns` CLI against a running server, checked
// with dig: pools, nodes, records and zone reloads take effect in DNS.

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { type FlipdnsHandle, startFlipdns } from '../helpers/flipdns.js';
import { zoneDir } from '../helpers/zones.js';

const run = promisify(execFile);
const ADMIN_TOKEN = 'cli-e2e-admin-token';
const ZONE = `$TTL 300
@    SOA ns1 hostmaster 1 3600 600 86400 60
@    NS  ns1
ns1  A   192.0.2.1
www  A   192.0.2.10
`;

describe('the flipdns CLI against a running server', () => {
  let server: FlipdnsHandle;
  let dir: string;
  const cli = (...args: string[]) => runCli(args, { FLIPDNS_SERVER: `http://127.0.0.1:${server.httpPort}`, FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN });
  const dig = async (name: string, type = 'A'): Promise<string> => (await run('dig', ['@127.0.0.1', '-p', String(server.port), '+short', '+time=2', '+tries=1', name, type])).stdout;

  beforeAll(async () => {
    dir = zoneDir({ 'example.test.zone': ZONE });
    server = await startFlipdns(dir, ['--admin-token', ADMIN_TOKEN]);
  });
  afterAll(() => server?.stop());

  it('creates a failover pool, follows node changes, and removes it', async () => {
    for (const node of ['web1', 'web2']) expect((await cli('node', 'add', node, '--interval', '60000', '--node-token', `${node}-token-0123456789`)).code).toBe(0);
    const created = await cli('pool', 'create', 'app.example.test', 'A', '--policy', 'failover', '--member', 'id=web1,node=web1,value=192.0.2.21,priority=0', '--member', 'id=web2,node=web2,value=192.0.2.22,priority=1');
    expect(created.code).toBe(0);
    expect(await dig('app.example.test')).toBe('192.0.2.21\n');

    expect((await cli('heartbeat', 'web1', '--token', 'web1-token-0123456789')).code).toBe(0);
    expect((await cli('node', 'force', 'web1', 'down', '--reason', 'e2e test')).code).toBe(0);
    expect(await dig('app.example.test')).toBe('192.0.2.22\n');
    const status = JSON.parse((await cli('status', '--json')).stdout);
    expect(status.nodes.find((n: { id: string }) => n.id === 'web1')).toMatchObject({ admin: 'force-down', adminReason: 'e2e test' });
    expect(status.pools[0]).toMatchObject({ name: 'app.example.test.', answer: ['192.0.2.22'] });

    expect((await cli('node', 'undrain', 'web1')).code).toBe(0);
    expect(await dig('app.example.test')).toBe('192.0.2.21\n');

    expect((await cli('pool', 'rm', 'app.example.test', 'A')).code).toBe(0);
    expect(await dig('app.example.test')).toBe('');
  });

  it('sets and removes a static record at run time', async () => {
    expect((await cli('record', 'set', 'txt.example.test', 'TXT', '"hello world"', '--ttl', '60')).code).toBe(0);
    expect(await dig('txt.example.test', 'TXT')).toBe('"hello world"\n');
    expect((await cli('record', 'rm', 'txt.example.test', 'TXT')).code).toBe(0);
    expect(await dig('txt.example.test', 'TXT')).toBe('');
  });

  it('reloads edited zone files with zone reload, and reports a broken one while the old zone keeps serving', async () => {
    writeFileSync(join(dir, 'example.test.zone'), ZONE.replace('192.0.2.10', '192.0.2.11'));
    expect((await cli('zone', 'reload')).code).toBe(0);
    expect(await dig('www.example.test')).toBe('192.0.2.11\n');

    writeFileSync(join(dir, 'example.test.zone'), ZONE.replace('192.0.2.10', 'not-an-address'));
    const broken = await cli('zone', 'reload');
    expect(broken.code).toBe(1);
    expect(broken.stdout + broken.stderr).toMatch(/example\.test\.zone:5: /);
    expect(await dig('www.example.test')).toBe('192.0.2.11\n');
  });

  it('answers flipdns query like a short dig', async () => {
    const { code, stdout } = await runCli(['query', 'www.example.test', 'A', `@127.0.0.1`, '-p', String(server.port)]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/192\.0\.2\.11/);
  });
});
