// One instance's checker against a real TCP listener, on the embedded store:
// its verdicts follow fall and rise, land in the shared state, and go with it.

import { type Server, createServer } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Checker } from '../../src/checks/checker.js';
import type { NodeCheck, Verdict } from '../../src/checks/model.js';
import { EmbeddedStore } from '../../src/health/embedded-store.js';
import { getFreePort } from '../helpers/ports.js';

function listen(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.destroy()).listen(port, '127.0.0.1', () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

describe('the checker', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('writes a verdict at the first probe, changes it after fall failures and rise passes, and removes it when stopped', async () => {
    const port = await getFreePort();
    let service: Server | undefined = await listen(port);
    cleanups.push(async () => service && close(service));
    const store = new EmbeddedStore();
    const probes: string[] = [];
    const checker = new Checker(store, 'dns-a', { countProbe: (node, ok) => probes.push(`${node}:${ok ? 'ok' : 'failed'}`) }, pino({ level: 'silent' }), () => 42);
    cleanups.push(() => checker.stop());
    const verdicts: Array<Pick<Verdict, 'failing'> | undefined> = [];
    store.onEvent((event) => {
      if (event.kind === 'document' && event.collection === 'verdicts') verdicts.push(event.value === undefined ? undefined : { failing: (event.value as Verdict).failing });
    });
    const until = async (count: number): Promise<void> => {
      while (verdicts.length < count) await new Promise((resolve) => setTimeout(resolve, 10));
    };

    const check: NodeCheck = { url: `tcp://127.0.0.1:${port}`, intervalMs: 100, timeoutMs: 100, fall: 3, rise: 2 };
    checker.applySnapshot(await store.snapshot());
    await store.putDocument('checks', 'web1', check);
    checker.applyEvents([{ kind: 'document', generation: 1, collection: 'checks', key: 'web1', value: check, decidedAt: 0 }]);
    await until(1);
    expect((await store.snapshot()).documents.verdicts).toEqual({ 'web1@dns-a': { node: 'web1', instance: 'dns-a', failing: false, since: 42 } });

    await close(service);
    service = undefined;
    await until(2);
    expect(verdicts[1]).toEqual({ failing: true });
    // The verdict changed only after `fall` failed probes in a row.
    expect(probes.slice(probes.lastIndexOf('web1:ok') + 1)).toEqual(['web1:failed', 'web1:failed', 'web1:failed']);
    expect(((await store.snapshot()).documents.verdicts['web1@dns-a'] as Verdict).reason).toMatch(/ECONNREFUSED/);

    service = await listen(port);
    await until(3);
    expect(verdicts[2]).toEqual({ failing: false });
    expect(probes.slice(probes.lastIndexOf('web1:failed') + 1)).toEqual(['web1:ok', 'web1:ok']);

    await checker.stop();
    expect((await store.snapshot()).documents.verdicts).toEqual({});
  });

  it('carries on from its own verdict found in the shared state after a restart, and removes one whose check is gone', async () => {
    const store = new EmbeddedStore();
    const port = await getFreePort();
    const check: NodeCheck = { url: `tcp://127.0.0.1:${port}`, intervalMs: 100, timeoutMs: 100, fall: 3, rise: 2 };
    await store.putDocument('checks', 'web1', check);
    const earlier: Verdict = { node: 'web1', instance: 'dns-a', failing: false, since: 1 };
    await store.putDocument('verdicts', 'web1@dns-a', earlier);
    await store.putDocument('verdicts', 'gone@dns-a', { node: 'gone', instance: 'dns-a', failing: true, since: 1 });
    await store.putDocument('verdicts', 'gone@dns-b', { node: 'gone', instance: 'dns-b', failing: true, since: 1 });
    const probes: boolean[] = [];
    const checker = new Checker(store, 'dns-a', { countProbe: (_node, ok) => probes.push(ok) }, pino({ level: 'silent' }));
    cleanups.push(() => checker.stop());
    checker.applySnapshot(await store.snapshot());
    while (probes.length < 2) await new Promise((resolve) => setTimeout(resolve, 10));
    const { verdicts } = (await store.snapshot()).documents;
    // Nothing listens, but two failures are fewer than fall: the earlier verdict stands.
    expect(verdicts['web1@dns-a']).toEqual(earlier);
    // Its own leftover goes; another instance's is that instance's business.
    expect(Object.keys(verdicts).sort()).toEqual(['gone@dns-b', 'web1@dns-a']);
  });
});
