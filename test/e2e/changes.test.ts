// Every operator change is either served or refused with one line and a
// non-zero exit, and a refused change stores nothing. Against a running server,
// through the CLI, checked with dig.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { type FlipdnsHandle, startFlipdns } from '../helpers/flipdns.js';
import { zoneDir } from '../helpers/zones.js';

const run = promisify(execFile);
const ADMIN_TOKEN = 'changes-e2e-admin-token';
const ZONE = `$TTL 300
@      SOA ns1 hostmaster 1 3600 600 86400 60
@      NS  ns1
ns1    A   192.0.2.1
www    A   192.0.2.10
alias  CNAME www
`;
const MEMBERS = ['--member', 'id=web1,node=web1,value=192.0.2.21,priority=0', '--member', 'id=web2,node=web2,value=192.0.2.22,priority=1'];

describe('operator changes: served or refused', () => {
  let server: FlipdnsHandle;
  const cli = (...args: string[]) => runCli(args, { FLIPDNS_SERVER: `http://127.0.0.1:${server.httpPort}`, FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN });
  const dig = async (name: string, type = 'A', flags: string[] = ['+short']): Promise<string> =>
    (await run('dig', ['@127.0.0.1', '-p', String(server.port), '+time=2', '+tries=1', '+norec', ...flags, name, type])).stdout;
  const refused = async (args: string[], status: RegExp) => {
    const result = await cli(...args);
    expect(result.code, result.stdout).toBe(1);
    expect(result.stderr.trim()).toMatch(status);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  };

  beforeAll(async () => {
    server = await startFlipdns(zoneDir({ 'example.test.zone': ZONE }), ['--admin-token', ADMIN_TOKEN]);
    for (const node of ['web1', 'web2']) expect((await cli('node', 'add', node, '--interval', '60000', '--node-token', `${node}-token-0123456789`)).code).toBe(0);
  });
  afterAll(() => server?.stop());

  it('refuses a pool or a record whose name is in no zone served here, and stores nothing', async () => {
    await refused(['pool', 'create', 'app.example.com', 'A', '--policy', 'failover', ...MEMBERS], /^flipdns: pool A: app\.example\.com\. is in no zone served here \(zones: example\.test\.\)$/);
    await refused(['record', 'set', 'www', 'A', '192.0.2.99'], /^flipdns: record A: www\. is in no zone served here/);
    expect((await cli('pool', 'list', '--json')).stdout).toMatch(/"pools": \[\]/);
    expect(JSON.parse((await cli('record', 'list', '--json')).stdout).records).toEqual([]);
  });

  it('refuses a CNAME at an apex or beside other data, and data beside a CNAME (409)', async () => {
    await refused(['record', 'set', 'example.test', 'CNAME', 'www.example.test.'], /zone apex: a CNAME there would sit beside its SOA and NS/);
    await refused(['record', 'set', 'www.example.test', 'CNAME', 'elsewhere.example.'], /has other records .*: a CNAME stands alone at its name/);
    await refused(['record', 'set', 'alias.example.test', 'TXT', '"x"'], /alias\.example\.test\. has a CNAME, which stands alone at its name/);
    await refused(['pool', 'create', 'alias.example.test', 'A', '--policy', 'failover', ...MEMBERS], /has a CNAME/);
    expect(await dig('alias.example.test', 'CNAME')).toBe('www.example.test.\n');
  });

  it('refuses a run-time record that a pool would hide, and a pool that would hide one', async () => {
    expect((await cli('pool', 'create', 'app.example.test', 'A', '--policy', 'failover', ...MEMBERS)).code).toBe(0);
    await refused(['record', 'set', 'app.example.test', 'A', '192.0.2.99'], /record A: app\.example\.test\. is hidden by the pool of that name and type/);
    expect((await cli('record', 'set', 'db.example.test', 'A', '192.0.2.50')).code).toBe(0);
    await refused(['pool', 'create', 'db.example.test', 'A', '--policy', 'failover', ...MEMBERS], /pool A: db\.example\.test\. would hide the run-time record db\.example\.test\. A/);
    expect(await dig('db.example.test')).toBe('192.0.2.50\n');
    expect((await cli('pool', 'rm', 'app.example.test', 'A')).code).toBe(0);
    expect((await cli('record', 'rm', 'db.example.test', 'A')).code).toBe(0);
  });

  it('refuses a pool member whose node does not exist', async () => {
    await refused(['pool', 'create', 'typo.example.test', 'A', '--policy', 'failover', '--member', 'id=a,node=wbe1,value=192.0.2.21'], /member a: node "wbe1" does not exist \(nodes: web1, web2; add it with flipdns node add\)/);
    expect(await dig('typo.example.test')).toBe('');
  });

  it('delegates with a run-time NS exactly as a zone file would: referral, no AA, glue', async () => {
    expect((await cli('record', 'set', 'sub.example.test', 'NS', 'ns.sub.example.test.', 'ns.elsewhere.example.')).code).toBe(0);
    expect((await cli('record', 'set', 'ns.sub.example.test', 'A', '192.0.2.53')).code).toBe(0);
    for (const name of ['sub.example.test', 'host.sub.example.test']) {
      const answer = await dig(name, 'A', ['+noall', '+comments', '+authority', '+additional']);
      expect(answer).toMatch(/status: NOERROR/);
      expect(answer).not.toMatch(/flags:[^;]* aa/);
      expect(answer).toMatch(/^sub\.example\.test\.\s+300\s+IN\s+NS\s+ns\.sub\.example\.test\.$/m);
      expect(answer).toMatch(/^ns\.sub\.example\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.53$/m);
    }
    // Below the cut nothing else can be placed.
    await refused(['record', 'set', 'x.sub.example.test', 'TXT', '"x"'], /lies below the zone cut at sub\.example\.test\./);
    expect((await cli('record', 'rm', 'ns.sub.example.test', 'A')).code).toBe(0);
    expect((await cli('record', 'rm', 'sub.example.test', 'NS')).code).toBe(0);
    expect(await dig('host.sub.example.test', 'A', ['+noall', '+comments'])).toMatch(/status: NXDOMAIN/);
  });

  it('adds a node only once, and updates only what is named', async () => {
    await refused(['node', 'add', 'web1', '--interval', '1000'], /node web1 exists: change it with PATCH nodes\/web1 \(flipdns node update web1\)/);
    expect((await cli('node', 'update', 'web1', '--fall', '5')).code).toBe(0);
    const web1 = JSON.parse((await cli('node', 'list', '--json')).stdout).nodes.find((node: { id: string }) => node.id === 'web1');
    expect(web1).toMatchObject({ intervalMs: 60000, fall: 5, rise: 2 });
    await refused(['node', 'update', 'web9', '--fall', '5'], /no node web9/);
  });
});
