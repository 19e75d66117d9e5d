// What a RedisStore is told, and the ioredis options that give it the store's
// rules: no offline queue (calls fail at once while disconnected), nothing
// resent after a reconnect (a heartbeat must never count twice), reconnection
// forever in the background.

import type { RedisOptions } from 'ioredis';
import type { ConnectionOptions } from 'node:tls';

export interface RedisStoreOptions {
  /** `redis://` or `rediss://` (TLS) URL; with `sentinels`, only its password and db are used. */
  url: string;
  /** Overrides a password in the URL. */
  password?: string;
  /** TLS for the Redis connections (implied by `rediss://`); options are passed to `tls.connect`. */
  tls?: boolean | ConnectionOptions;
  /** Sentinels to ask for the current master of `sentinelName`. */
  sentinels?: Array<{ host: string; port: number }>;
  sentinelName?: string;
  /** Prefix of every key and of the events channel; default `flipdns:`. */
  prefix?: string;
  /** How long start() waits for Redis before failing; default 10 000 ms. */
  connectTimeoutMs?: number;
  /** A call with no reply after this long fails as unavailable; default 5 000 ms. */
  commandTimeoutMs?: number;
}

const MAX_RECONNECT_DELAY_MS = 1000;

export function ioredisOptions(options: RedisStoreOptions): RedisOptions {
  const tls = options.tls === true ? {} : options.tls || undefined;
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    // In-flight calls fail as soon as the connection drops instead of waiting for a reconnect.
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // The store resubscribes itself, so that it knows when events flow again.
    autoResubscribe: false,
    commandTimeout: options.commandTimeoutMs ?? 5000,
    retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    ...(options.password !== undefined && { password: options.password }),
    ...(tls && { tls }),
    ...(options.sentinels && {
      sentinels: options.sentinels,
      name: options.sentinelName,
      // Without it ioredis ignores \`tls\` for the master it finds through the sentinels.
      enableTLSForSentinelMode: tls !== undefined,
      // Follow a failover as the sentinels announce it (+switch-master). Without it the connection stays on the
      // old master until Sentinel demotes it (about 10 s), and every heartbeat and decision written there is lost.
      failoverDetector: true,
    }),
  };
}

/** Where the store connects, for messages: the URL without its password, or the sentinels. */
export function describeRedisTarget(options: RedisStoreOptions): string {
  if (options.sentinels) {
    const sentinels = options.sentinels.map((s) => `${s.host}:${s.port}`).join(',');
    return `master "${options.sentinelName}" via sentinels ${sentinels}`;
  }
  try {
    const url = new URL(options.url);
    url.password = '';
    url.username = '';
    return url.toString();
  } catch {
    return 'an unparsable URL';
  }
}
