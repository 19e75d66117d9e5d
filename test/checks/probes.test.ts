import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { commandCheck, httpCheck, parseHostPort } from '../../src/checks/probes.js';

const soon = (ms = 2000): AbortSignal => AbortSignal.timeout(ms);

describe('agent checks', () => {
  it('command: passes on exit 0, fails with the exit code and last stderr line, fails on timeout', async () => {
    expect(await commandCheck('true')(soon())).toEqual({ ok: true });
    expect(await commandCheck('echo disk full >&2; exit 3')(soon())).toEqual({ ok: false, reason: 'command exited with 3: disk full' });
    expect(await commandCheck('sleep 5')(soon(100))).toEqual({ ok: false, reason: 'command timed out' });
  });

  it('http: passes below 400, fails at 400 and above', async () => {
    const server = createServer((req, res) => res.writeHead(req.url === '/ok' ? 204 : req.url === '/moved' ? 302 : 503, { location: '/elsewhere' }).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await httpCheck(`${base}/ok`)(soon())).toEqual({ ok: true });
      expect(await httpCheck(`${base}/moved`)(soon())).toEqual({ ok: true });
      expect(await httpCheck(`${base}/broken`)(soon())).toEqual({ ok: false, reason: `${base}/broken: HTTP 503` });
    } finally {
      server.close();
    }
  });

  it('reads HOST:PORT and [v6]:PORT', () => {
    expect(parseHostPort('db.local:5432')).toEqual({ host: 'db.local', port: 5432 });
    expect(parseHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseHostPort('db.local')).toThrow(/HOST:PORT/);
    expect(() => parseHostPort('db:70000')).toThrow(/HOST:PORT/);
  });
});
