// Hostile HTTP (issue 9), against the listener and the admin API in process
// over real sockets, with small timeouts: slow headers and slow bodies are
// closed within the timeouts, credentials are checked before a body is read,
// a body too large or not JSON gets a clear 4xx at once, unknown paths a 404
// that says nothing, and a flood of silent connections cannot keep a
// heartbeat out. Timings are asserted as relations (closed well before the
// attacker would have finished), never to the millisecond.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type Harness, startHarness } from '../api/harness.js';
import { waitFor } from '../helpers/wait.js';
import { rawConnect, statusOf } from './raw.js';

const WEB1_TOKEN = 'web1-token-abcdefghijkl';
const HEADERS_TIMEOUT_MS = 500;
const REQUEST_TIMEOUT_MS = 1000;
const MAX_CONNECTIONS = 20;

/** Headers of a request with a body of `length` bytes (not sent). */
function head(method: string, path: string, length: number, token: string | null = ADMIN_TOKEN): string {
  const auth = token === null ? '' : `Authorization: Bearer ${token}\r\n`;
  return `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
}

describe('hostile HTTP', () => {
  let api: Harness;
  beforeAll(async () => {
    api = await startHarness({
      api: { bodyTimeoutMs: REQUEST_TIMEOUT_MS, authFailuresPerSecond: 0 },
      listener: { headersTimeoutMs: HEADERS_TIMEOUT_MS, requestTimeoutMs: REQUEST_TIMEOUT_MS, keepAliveTimeoutMs: 1000, maxConnections: MAX_CONNECTIONS },
    });
    expect((await api.call('PUT', '/api/v1/nodes/web1', { body: { token: WEB1_TOKEN } })).status).toBe(201);
  });
  afterAll(() => api.close());

  it('closes a connection whose headers come slowly, within the headers timeout', async () => {
    const slow = await rawConnect(api.port);
    // 4 bytes a second of headers that never end: 100 s and more, unless the server stops it.
    void slow.dribble(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n${'X-Slow: yes\r\n'.repeat(40)}\r\n`, 250);
    const elapsed = await slow.closed;
    expect(elapsed).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS * 0.8);
    expect(elapsed).toBeLessThan(HEADERS_TIMEOUT_MS + 4000);
    // Node's own check answers 408; a connection that never finished a request may be closed as silent first.
    expect(api.refused.includes('timeout') || api.closedConnections.includes('silent')).toBe(true);
  });

  it('closes a connection that sends nothing within the headers timeout, and counts it', async () => {
    const counted = () => api.closedConnections.filter((reason) => reason === 'silent').length + api.refused.filter((reason) => reason === 'timeout').length;
    const before = counted();
    const silent = await rawConnect(api.port);
    const elapsed = await silent.closed;
    expect(elapsed).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS * 0.8);
    expect(elapsed).toBeLessThan(HEADERS_TIMEOUT_MS + 4000);
    // Closed as silent by the cap's timer, or answered 408 by Node's own check: whichever comes first.
    expect(['', '408']).toContain(silent.received() === '' ? '' : String(statusOf(silent.received())));
    expect(counted()).toBe(before + 1);
  });

  it('answers 408 to a body that comes slowly with the admin token, within the request timeout, and stores nothing', async () => {
    const body = JSON.stringify({ token: 'slow1-token-abcdefghijkl', pad: 'x'.repeat(100) });
    const slow = await rawConnect(api.port);
    slow.socket.write(head('PUT', '/api/v1/nodes/slow1', body.length));
    void slow.dribble(body, 100);
    const elapsed = await slow.closed;
    expect(statusOf(slow.received())).toBe(408);
    expect(elapsed).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS * 0.8);
    // The body would take 13 s at that pace.
    expect(elapsed).toBeLessThan(REQUEST_TIMEOUT_MS + 4000);
    expect(api.refused).toContain('timeout');
    expect((await api.store.snapshot()).nodes.map((node) => node.spec.id)).toEqual(['web1']);
  });

  it('checks credentials before reading a body: a wrong token is answered at once and the connection closed, the body unread', async () => {
    for (const [method, path, token, status] of [
      ['PUT', '/api/v1/nodes/web2', 'wrong-token-0123456789', 401],
      ['PUT', '/api/v1/nodes/web2', null, 401],
      ['POST', '/api/v1/nodes/web1/down', 'wrong-token-0123456789', 403],
      ['POST', '/api/v1/nodes/ghost/down', 'wrong-token-0123456789', 403],
    ] as const) {
      const slow = await rawConnect(api.port);
      slow.socket.write(head(method, path, 1000, token));
      // A body of 1000 bytes, one byte every 100 ms: 100 s if it were read.
      void slow.dribble('x'.repeat(1000), 100);
      await waitFor(() => statusOf(slow.received()) !== undefined, `an answer to ${method} ${path}`, 5000);
      expect(statusOf(slow.received()), `${method} ${path}`).toBe(status);
      expect(slow.received()).toMatch(/\r\nconnection: close\r\n/i);
      // Closed with the answer, well before the request timeout would have cut it.
      expect(await slow.closed).toBeLessThan(REQUEST_TIMEOUT_MS);
    }
  });

  it('answers 413 to a body too large, at once when the length says so, and after 64 KiB when chunked', async () => {
    const declared = await rawConnect(api.port);
    declared.socket.write(head('PUT', '/api/v1/nodes/big', 10_000_000));
    await declared.closed;
    expect(statusOf(declared.received())).toBe(413);
    expect(declared.received()).toMatch(/request body is over 65536 bytes/);

    const chunked = await rawConnect(api.port);
    chunked.socket.write(`PUT /api/v1/nodes/big HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\nTransfer-Encoding: chunked\r\n\r\n`);
    for (let i = 0; i < 20 && !chunked.socket.destroyed; i++) chunked.socket.write(`2000\r\n${'x'.repeat(0x2000)}\r\n`);
    await chunked.closed;
    expect(statusOf(chunked.received())).toBe(413);

    // Credentials first: a wrong token with a huge body is a 401, not a 413.
    const wrong = await rawConnect(api.port);
    wrong.socket.write(head('PUT', '/api/v1/nodes/big', 10_000_000, 'wrong-token-0123456789'));
    await wrong.closed;
    expect(statusOf(wrong.received())).toBe(401);
    expect(api.refused.filter((reason) => reason === 'too-large')).toHaveLength(2);
  });

  it('answers 400 with a clear line to a body that is not JSON, or not the JSON expected', async () => {
    const broken = await api.call('PUT', '/api/v1/nodes/web2', { rawBody: '{"token": "web2-token-abcdefghijkl", ' });
    expect(broken).toMatchObject({ status: 400, body: { error: expect.stringMatching(/^body is not JSON/) } });
    const array = await api.call('PUT', '/api/v1/nodes/web2', { rawBody: '[1, 2]' });
    expect(array.status).toBe(400);
    expect(array.body.error).toMatch(/object/);
    const binary = await api.call('POST', '/api/v1/nodes/web1/down', { token: WEB1_TOKEN, rawBody: '\u0000\u00ff\u0001' });
    expect(binary.status).toBe(400);
    expect((await api.store.snapshot()).nodes.map((node) => node.spec.id)).toEqual(['web1']);
  });

  it('answers 404 to unknown paths, with or without a token, saying nothing of what exists', async () => {
    for (const token of [null, 'wrong-token-0123456789', ADMIN_TOKEN]) {
      const answer = await api.call('GET', '/api/v1/secrets', { token });
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: 'no endpoint GET /api/v1/secrets (see docs/api.md)' });
    }
    const long = await api.call('GET', `/api/v1/${'a'.repeat(5000)}`, { token: null });
    expect(long.status).toBe(404);
    expect(long.body.error.length).toBeLessThan(200);
    for (const path of ['/', '/admin', '/.env', '/api', '/api/v1/', '/api/v1/../../etc/passwd']) {
      const response = await fetch(api.url + path);
      expect(response.status, path).toBe(404);
      expect(await response.text()).not.toMatch(/ at |Error|node_modules|\/src\//);
    }
  });

  it('refuses what is not HTTP, and headers too large, with a 4xx and one counted refusal each', async () => {
    const before = api.refused.filter((reason) => reason === 'bad-request').length;
    const garbage = await rawConnect(api.port);
    garbage.socket.write('\u0016\u0003\u0001\u0000\u00a5hello, not http\r\n\r\n');
    await garbage.closed;
    expect(statusOf(garbage.received())).toBe(400);
    const huge = await rawConnect(api.port);
    huge.socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'y'.repeat(20_000)}\r\n\r\n`);
    await huge.closed;
    expect(statusOf(huge.received())).toBe(431);
    expect(api.refused.filter((reason) => reason === 'bad-request').length - before).toBe(2);
  });

  it('takes clients that go away mid-request without an error log line, let alone a stack trace per request', async () => {
    const refusedBefore = api.refused.length;
    const logsBefore = api.logs.length;
    for (let i = 0; i < 50; i++) {
      const gone = await rawConnect(api.port);
      gone.socket.write(head('PUT', `/api/v1/nodes/gone${i}`, 500) + '{"token": ');
      // Let the request reach the handler (this only paces the client), then vanish.
      await new Promise((resolve) => setTimeout(resolve, 10));
      gone.socket.destroy();
      await gone.closed;
    }
    await waitFor(() => api.refused.length - refusedBefore >= 50, 'every abort to be counted');
    const lines = api.logs.slice(logsBefore);
    expect(lines.filter((line) => (line.level as number) >= 50)).toEqual([]);
    expect(lines.filter((line) => JSON.stringify(line).includes('    at '))).toEqual([]);
    // At most one line per kind of refusal in the interval, whatever the count.
    expect(lines.length).toBeLessThanOrEqual(3);
    expect(new Set(api.refused.slice(refusedBefore)).size).toBeLessThanOrEqual(2);
  });

});

describe('a flood of silent HTTP connections', () => {
  let api: Harness;
  beforeAll(async () => {
    // A long headers timeout: the flood is not timed out during the test, only the cap can make room.
    api = await startHarness({ listener: { headersTimeoutMs: 30_000, requestTimeoutMs: 30_000, maxConnections: MAX_CONNECTIONS } });
    expect((await api.call('PUT', '/api/v1/nodes/web1', { body: { token: WEB1_TOKEN } })).status).toBe(201);
  });
  afterAll(() => api.close());

  it(`keeps room for heartbeats through 300 silent connections, holding at most ${MAX_CONNECTIONS}`, async () => {
    const flood = await Promise.all(Array.from({ length: 300 }, () => rawConnect(api.port).catch(() => undefined)));
    try {
      const open = () => flood.filter((connection) => connection !== undefined && !connection.socket.destroyed).length;
      await waitFor(() => open() <= MAX_CONNECTIONS, 'the flood beyond the cap to be closed', 10_000);
      // Every slot is held by a silent connection now; each request below takes one of theirs.
      expect(api.closedConnections.filter((reason) => reason === 'evicted').length).toBeGreaterThanOrEqual(300 - MAX_CONNECTIONS);
      // Each on a connection of its own, so that none reuses a kept-alive one.
      for (let i = 0; i < 5; i++) {
        for (const [request, status] of [
          [`POST /api/v1/nodes/web1/heartbeat HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${WEB1_TOKEN}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`, 200],
          ['GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 200],
        ] as const) {
          const client = await rawConnect(api.port);
          client.socket.write(request);
          await client.closed;
          expect(statusOf(client.received())).toBe(status);
        }
      }
      expect(api.closedConnections).not.toContain('full');
      expect(open()).toBeLessThanOrEqual(MAX_CONNECTIONS);
      expect(api.closedConnections).not.toContain('silent');
    } finally {
      for (const connection of flood) connection?.socket.destroy();
    }
  });
});
