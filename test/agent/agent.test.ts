// The agent against a stand-in for the flipdns API (a tiny HTTP server counting
// heartbeats) and a local TCP listener as the service it checks.

import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Agent, type AgentOptions } from '../../src/agent/agent.js';
import { tcpCheck } from '../../src/checks/probes.js';
import { waitFor as until } from '../helpers/wait.js';

const TOKEN = 'web1-token-abcdefghijkl';

interface StandIn {
  url: string;
  beats: number;
  /** Down reports taken, with their reasons. */
  downs: string[];
  /** The status answered to heartbeats with the right token. */
  answer: number;
  /** The node's contract, as answered with each heartbeat taken. */
  contract: { intervalMs: number; fall: number };
  /** A stalled instance: it takes requests and never answers them. */
  stalled: boolean;
  close(): Promise<void>;
}

async function startStandIn(contract = { intervalMs: 1000, fall: 3 }): Promise<StandIn> {
  const standIn = { beats: 0, downs: [], answer: 200, contract, stalled: false } as unknown as StandIn;
  const server: HttpServer = createHttpServer((req, res) => {
    if (standIn.stalled) return;
    const what = /^\/api\/v1\/nodes\/web1\/(heartbeat|down)$/.exec(req.url ?? '')?.[1];
    const right = req.method === 'POST' && what !== undefined && req.headers.authorization === `Bearer ${TOKEN}`;
    const status = right ? standIn.answer : 403;
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      if (status === 200 && what === 'heartbeat') standIn.beats++;
      if (status === 200 && what === 'down') standIn.downs.push((JSON.parse(text) as { reason: string }).reason);
      const health = what === 'down' ? 'down' : 'up';
      const body = status === 200 ? { node: { id: 'web1', health, ...standIn.contract } } : { error: 'refused' };
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  standIn.url = `http://127.0.0.1:${await listen(server, 0)}`;
  standIn.close = () => close(server);
  return standIn;
}

function listen(server: HttpServer | TcpServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function close(server: HttpServer | TcpServer): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on (taken, then given back). */
async function deadPort(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server, 0);
  await close(server);
  return port;
}

function capture(): { log: AgentOptions['log']; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')));
      done();
    },
  });
  return { log: pino({ level: 'info' }, sink), lines };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('flipdns agent', () => {
  const cleanup: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  async function run(options: Partial<AgentOptions> & Pick<AgentOptions, 'servers'>): Promise<{ agent: Agent; lines: Array<Record<string, unknown>> }> {
    const { log, lines } = capture();
    const agent = new Agent({ node: 'web1', token: TOKEN, intervalMs: 40, check: async () => ({ ok: true }), checkTimeoutMs: 200, log, ...options });
    agent.start();
    cleanup.push(() => agent.stop());
    return { agent, lines };
  }

  it('beats while the TCP check passes, reports the node down once when it fails, and resumes', async () => {
    const standIn = await startStandIn();
    cleanup.push(() => standIn.close());
    const service = createTcpServer((socket) => socket.destroy());
    const port = await listen(service, 0);

    const { lines } = await run({ servers: [standIn.url], check: tcpCheck('127.0.0.1', port) });
    await until(() => standIn.beats >= 3, 'three beats');

    await close(service);
    const failing = 'local check failing: node reported down, sending no heartbeats';
    await until(() => lines.some((line) => line.msg === failing), 'the check to fail');
    const whileDown = standIn.beats;
    await sleep(300);
    expect(standIn.beats).toBe(whileDown);
    // Reported at once, and once for the whole failing spell.
    expect(standIn.downs).toEqual([expect.stringMatching(/ECONNREFUSED/)]);
    expect(lines.find((line) => line.msg === failing)?.reason).toMatch(/ECONNREFUSED/);

    const revived = createTcpServer((socket) => socket.destroy());
    await listen(revived, port);
    cleanup.push(() => close(revived));
    await until(() => standIn.beats >= whileDown + 3, 'beats to resume');

    // Transitions only: accepted, failing, accepted again; not a line per beat.
    expect(lines.map((line) => line.msg)).toEqual(['heartbeats accepted', failing, 'heartbeats accepted']);
  });

  it('sends each beat to the first server that answers, and nothing after stop', async () => {
    const standIn = await startStandIn();
    cleanup.push(() => standIn.close());
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const { agent, lines } = await run({ servers: [dead, standIn.url] });
    await until(() => standIn.beats >= 3, 'beats through the second server');
    expect(lines[0]).toMatchObject({ msg: 'heartbeats accepted', server: standIn.url, health: 'up' });

    await agent.stop();
    const atStop = standIn.beats;
    await sleep(150);
    expect(standIn.beats).toBe(atStop);
  });

  it('keeps the beat within the deadline when the server it beats to stalls (takes requests, never answers)', async () => {
    const first = await startStandIn({ intervalMs: 100, fall: 3 });
    const second = await startStandIn({ intervalMs: 100, fall: 3 });
    cleanup.push(() => first.close(), () => second.close());
    const beats = (): number => first.beats + second.beats;
    const accepted: number[] = [];
    const counting = setInterval(() => {
      while (accepted.length < beats()) accepted.push(performance.now());
    }, 1);
    cleanup.push(async () => clearInterval(counting));
    await run({ servers: [first.url, second.url], intervalMs: 100 });
    await until(() => first.beats >= 3, 'beats through the first server');
    first.stalled = true;
    const stalledAt = accepted.length;
    await until(() => second.beats >= 10, 'ten beats through the second server');
    // Every gap between accepted beats stays well inside the node's deadline (fall × interval = 300 ms).
    const gaps = accepted.slice(stalledAt).map((at, i) => at - accepted[stalledAt + i - 1]);
    expect(Math.max(...gaps)).toBeLessThan(300);
  });

  it('logs a refusal once, and that no server answers once', async () => {
    const standIn = await startStandIn();
    cleanup.push(() => standIn.close());
    standIn.answer = 403;
    const { lines } = await run({ servers: [standIn.url] });
    await sleep(250);
    expect(lines).toEqual([expect.objectContaining({ level: 50, msg: 'heartbeat refused', status: 403, error: 'refused' })]);

    const alone = await run({ servers: [`http://127.0.0.1:${await deadPort()}`] });
    await sleep(250);
    expect(alone.lines).toEqual([expect.objectContaining({ msg: 'no server took the heartbeat', errors: [expect.stringMatching(/ECONNREFUSED/)] })]);
  });

  it('asks the next server at once when one answers 429 (its limit on refused authentications from this address)', async () => {
    const limited = await startStandIn();
    const other = await startStandIn();
    cleanup.push(() => limited.close(), () => other.close());
    limited.answer = 429;
    const { lines } = await run({ servers: [limited.url, other.url] });
    await until(() => other.beats >= 3, 'beats through the second server');
    expect(lines).not.toContainEqual(expect.objectContaining({ msg: 'heartbeat refused' }));
    expect(lines[0]).toMatchObject({ msg: 'heartbeats accepted', server: other.url });
  });

  it("beats at the node's interval when none is given", async () => {
    const standIn = await startStandIn({ intervalMs: 60, fall: 3 });
    cleanup.push(() => standIn.close());
    const { lines } = await run({ servers: [standIn.url], intervalMs: undefined });
    await until(() => standIn.beats >= 4, 'beats at the 60 ms interval', 2000);
    expect(lines).toContainEqual(expect.objectContaining({ intervalMs: 60, was: 1000 }));
  });

  it("warns once when a fixed --interval is longer than the node's, again when the node would go down between beats, and says when it keeps up", async () => {
    const standIn = await startStandIn({ intervalMs: 30, fall: 3 });
    cleanup.push(() => standIn.close());
    const { lines } = await run({ servers: [standIn.url], intervalMs: 40 });
    await until(() => standIn.beats >= 4, 'four beats');
    const late = "--interval 40 ms is longer than the node's interval of 30 ms: the server will judge the node late";
    expect(lines).toEqual([
      expect.objectContaining({ level: 40, msg: late, intervalMs: 40, nodeIntervalMs: 30, fall: 3 }),
      expect.objectContaining({ msg: 'heartbeats accepted' }),
    ]);

    standIn.contract = { intervalMs: 20, fall: 2 };
    await until(() => lines.length > 2, 'the contract change to be seen');
    standIn.contract = { intervalMs: 50, fall: 3 };
    const kept = "--interval 40 ms now keeps the node's interval of 50 ms";
    await until(() => lines.some((line) => line.msg === kept), 'the contract to be kept again');
    const beats = standIn.beats;
    await until(() => standIn.beats >= beats + 3, 'three more beats');
    expect(lines.slice(2)).toEqual([
      expect.objectContaining({
        level: 40,
        msg: "--interval 40 ms is longer than the node's interval of 20 ms: the server will judge the node late, and declare it down between beats (its deadline is fall 2 × 20 ms = 40 ms)",
      }),
      expect.objectContaining({ level: 30, msg: kept, intervalMs: 40, nodeIntervalMs: 50 }),
    ]);
  });

  it("says nothing of the pace while a fixed --interval keeps the node's", async () => {
    const standIn = await startStandIn({ intervalMs: 40, fall: 1 });
    cleanup.push(() => standIn.close());
    const { lines } = await run({ servers: [standIn.url], intervalMs: 40 });
    await until(() => standIn.beats >= 3, 'three beats');
    expect(lines.map((line) => line.msg)).toEqual(['heartbeats accepted']);
  });
});
