// Turns the `store` settings into a started HealthStore: `embedded`, or a
// Redis URL with its options. Mistakes in the settings fail here with one line
// naming the setting, before anything connects.

import { EmbeddedStore } from './embedded-store.js';
import { RedisStore, type RedisStoreOptions } from './redis-store.js';
import { type HealthStore, StoreSettingsError } from './store.js';

export { StoreSettingsError };

export interface StoreSettings {
  /** `embedded`, or a `redis://` / `rediss://` URL. */
  store: string;
  redisPassword?: string;
  redisTls?: boolean;
  /** Sentinels as `host:port,host:port`. */
  redisSentinels?: string;
  /** The master name the sentinels know; required with `redisSentinels`. */
  redisSentinelName?: string;
  redisPrefix?: string;
}


/** The store the settings describe, started (connected, for Redis). */
export async function createStore(settings: StoreSettings): Promise<HealthStore> {
  if (settings.store === 'embedded') return new EmbeddedStore();
  const store = new RedisStore(redisStoreOptions(settings));
  await store.start();
  return store;
}

/** The RedisStore options for the settings, or a StoreSettingsError. */
export function redisStoreOptions(settings: StoreSettings): RedisStoreOptions {
  const { store: url } = settings;
  if (!/^rediss?:\/\//i.test(url)) {
    throw new StoreSettingsError(`store: expected "embedded" or a redis:// or rediss:// URL, got ${JSON.stringify(url)}`);
  }
  if (!URL.canParse(url)) throw new StoreSettingsError(`store: not a valid URL: ${JSON.stringify(url)}`);
  if (!/^\/?\d*$/.test(new URL(url).pathname)) throw new StoreSettingsError(`store: the path of the URL must be a database number, as in redis://host:6379/0; got ${JSON.stringify(new URL(url).pathname)}`);
  const sentinels = settings.redisSentinels === undefined ? undefined : parseSentinels(settings.redisSentinels);
  if (sentinels && !settings.redisSentinelName) {
    throw new StoreSettingsError('redisSentinelName: required with redisSentinels (the master name the sentinels monitor)');
  }
  if (!sentinels && settings.redisSentinelName !== undefined) {
    throw new StoreSettingsError('redisSentinelName: only meaningful with redisSentinels');
  }
  const prefix = settings.redisPrefix;
  if (prefix !== undefined && !/^\S+$/.test(prefix)) {
    throw new StoreSettingsError(`redisPrefix: expected a non-empty prefix without spaces, got ${JSON.stringify(prefix)}`);
  }
  return {
    url,
    ...(settings.redisPassword !== undefined && { password: settings.redisPassword }),
    ...(settings.redisTls && { tls: true }),
    ...(sentinels && { sentinels, sentinelName: settings.redisSentinelName }),
    ...(prefix !== undefined && { prefix }),
  };
}

function parseSentinels(list: string): Array<{ host: string; port: number }> {
  const entries = list.split(',').map((entry) => entry.trim());
  return entries.map((entry) => {
    // The last colon splits, so that bracketed IPv6 hosts keep theirs.
    const match = /^(.+):(\d{1,5})$/.exec(entry);
    const port = match ? Number(match[2]) : 0;
    if (!match || port < 1 || port > 65535) {
      throw new StoreSettingsError(`redisSentinels: expected host:port[,host:port...], got ${JSON.stringify(entry)} in ${JSON.stringify(list)}`);
    }
    return { host: match[1].replace(/^\[(.*)\]$/, '$1'), port };
  });
}
