// End to end: the real `flipdns serve` process, asked by dig and by a dns2 client.

import { execFile } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryTcp, queryTcpPipelined, queryUdp } from '../helpers/dns.js';
import { BIN, type FlipdnsHandle, REPO, startFlipdns } from '../helpers/flipdns.js';
import { OTHER_ZONE, RULES_ZONE, zoneDir } from '../helpers/zones.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);

async function dig(port: number, ...args: string[]): Promise<string> {
  const { stdout } = await run('dig', ['@127.0.0.1', '-p', String(port), '+time=2', '+tries=1', ...args]);
  return stdout;
}

describe('flipdns serve on the example zones', () => {
  let server: FlipdnsHandle;
  beforeAll(async () => {
    server = await startFlipdns(join(REPO, 'zones'));
  });
  afterAll(() => server?.stop());

  it('answers dig with AA over UDP and TCP', async () => {
    for (const transport of ['+notcp', '+tcp']) {
      const out = await dig(server.port, transport, '+norec', 'www.example.test', 'A');
      expect(out).toMatch(/status: NOERROR/);
      expect(out).toMatch(/flags: qr aa;/);
      expect(out).toMatch(/^www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.\d+$/m);
    }
  });

  it('answers a dns2 client', async () => {
    const { default: DNS } = await import('dns2');
    const udp = DNS.UDPClient({ dns: '127.0.0.1', port: server.port });
    const answer = await udp('www.example.test', 'A');
    expect(answer.answers.map((a: { address?: string }) => a.address)).toEqual(expect.arrayContaining([expect.stringMatching(/^192\.0\.2\./)]));
    const tcp = DNS.TCPClient({ dns: '127.0.0.1', port: server.port });
    const overTcp = await tcp('www.example.test', 'A');
    expect(overTcp.answers.length).toBeGreaterThan(0);
  });

  it('names the instance over CHAOS TXT', async () => {
    expect(await dig(server.port, '+short', 'CH', 'TXT', 'id.server')).toBe('"test-instance"\n');
  });

  it('refuses names outside its zones', async () => {
    expect(await dig(server.port, 'www.example.com')).toMatch(/status: REFUSED/);
  });

  it('serves /healthz and /metrics', async () => {
    const health = await fetch(`http://127.0.0.1:${server.httpPort}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ healthy: true, instance: 'test-instance' });
    const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/flipdns_queries_total\{transport="udp",qtype="A",rcode="NOERROR"\} \d+/);
    expect(metrics).toMatch(/flipdns_zone_records\{zone="example\.test\."\} \d+/);
    expect(metrics).toMatch(/flipdns_answer_cache_hits_total \d+/);
    expect(metrics).toMatch(/flipdns_zone_reloads_total\{result="ok"\} 1/);
  });
});

describe('flipdns serve: TCP and reload', () => {
  let server: FlipdnsHandle;
  let dir: string;
  beforeAll(async () => {
    dir = zoneDir({ 'example.test.zone': RULES_ZONE, 'other.test.zone': OTHER_ZONE });
    server = await startFlipdns(dir, ['--tcp-idle-timeout', '500']);
  });
  afterAll(() => server?.stop());

  it('answers pipelined TCP queries in order, with the same answers as UDP', async () => {
    const names = ['www.example.test', 'nothere.example.test', 'chain.example.test', 'a.wild.example.test'];
    const tcp = await queryTcpPipelined(server.port, names.map((name, i) => ({ name, id: 100 + i })));
    expect(tcp.map((r) => r.raw.readUInt16BE(0))).toEqual([100, 101, 102, 103]);
    for (const [i, name] of names.entries()) {
      const udp = await queryUdp(server.port, { name, id: 100 + i });
      expect(tcp[i].raw).toEqual(udp.raw);
    }
  });

  it('truncates over UDP without EDNS and answers in full over TCP', async () => {
    const udp = await queryUdp(server.port, { name: 'big.example.test', type: 'TXT' });
    expect(udp.packet!.flag_tc).toBe(true);
    const out = await dig(server.port, '+noedns', 'big.example.test', 'TXT');
    expect(out).toMatch(/Truncated, retrying in TCP mode/);
    expect(out).toMatch(/ANSWER: 3,/);
    const tcp = await queryTcp(server.port, { name: 'big.example.test', type: 'TXT' });
    expect(tcp.packet!.answers).toHaveLength(3);
  });

  it('closes idle TCP connections after the idle timeout', async () => {
    const { connect } = await import('node:net');
    const socket = connect(server.port, '127.0.0.1');
    // The server is started with a 500 ms idle timeout; the test's own timeout is far longer.
    await new Promise((resolve) => socket.on('close', resolve));
    expect(socket.bytesRead).toBe(0);
  });

  it('reloads on SIGHUP, and keeps the old zone serving when the new file is broken', async () => {
    const ask = async (): Promise<string | undefined> => ((await queryUdp(server.port, { name: 'www.other.test' })).packet!.answers![0] as { data?: string } | undefined)?.data;
    expect(await ask()).toBe('198.51.100.7');

    const health = async (): Promise<{ status: string; problems?: string[] }> => (await fetch(`http://127.0.0.1:${server.httpPort}/healthz`)).json() as Promise<{ status: string; problems?: string[] }>;
    const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    expect(await metrics()).toMatch(/flipdns_zone_serial\{zone="other\.test\."\} 1\n/);
    writeFileSync(join(dir, 'other.test.zone'), OTHER_ZONE.replace('198.51.100.7', '198.51.100.8').replace(' 1 3600', ' 2 3600'));
    process.kill(server.pid, 'SIGHUP');
    await waitFor(async () => (await ask()) === '198.51.100.8', 'the reloaded answer');
    expect(await metrics()).toMatch(/flipdns_zone_serial\{zone="other\.test\."\} 2\n/);
    const loadedAt = Number(/flipdns_zone_loaded_timestamp_seconds\{zone="other\.test\."\} ([\d.]+)/.exec(await metrics())![1]);
    expect(Math.abs(loadedAt - Date.now() / 1000)).toBeLessThan(60);

    writeFileSync(join(dir, 'other.test.zone'), OTHER_ZONE.replace('198.51.100.7', '198.51.100.999'));
    process.kill(server.pid, 'SIGHUP');
    await waitFor(async () => server.logs.some((line) => line.includes('other.test.zone:4:')), 'the zone error in the log');
    expect(await ask()).toBe('198.51.100.8');
    const text = await metrics();
    expect(text).toMatch(/flipdns_zone_load_failures_total\{file="other\.test\.zone"\} 1/);
    expect(text).toMatch(/flipdns_zone_reloads_total\{result="partial"\} 1/);
    // The broken file keeps its old version, and the serial and load time that go with it.
    expect(text).toMatch(/flipdns_zone_serial\{zone="other\.test\."\} 2\n/);
    expect(text).toContain(`flipdns_zone_loaded_timestamp_seconds{zone="other.test."} ${loadedAt}`);
    const degraded = await health();
    expect(degraded.status).toBe('degraded');
    expect(degraded.problems).toEqual([expect.stringMatching(/^other\.test\.zone:4: /)]);

    writeFileSync(join(dir, 'other.test.zone'), OTHER_ZONE);
    process.kill(server.pid, 'SIGHUP');
    await waitFor(async () => (await health()).status === 'ok', 'healthz ok once the file is fixed');
  });

  it('keeps serving everything when the zones folder cannot be read on reload', async () => {
    renameSync(dir, `${dir}.away`);
    try {
      process.kill(server.pid, 'SIGHUP');
      await waitFor(async () => server.logs.some((line) => line.includes('reload failed, nothing changed')), 'the failed reload in the log');
      expect((await queryUdp(server.port, { name: 'www.example.test' })).packet!.flag_aa).toBe(true);
    } finally {
      renameSync(`${dir}.away`, dir);
    }
  });
});

describe('flipdns serve --workers 2', () => {
  it('shares the port between workers and sums their metrics', async () => {
    const server = await startFlipdns(join(REPO, 'zones'), ['--workers', '2']);
    try {
      for (let i = 0; i < 20; i++) expect((await queryUdp(server.port, { name: 'www.example.test' })).packet!.flag_aa).toBe(true);
      await waitFor(async () => (await fetch(`http://127.0.0.1:${server.httpPort}/healthz`)).status === 200, 'both workers ready');
      const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
      const answered = [...metrics.matchAll(/flipdns_queries_total\{[^}]*\} (\d+)/g)].reduce((sum, m) => sum + Number(m[1]), 0);
      expect(answered).toBeGreaterThanOrEqual(21);
    } finally {
      await server.stop();
    }
    await waitFor(async () => server.leftovers().length === 0, 'the workers to exit with their primary');
  });
});

describe('flipdns command line', () => {
  it('zone check prints file:line: errors and exits 1', async () => {
    const dir = zoneDir({ 'bad.test.zone': '$TTL 60\n@ SOA ns hm 1 1 1 1 1\n@ NS ns\nwww A 300.1.2.3\n' });
    const result = await run(process.execPath, [BIN, 'zone', 'check', dir]).catch((err: { code: number; stderr: string }) => err);
    expect(result).toMatchObject({ code: 1 });
    expect((result as { stderr: string }).stderr).toMatch(/^bad\.test\.zone:4: /m);
  });

  it('zone check passes the example zones', async () => {
    const { stdout } = await run(process.execPath, [BIN, 'zone', 'check', join(REPO, 'zones')]);
    expect(stdout).toMatch(/^OK$/m);
  });

  it('refuses to start on a broken zone or pool file, naming every problem, rather than answer NXDOMAIN for its names', async () => {
    const dir = zoneDir({ 'other.test.zone': OTHER_ZONE, 'app.pools.json': '{ "pools": [ { "name": "www.other.test.", "type": "A", "policy": "failovr", "members": [] } ] }' });
    const result = await run(process.execPath, [BIN, 'serve', '--zones', dir, '--port', '15353', '--http-port', '18053']).catch((err: { code: number; stderr: string }) => err);
    expect(result).toMatchObject({ code: 2 });
    expect((result as { stderr: string }).stderr).toBe(
      `app.pools.json: pools[0] www.other.test.: policy: must be one of failover, multivalue, weighted\nflipdns: not starting: 1 file(s) in ${dir} failed to load (app.pools.json); the errors are above, and flipdns zone check ${dir} lists them\n`,
    );
  });

  it('rejects a bad flag value with one line and exit 2', async () => {
    const result = await run(process.execPath, [BIN, 'serve', '--port', 'seventy']).catch((err: { code: number; stderr: string }) => err);
    expect(result).toMatchObject({ code: 2, stderr: 'flipdns: --port: must be an integer from 1 to 65535 (got "seventy")\n' });
  });

  it('rejects an unknown option with one line and exit 2', async () => {
    const result = await run(process.execPath, [BIN, 'serve', '--prot', '53']).catch((err: { code: number; stderr: string }) => err);
    expect(result).toMatchObject({ code: 2 });
    expect((result as { stderr: string }).stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('flipdns serve: connection cap and query log', () => {
  it('at --tcp-max-connections, a new connection closes the one longest without a query', async () => {
    const server = await startFlipdns(join(REPO, 'zones'), ['--tcp-max-connections', '2']);
    const { connect } = await import('node:net');
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const socket = connect(server.port, '127.0.0.1');
        sockets.push(socket);
        await new Promise((resolve) => socket.once('connect', resolve));
      }
      const closed = await Promise.race(sockets.map((socket, i) => new Promise<number>((resolve) => socket.on('close', () => resolve(i)))));
      expect(closed).toBe(0);
      // Silent connections cannot keep an honest client out: its connection takes a slot in turn.
      await waitFor(async () => (await queryTcp(server.port, { name: 'www.example.test' }).catch(() => undefined))?.packet?.flag_aa === true, 'a TCP answer');
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.stop();
    }
  });

  it('logs no query by default, and a share of them with --query-log', async () => {
    const quiet = await startFlipdns(join(REPO, 'zones'));
    const chatty = await startFlipdns(join(REPO, 'zones'), ['--query-log', '1']);
    try {
      for (const server of [quiet, chatty]) await queryUdp(server.port, { name: 'www.example.test' });
      await waitFor(async () => chatty.logs.some((line) => line.includes('"qname":"www.example.test."')), 'the query in the log');
      const logged = JSON.parse(chatty.logs.find((line) => line.includes('"qname":"www.example.test."'))!);
      expect(logged).toMatchObject({ qname: 'www.example.test.', qtype: 'A', rcode: 0, transport: 'udp' });
      expect(quiet.logs.some((line) => line.includes('"msg":"query"'))).toBe(false);
    } finally {
      await Promise.all([quiet.stop(), chatty.stop()]);
    }
  });
});
