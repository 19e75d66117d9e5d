// The client commands against the admin API served in process on an
// EmbeddedStore: what they send, what they print, how they exit.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setHeld } from '../../src/pools/documents.js';
import { ADMIN_TOKEN, type Harness, startHarness } from '../api/harness.js';
import { runCli } from './run-cli.js';

describe('flipdns client commands', () => {
  let api: Harness;
  let admin: (...args: string[]) => ReturnType<typeof runCli>;
  beforeAll(async () => {
    api = await startHarness();
    admin = (...args) => runCli(args, { FLIPDNS_SERVER: api.url, FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN });
  });
  afterAll(() => api.close());

  it('node add --json returns the generated token once; heartbeat uses it', async () => {
    const added = await admin('node', 'add', 'web1', '--interval', '2000', '--fall', '2', '--json');
    expect(added.code).toBe(0);
    const { node, token } = JSON.parse(added.stdout);
    expect(node).toMatchObject({ id: 'web1', intervalMs: 2000, fall: 2, rise: 2, health: 'unknown' });
    expect(api.logs).toContainEqual(expect.objectContaining({ change: 'node-added', actor: expect.stringMatching(/.@./) }));

    const beat = await runCli(['heartbeat', 'web1', '--token', token, '--server', api.url, '--json']);
    expect(beat.code).toBe(0);
    expect(JSON.parse(beat.stdout).node).toMatchObject({ id: 'web1', health: 'up' });

    const human = await runCli(['heartbeat', 'web1', '--server', api.url], { FLIPDNS_NODE_TOKEN: token });
    expect(human.stdout).toBe('web1: heartbeat taken, health up\n');
  });

  it('prints a new token for people, with a warning it is shown once', async () => {
    const { stdout } = await admin('node', 'add', 'web2', '--node-token', 'web2-token-abcdefghijkl');
    expect(stdout).toBe('node web2: every 1000 ms, down after 3 missed, up after 2; unknown\n');
    const generated = await admin('node', 'add', 'web3');
    expect(generated.stdout).toMatch(/^token: \S{43}\n\(shown only now/m);
  });

  it('exits 1 with the server\'s one line when it says no', async () => {
    const beat = await runCli(['heartbeat', 'web1', '--token', 'web2-token-abcdefghijkl', '--server', api.url]);
    expect(beat).toEqual({ code: 1, stdout: '', stderr: "flipdns: this token is not web1's\n" });
    const wrongAdmin = await runCli(['node', 'list', '--server', api.url, '--token', 'nope']);
    expect(wrongAdmin).toMatchObject({ code: 1, stderr: 'flipdns: wrong admin token (the token given with --token)\n' });
    expect((await admin('node', 'rm', 'ghost')).stderr).toBe('flipdns: no node ghost\n');
  });

  it('sets, lists and removes records', async () => {
    const set = await admin('record', 'set', 'txt.example.test', 'TXT', '"v=1"', '"v=2"', '--ttl', '120', '--reason', 'verification');
    expect(set).toMatchObject({ code: 0, stdout: 'NAME               TTL  TYPE  VALUE\ntxt.example.test.  120  TXT   "v=1"\ntxt.example.test.  120  TXT   "v=2"\n' });
    expect(api.logs).toContainEqual(expect.objectContaining({ change: 'record-set', reason: 'verification' }));
    expect(JSON.parse((await admin('record', 'list', '--json')).stdout)).toEqual({ records: [{ name: 'txt.example.test.', type: 'TXT', ttl: 120, values: ['"v=1"', '"v=2"'] }] });
    expect((await admin('record', 'rm', 'txt.example.test', 'TXT')).stdout).toBe('removed txt.example.test./TXT\n');
    expect((await admin('record', 'list')).stdout).toBe('no run-time records\n');
  });

  it('creates a pool from --member options, shows it, fails it back and removes it', async () => {
    const created = await admin(
      'pool', 'create', 'app.example.test.', 'A', '--policy', 'failover', '--failback', 'manual', '--ttl', '20', '--all-down', 'fallback', '--fallback', '192.0.2.99', '192.0.2.98',
      '--member', 'id=a,node=web1,value=192.0.2.1', '--member', 'id=b,node=web2,value=192.0.2.2,priority=1,weight=3', '--json',
    );
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout).pool).toMatchObject({
      policy: 'failover', failback: 'manual', ttl: 20, allDown: 'fallback', fallback: ['192.0.2.99', '192.0.2.98'],
      members: [{ id: 'a', node: 'web1', value: '192.0.2.1', weight: 1, priority: 0 }, { id: 'b', node: 'web2', value: '192.0.2.2', weight: 3, priority: 1 }],
    });

    const shown = await admin('pool', 'show', 'app.example.test.', 'A');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/^app\.example\.test\. A {2}failover {2}from store {2}ttl 20 {2}answer 192\.0\.2\.1\n/);
    expect(shown.stdout).toMatch(/^ {2}a +web1 +192\.0\.2\.1 +0 +1 +yes +up +\d+\.\ds +\d+$/m);
    expect(shown.stdout).toMatch(/^ {2}b +web2 +192\.0\.2\.2 +1 +3 +no +unknown +- +\d+$/m);

    await setHeld(api.store, 'app.example.test./A', ['a']);
    expect((await admin('pool', 'failback', 'app.example.test.', 'A')).stdout).toBe('app.example.test./A: released a\n');
    expect(JSON.parse((await admin('pool', 'list', '--json')).stdout).pools).toHaveLength(2);
    expect((await admin('pool', 'rm', 'app.example.test.', 'A')).stdout).toBe('removed app.example.test./A\n');
  });

  it('status: a table for people, the StatusView with --json, exit 1 while a pool is all down', async () => {
    // The harness's file pool follows file-node, which does not exist: all down.
    const human = await admin('status');
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^instance api-test {2}generation \d+ {2}store embedded connected\n/);
    expect(human.stdout).toMatch(/^file\.example\.test\. A .*ALL DOWN/m);
    expect(human.stdout).toMatch(/^NODE +HEALTH +OVERRIDE +BEAT AGO/m);

    const json = await admin('status', '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ instance: 'api-test', store: { kind: 'embedded', connected: true }, nodes: expect.any(Array), pools: expect.any(Array) });
  });

  it('drains, forces and undrains a node', async () => {
    expect((await admin('node', 'drain', 'web1', '--reason', 'patching')).stdout).toBe('node web1: drain, health up\n');
    expect((await admin('node', 'force', 'web1', 'down', '--reason', 'flapping', '--json')).stdout).toMatch(/"admin": "force-down"/);
    const listed = await admin('node', 'list');
    expect(listed.stdout).toMatch(/^web1 +up +force-down by \S+@\S+: flapping/m);
    expect((await admin('node', 'undrain', 'web1')).stdout).toBe('node web1: no override, health up\n');
  });

  it('reads the admin token from the file a local server wrote, when none is given', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'flipdns-cli-')), 'admin-token');
    writeFileSync(file, `${ADMIN_TOKEN}\n`);
    expect(await runCli(['node', 'list', '--server', api.url, '--json'], { FLIPDNS_ADMIN_TOKEN_FILE: file })).toMatchObject({ code: 0, stderr: '' });
  });

  it('says where a refused admin token came from, never the token', async () => {
    const stale = 'stale-admin-token-from-another-server';
    const file = join(mkdtempSync(join(tmpdir(), 'flipdns-cli-')), 'admin-token');
    writeFileSync(file, `${stale}\n`);
    const fromFile = await runCli(['node', 'list', '--server', api.url], { FLIPDNS_ADMIN_TOKEN_FILE: file });
    expect(fromFile).toEqual({
      code: 1,
      stdout: '',
      stderr: `flipdns: wrong admin token (the token read from ${file}; a server writes that file when it generates a token at start: give --token or set FLIPDNS_ADMIN_TOKEN)\n`,
    });
    const fromEnv = await runCli(['node', 'list', '--server', api.url], { FLIPDNS_ADMIN_TOKEN: stale });
    expect(fromEnv).toEqual({ code: 1, stdout: '', stderr: 'flipdns: wrong admin token (the token from FLIPDNS_ADMIN_TOKEN)\n' });
    // --token wins over the variable, and is named as the source.
    const fromFlag = await runCli(['node', 'list', '--server', api.url, '--token', stale], { FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(fromFlag.stderr).toBe('flipdns: wrong admin token (the token given with --token)\n');
  });

  it('reloads zones', async () => {
    expect(await admin('zone', 'reload')).toMatchObject({ code: 0, stdout: 'reloaded: 2 zones, 14 records, 3 pools\n' });
  });
});
