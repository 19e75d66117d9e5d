import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createStore, redisStoreOptions, StoreSettingsError } from '../../src/health/create-store.js';
import type { HealthStore } from '../../src/health/store.js';
import { startRedis, type RedisHandle } from '../helpers/redis.js';

describe('createStore', () => {
  let redis: RedisHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  it('makes an embedded store', async () => {
    const store = await createStore({ store: 'embedded' });
    expect(store.kind).toBe('embedded');
    expect(store.connected()).toBe(true);
    await store.close();
  });

  it('makes a started Redis store with the prefix asked for', async () => {
    let store: HealthStore | undefined;
    try {
      store = await createStore({ store: redis.url, redisPrefix: 'create-store-test:' });
      expect(store.kind).toBe('redis');
      expect(store.connected()).toBe(true);
      await store.putDocument('records', 'txt.example.test./TXT', { name: 'txt.example.test.', type: 'TXT', ttl: 60, values: ['"x"'] });
      const other = await createStore({ store: redis.url, redisPrefix: 'create-store-test:' });
      expect(Object.keys((await other.snapshot()).documents.records)).toHaveLength(1);
      await other.close();
    } finally {
      await store?.close();
    }
  });

  it('refuses a Redis database the server does not have, instead of falling back to 0', async () => {
    const error = await createStore({ store: `${redis.url}/99` }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StoreSettingsError);
    expect((error as Error).message).toMatch(/^store: Redis at redis:\/\/127\.0\.0\.1:\d+\/99 has no database 99: ERR DB index is out of range \(see "databases" in redis\.conf\)$/);
    const fifteen = await createStore({ store: `${redis.url}/15` });
    expect(fifteen.connected()).toBe(true);
    await fifteen.close();
  });

  it('turns the Redis settings into connection options', () => {
    expect(
      redisStoreOptions({
        store: 'rediss://redis.example.test:6380/2',
        redisPassword: 'pw',
        redisSentinels: 'sentinel-1:26379, [2001:db8::1]:26380',
        redisSentinelName: 'flipdns',
        redisPrefix: 'dns:',
      }),
    ).toEqual({
      url: 'rediss://redis.example.test:6380/2',
      password: 'pw',
      sentinels: [
        { host: 'sentinel-1', port: 26379 },
        { host: '2001:db8::1', port: 26380 },
      ],
      sentinelName: 'flipdns',
      prefix: 'dns:',
    });
    expect(redisStoreOptions({ store: 'redis://127.0.0.1:6379', redisTls: true })).toEqual({ url: 'redis://127.0.0.1:6379', tls: true });
  });

  it.each([
    [{ store: 'memory' }, 'store: expected "embedded" or a redis:// or rediss:// URL, got "memory"'],
    [{ store: 'redis://[bad' }, 'store: not a valid URL: "redis://[bad"'],
    [{ store: 'redis://h', redisSentinels: 'h1:26379' }, 'redisSentinelName: required with redisSentinels (the master name the sentinels monitor)'],
    [{ store: 'redis://h', redisSentinelName: 'm' }, 'redisSentinelName: only meaningful with redisSentinels'],
    [{ store: 'redis://h', redisSentinels: 'h1', redisSentinelName: 'm' }, 'redisSentinels: expected host:port[,host:port...], got "h1" in "h1"'],
    [{ store: 'redis://h', redisSentinels: 'h1:1,h2:70000', redisSentinelName: 'm' }, 'redisSentinels: expected host:port[,host:port...], got "h2:70000" in "h1:1,h2:70000"'],
    [{ store: 'redis://h', redisPrefix: '' }, 'redisPrefix: expected a non-empty prefix without spaces, got ""'],
    [{ store: 'redis://h:6379/db1' }, 'store: the path of the URL must be a database number, as in redis://host:6379/0; got "/db1"'],
  ])('rejects %j with one clear line', async (settings, message) => {
    const error = await createStore(settings).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(StoreSettingsError);
    expect((error as Error).message).toBe(message);
    expect((error as Error).message).not.toContain('\n');
  });
});
