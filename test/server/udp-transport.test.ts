// The UDP transports (src/server/udp*.ts, native/): the same real queries,
// from dig and from sockets, against a server started with each; then what
// only the native one does: batches, answers from the address asked on a
// wildcard bind, a socket per worker, oversized datagrams dropped and counted,
// a full send buffer met and counted; and the fallback to dgram when the
// module does not load. The send-buffer test runs the server and its client in
// a network namespace of its own, whose loopback a token bucket slows down, so
// that answers wait in the kernel, charged to the server's tiny send buffer:
// needs root, ip and tc (iproute2), and fails without them (it never skips).

import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, encodeOpt } from '../helpers/dns.js';
import { BIN, type FlipdnsHandle, REPO, scratchAdminTokenFile, startFlipdns } from '../helpers/flipdns.js';
import { getFreePorts } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const ZONES = join(REPO, 'zones');
const MISSING_MODULE = { FLIPDNS_NATIVE_UDP_MODULE: '/nonexistent/flipdns_udp.node', FLIPDNS_UDP_TRANSPORT: 'auto' };

/** dig's output for one question, sent once (a timeout is in the output, not thrown). */
async function dig(server: string, port: number, name = 'www.example.test', type = 'A'): Promise<string> {
  const args = [`@${server}`, '-p', String(port), name, type, '+norec', '+tries=1', '+time=2'];
  return (await run('dig', args, { encoding: 'utf8' }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }))).stdout;
}

function expectWww(out: string): void {
  expect(out).toMatch(/status: NOERROR/);
  expect(out).toMatch(/flags: qr aa;/);
  expect(out).toMatch(/^www\.example\.test\.\s+300\s+IN\s+A\s+192\.0\.2\.10$/m);
}

async function health(server: FlipdnsHandle): Promise<Record<string, unknown>> {
  return (await fetch(`http://127.0.0.1:${server.httpPort}/healthz`)).json() as Promise<Record<string, unknown>>;
}

/** The flipdns_udp_* samples of /metrics, by name and labels. */
async function udpMetrics(httpPort: number): Promise<Record<string, number>> {
  return samples((await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text()).split('\n'));
}

function samples(lines: string[]): Record<string, number> {
  return Object.fromEntries(lines.map((line) => /^(flipdns_udp_\S+) (\S+)$/.exec(line)).flatMap((match) => (match ? [[match[1], Number(match[2])]] : [])));
}

/** Where the answer to one query sent to `host` came from. */
function replySource(port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    const timer = setTimeout(() => (socket.close(), reject(new Error(`no answer from ${host} within 2 s`))), 2000);
    socket.on('message', (_msg, from) => {
      clearTimeout(timer);
      socket.close();
      resolve(from.address);
    });
    socket.send(buildQuery({ name: 'www.example.test' }), port, host);
  });
}

/**
 * `count` queries sent from one socket while the server is stopped (SIGSTOP),
 * so that they wait together in its socket; the IDs answered within 5 s of
 * its being continued.
 */
async function queuedBurst(server: FlipdnsHandle, count: number, host = '127.0.0.1'): Promise<Set<number>> {
  const socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, host, () => resolve()));
  const answered = new Set<number>();
  const all = new Promise<void>((resolve) =>
    socket.on('message', (msg) => {
      answered.add(msg.readUInt16BE(0));
      if (answered.size === count) resolve();
    }),
  );
  process.kill(server.pid, 'SIGSTOP');
  try {
    const sends = Array.from({ length: count }, (_, i) => new Promise<void>((resolve, reject) => socket.send(buildQuery({ name: 'www.example.test', id: i + 1 }), server.port, host, (err) => (err ? reject(err) : resolve()))));
    await Promise.all(sends);
  } finally {
    process.kill(server.pid, 'SIGCONT');
  }
  await Promise.race([all, new Promise((resolve) => setTimeout(resolve, 5000))]);
  socket.close();
  return answered;
}

/** `flipdns serve` expected to refuse to start: its exit code and stderr. */
async function refusedStart(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const [port, httpPort] = await getFreePorts(2);
  const child = spawn(process.execPath, [BIN, 'serve', '--zones', ZONES, '--port', String(port), '--http-port', String(httpPort), ...args], {
    cwd: REPO,
    env: { ...process.env, ...env, FLIPDNS_ADMIN_TOKEN_FILE: scratchAdminTokenFile() },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stderr };
}

describe.each(['native', 'dgram'] as const)('UDP over %s', (transport) => {
  let server: FlipdnsHandle;
  beforeAll(async () => {
    server = await startFlipdns(ZONES, ['--udp-transport', transport]);
  });
  afterAll(() => server?.stop());

  it('answers dig, and says which transport it uses in its start log and /healthz', async () => {
    expectWww(await dig('127.0.0.1', server.port));
    expect(await dig('127.0.0.1', server.port, 'nx.example.test')).toMatch(/status: NXDOMAIN/);
    expect((await health(server)).udpTransport).toBe(transport);
    const started = server.logs.map((line) => JSON.parse(line) as { msg: string; udpTransport?: string }).find((line) => line.msg === 'serving DNS over UDP and TCP');
    expect(started?.udpTransport).toBe(transport);
  });

  it('answers every query of a burst that waited in its socket, in batches of up to 64 (native) or one by one (dgram)', async () => {
    const before = await udpMetrics(server.httpPort);
    const answered = await queuedBurst(server, 200);
    expect(answered.size).toBe(200);
    const after = await udpMetrics(server.httpPort);
    const grew = (size: string): number => (after[`flipdns_udp_batches_total{size="${size}"}`] ?? 0) - (before[`flipdns_udp_batches_total{size="${size}"}`] ?? 0);
    if (transport === 'native') expect(grew('64')).toBeGreaterThanOrEqual(3);
    else expect(grew('1')).toBeGreaterThanOrEqual(200);
    expect(Object.keys(after).filter((key) => key.startsWith('flipdns_udp_send_failures_total') && after[key] > 0)).toEqual([]);
  });

  it('drops a datagram longer than 4096 bytes unanswered and counts it (native), or answers it (dgram)', async () => {
    const padding = encodeOpt({ payload: 1232, options: [{ code: 12, data: Buffer.alloc(5000) }] });
    const big = buildQuery({ name: 'www.example.test', id: 4242, rawAdditional: [padding] });
    const answer = await new Promise<Buffer | undefined>((resolve) => {
      const socket = createSocket('udp4');
      const timer = setTimeout(() => (socket.close(), resolve(undefined)), 1000);
      socket.on('message', (msg) => (clearTimeout(timer), socket.close(), resolve(msg)));
      socket.send(big, server.port, '127.0.0.1');
    });
    const dropped = (await udpMetrics(server.httpPort)).flipdns_udp_oversized_dropped_total;
    if (transport === 'native') {
      expect(answer).toBeUndefined();
      expect(dropped).toBe(1);
    } else {
      expect(answer?.readUInt16BE(0)).toBe(4242);
      expect(dropped).toBe(0);
    }
    expectWww(await dig('127.0.0.1', server.port));
  });

  it('answers over IPv6 (::1), a burst included', async () => {
    const v6 = await startFlipdns(ZONES, ['--udp-transport', transport, '--host', '::1'], {}, { ready: 'http' });
    try {
      await waitFor(async () => /status: NOERROR/.test(await dig('::1', v6.port)), 'an answer on ::1');
      expectWww(await dig('::1', v6.port));
      expect((await health(v6)).udpTransport).toBe(transport);
      expect((await queuedBurst(v6, 100, '::1')).size).toBe(100);
      expect(v6.logs.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
    } finally {
      await v6.stop();
    }
  });
});

describe('the native transport', () => {
  it.each([
    ['0.0.0.0', ['127.0.0.2', '127.0.0.3', '127.0.0.1']],
    ['::', ['::1', '127.0.0.2']],
  ])('bound to %s, answers each query from the address it was sent to', async (host, asked) => {
    const server = await startFlipdns(ZONES, ['--udp-transport', 'native', '--host', host]);
    try {
      for (const address of asked) {
        // dig takes no answer from another address than the one it asked.
        expectWww(await dig(address, server.port));
        expect(await replySource(server.port, address)).toBe(address);
      }
    } finally {
      await server.stop();
    }
  });

  it('serves --workers 2: a socket per worker on the port', async () => {
    const server = await startFlipdns(ZONES, ['--udp-transport', 'native', '--workers', '2']);
    try {
      await waitFor(async () => (await health(server)).workersReady === 2, 'both workers ready');
      expect((await health(server)).udpTransport).toBe('native');
      // Each from a socket of its own: the kernel spreads them over the workers by source port.
      for (let i = 0; i < 20; i++) expectWww(await dig('127.0.0.1', server.port));
      const batches = Object.entries(await udpMetrics(server.httpPort)).filter(([key]) => key.startsWith('flipdns_udp_batches_total'));
      expect(batches.reduce((sum, [, value]) => sum + value, 0)).toBeGreaterThanOrEqual(20);
    } finally {
      await server.stop();
    }
  });

  it('meets a full send buffer: partial sendmmsg and EAGAIN counted, every answer sent once it drains', async () => {
    const ns = `fdu${process.pid % 100_000}`;
    const inside = (command: string, args: string[]) => run('ip', ['netns', 'exec', ns, command, ...args], { encoding: 'utf8' });
    await run('ip', ['netns', 'add', ns]);
    let server: ReturnType<typeof spawn> | undefined;
    try {
      // Packets no longer than the token bucket's burst: tbf drops a longer one (a 64 KiB TCP segment, as /metrics's).
      await inside('ip', ['link', 'set', 'lo', 'mtu', '1500', 'up']);
      // About 1,000 answers a second leave loopback; the rest wait in the queue, charged to the sender.
      await inside('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', '1mbit', 'burst', '4kb', 'latency', '2s']);
      // `ip netns exec` becomes the command: the PID is the server's.
      server = spawn('ip', ['netns', 'exec', ns, process.execPath, BIN, 'serve', '--zones', ZONES, '--port', '5300', '--http-port', '8053', '--udp-transport', 'native', '--log-level', 'warn'], {
        cwd: REPO,
        env: { ...process.env, FLIPDNS_TEST_UDP_SEND_BUFFER: '1', FLIPDNS_ADMIN_TOKEN_FILE: scratchAdminTokenFile() },
        stdio: 'ignore',
      });
      const { stdout } = await inside(process.execPath, [join(REPO, 'test/helpers/udp-burst.mjs'), '5300', '8053', '300']);
      const { answered, metrics } = JSON.parse(stdout) as { answered: number[]; metrics: string[] };
      expect(answered).toHaveLength(300);
      const counted = samples(metrics);
      expect(counted['flipdns_udp_send_failures_total{reason="again"}']).toBeGreaterThan(0);
      expect(counted.flipdns_udp_partial_sends_total).toBeGreaterThan(0);
      expect(counted['flipdns_udp_send_failures_total{reason="error"}']).toBe(0);
    } finally {
      if (server?.pid !== undefined && server.exitCode === null) {
        const exited = new Promise((resolve) => server!.once('exit', resolve));
        process.kill(server.pid, 'SIGTERM');
        await exited;
      }
      await run('ip', ['netns', 'delete', ns]);
    }
  }, 40_000);
});

describe('without the native module', () => {
  it('falls back to dgram under auto, saying why', async () => {
    const server = await startFlipdns(ZONES, [], MISSING_MODULE);
    try {
      expectWww(await dig('127.0.0.1', server.port));
      expect((await health(server)).udpTransport).toBe('dgram');
      const fallback = server.logs.map((line) => JSON.parse(line) as { msg: string; reason?: string }).find((line) => line.msg === 'UDP served by Node dgram');
      expect(fallback?.reason).toContain('/nonexistent/flipdns_udp.node');
    } finally {
      await server.stop();
    }
  });

  it('refuses to start with udpTransport native, in one line', async () => {
    const { code, stderr } = await refusedStart(['--udp-transport', 'native'], MISSING_MODULE);
    expect(code).toBe(2);
    expect(stderr).toMatch(/^flipdns: udpTransport native: the native UDP module does not load \(\/nonexistent\/flipdns_udp\.node: .*\); npm ci builds it\n$/);
  });
});
