import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore, type RedisStoreOptions } from '../../src/health/redis-store.js';
import { StoreUnavailableError, type HealthStore, type StoreEvent } from '../../src/health/store.js';
import { getFreePort } from '../helpers/ports.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';
import { beat, eventually, nodeSpec, recordEvents, sampleRecord, samplePool } from './kit.js';
import { defineStoreContract } from './store-contract.js';

let prefixes = 0;
/** A key prefix no other test uses, so tests share one redis-server without seeing each other. */
function freshPrefix(): string {
  return `test${process.pid}-${++prefixes}:`;
}

async function startedStore(options: RedisStoreOptions): Promise<RedisStore> {
  const store = new RedisStore(options);
  await store.start();
  return store;
}

describe('RedisStore', () => {
  let redis: RedisHandle;
  const extraStores: HealthStore[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(extraStores.splice(0).map((store) => store.close()));
  });
  afterAll(async () => {
    await redis?.stop();
  });

  defineStoreContract(async () => {
    const options = { url: redis.url, prefix: freshPrefix() };
    const store = await startedStore(options);
    return { store, peer: () => startedStore(options) };
  });

  it('delivers every event to every instance, in the same order', async () => {
    const options = { url: redis.url, prefix: freshPrefix() };
    const one = await startedStore(options);
    const two = await startedStore(options);
    extraStores.push(one, two);
    const logs = [recordEvents(one), recordEvents(two)];

    await one.putNode(nodeSpec('a'));
    await two.putNode(nodeSpec('b'));
    await beat(two, 'a');
    await one.putDocument('pools', 'app.example.test./A', samplePool('app.example.test.'));
    await two.putDocument('held', 'app.example.test./A', ['web1']);
    await one.putDocument('records', 'txt.example.test./TXT', sampleRecord('txt.example.test.'));
    await two.removeNode('b');

    const [seenByOne, seenByTwo] = await Promise.all(logs.map((log) => log.atLeast(7)));
    expect(seenByOne).toHaveLength(7);
    expect(seenByTwo).toEqual(seenByOne);
  });

  it('keeps different prefixes apart on one Redis', async () => {
    const one = await startedStore({ url: redis.url, prefix: freshPrefix() });
    const two = await startedStore({ url: redis.url, prefix: freshPrefix() });
    extraStores.push(one, two);
    const log = recordEvents(two);
    await one.putNode(nodeSpec('a'));
    expect((await two.snapshot()).nodes).toEqual([]);
    expect(await log.settled()).toEqual([]);
  });

  it('fails to start, with a clear error, when Redis cannot be reached', async () => {
    const port = await getFreePort();
    const store = new RedisStore({ url: `redis://:secret@127.0.0.1:${port}`, connectTimeoutMs: 500 });
    const error = await store.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as Error).message).toMatch(new RegExp(`^cannot reach Redis at redis://127\\.0\\.0\\.1:${port} within 500 ms`));
    expect((error as Error).message).not.toContain('secret');
    expect(store.connected()).toBe(false);
  });
});

describe('RedisStore when Redis dies and comes back', () => {
  let redis: RedisHandle;
  let store: RedisStore;

  beforeAll(async () => {
    redis = await startRedis();
    store = await startedStore({ url: redis.url });
  });
  afterAll(async () => {
    await store?.close();
    await redis?.stop();
  });

  it('rejects at once while Redis is gone, then resyncs with the data intact', async () => {
    const connectivity: boolean[] = [];
    store.onConnectivity((connected) => connectivity.push(connected));
    const events: StoreEvent[] = [];
    store.onEvent((event) => events.push(event));
    await store.putNode(nodeSpec('a'));
    await beat(store, 'a');
    await store.putDocument('pools', 'app.example.test./A', samplePool('app.example.test.'));
    const before = await store.snapshot();

    await redis.kill();
    await eventually(() => !store.connected(), 'the store to notice Redis is gone');
    expect(connectivity).toEqual([false]);
    const started = Date.now();
    for (const call of [() => store.snapshot(), () => beat(store, 'a'), () => store.sweep(), () => store.now(), () => store.tryLead('x', 1000)]) {
      await expect(call()).rejects.toBeInstanceOf(StoreUnavailableError);
    }
    expect(Date.now() - started).toBeLessThan(1000);

    await redis.restart();
    await eventually(() => events.some((e) => e.kind === 'resync'), 'a resync event');
    expect(store.connected()).toBe(true);
    expect(connectivity).toEqual([false, true]);
    const after = await store.snapshot();
    expect({ ...after, now: 0 }).toEqual({ ...before, now: 0 });
    expect(await beat(store, 'a')).toMatchObject({ status: 'ok' });
    await store.putDocument('records', 'txt.example.test./TXT', sampleRecord('txt.example.test.'));
    expect((await store.snapshot()).generation).toBe(before.generation + 1);
  });
});
