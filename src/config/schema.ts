// The one configuration schema. Command-line flags, FLIPDNS_* environment
// variables and the JSON config file are all derived from this table, so they
// cannot disagree; docs/configuration.md is checked against it by a test.

import { hostname } from 'node:os';

interface Setting<T> {
  description: string;
  /** Parses and validates a value coming from a flag, the environment or the file; throws a message on bad input. */
  parse(raw: unknown): T;
  default: T | (() => T);
  /** Placeholder in --help and the docs. */
  arg: string;
}

function integer(min: number, max: number): (raw: unknown) => number {
  return (raw) => {
    const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`must be an integer from ${min} to ${max}`);
    return value;
  };
}

function fraction(raw: unknown): number {
  const value = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!(value >= 0 && value <= 1)) throw new Error('must be a number from 0 to 1');
  return value;
}

function text(raw: unknown): string {
  if (typeof raw !== 'string' || raw.length === 0) throw new Error('must be a non-empty string');
  return raw;
}

function oneOf<T extends string>(...values: T[]): (raw: unknown) => T {
  return (raw) => {
    if (typeof raw !== 'string' || !values.includes(raw as T)) throw new Error(`must be one of ${values.join(', ')}`);
    return raw as T;
  };
}

function flag(raw: unknown): boolean {
  if (raw === true || raw === false) return raw;
  if (raw === 'true' || raw === '1' || raw === 'yes') return true;
  if (raw === 'false' || raw === '0' || raw === 'no') return false;
  throw new Error('must be true or false');
}

function storeLocation(raw: unknown): string {
  const value = text(raw);
  if (value !== 'embedded' && !/^rediss?:\/\/./.test(value)) throw new Error('must be "embedded" or a redis:// or rediss:// URL');
  return value;
}

function address(raw: unknown): string {
  const value = text(raw);
  if (!/^[0-9a-fA-F:.]+$/.test(value)) throw new Error('must be an IPv4 or IPv6 address');
  return value;
}

export const SCHEMA = {
  zones: { description: 'Folder of zone files (*.zone) to serve.', parse: text, default: 'zones', arg: 'DIR' },
  host: { description: 'Address the DNS server listens on (UDP and TCP).', parse: address, default: '127.0.0.1', arg: 'ADDR' },
  port: { description: 'DNS port (UDP and TCP).', parse: integer(1, 65535), default: 5300, arg: 'PORT' },
  httpHost: { description: 'Address of the HTTP endpoint (/metrics, /healthz).', parse: address, default: '127.0.0.1', arg: 'ADDR' },
  httpPort: { description: 'HTTP port; 0 turns the HTTP endpoint off.', parse: integer(0, 65535), default: 8053, arg: 'PORT' },
  workers: { description: 'DNS worker processes sharing the port.', parse: integer(1, 64), default: 1, arg: 'N' },
  id: { description: 'Instance id, answered to CHAOS TXT id.server and hostname.bind, and in every log line.', parse: text, default: () => hostname(), arg: 'ID' },
  serverVersion: { description: 'Answer to CHAOS TXT version.bind and version.server; unset refuses them.', parse: text, default: undefined as string | undefined, arg: 'TEXT' },
  ednsPayload: { description: 'EDNS UDP payload size we advertise and cap UDP answers at (RFC 6891; 1232 avoids fragmentation).', parse: integer(512, 4096), default: 1232, arg: 'BYTES' },
  tcpIdleTimeout: { description: 'Milliseconds a TCP connection may stay idle before it is closed (RFC 7766 §6.2.3).', parse: integer(100, 600000), default: 10000, arg: 'MS' },
  tcpMaxConnections: { description: 'Simultaneous TCP connections per worker; more are refused.', parse: integer(1, 100000), default: 1000, arg: 'N' },
  answerCacheEntries: { description: 'Precompiled responses kept per worker; the cache is emptied when it fills.', parse: integer(1, 10000000), default: 200000, arg: 'N' },
  store: { description: 'Where health and run-time changes live: `embedded` (this process only) or a `redis://` / `rediss://` URL shared by every instance.', parse: storeLocation, default: 'embedded', arg: 'URL' },
  storeWait: { description: 'Milliseconds a starting instance waits for the health store before it serves DNS without the shared state: static zones, and pools answered as `poolsWithoutState` says, until the store answers.', parse: integer(0, 600000), default: 5000, arg: 'MS' },
  poolsWithoutState: { description: 'What pools answer while the instance has not read the shared state (the store unreachable since the start): `servfail`, so resolvers ask another name server, or `startup-rule`, each pool by its `startup` setting.', parse: oneOf('servfail', 'startup-rule'), default: 'servfail', arg: 'ANSWER' },
  redisPassword: { description: 'Redis password, when not in the URL.', parse: text, default: undefined as string | undefined, arg: 'PASSWORD' },
  redisTls: { description: 'Use TLS to Redis (implied by rediss://).', parse: flag, default: false, arg: 'BOOL' },
  redisSentinels: { description: 'Redis Sentinel addresses, `host:port,host:port`; the URL then only gives credentials and database.', parse: text, default: undefined as string | undefined, arg: 'LIST' },
  redisSentinelName: { description: 'Name of the master the Sentinels monitor; required with `redisSentinels`.', parse: text, default: undefined as string | undefined, arg: 'NAME' },
  redisPrefix: { description: 'Prefix of every Redis key and channel, so instances of different deployments can share a Redis.', parse: text, default: 'flipdns:', arg: 'PREFIX' },
  adminToken: { description: 'Bearer token of the admin API; unset: the token in `adminTokenFile`, generated at the first start that finds no file.', parse: text, default: undefined as string | undefined, arg: 'TOKEN' },
  adminTokenFile: { description: 'Where the generated admin token is kept (mode 0600): read by later starts and by the CLI.', parse: text, default: '.flipdns/admin-token', arg: 'FILE' },
  logLevel: { description: 'Log level.', parse: oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), default: 'info', arg: 'LEVEL' },
  ledger: { description: 'Staleness ledger: remember which resolver was last served which version of each pool answer, to say after a flip which may still hold the old one (docs/staleness.md).', parse: flag, default: true, arg: 'BOOL' },
  ledgerEntries: { description: '(Resolver, pool) pairs the staleness ledger keeps per worker, about 300 bytes each; beyond it the resolver first seen longest ago is evicted, with all its entries, and counted.', parse: integer(1, 10000000), default: 100000, arg: 'N' },
  ledgerFlips: { description: 'Flips the staleness ledger keeps per pool.', parse: integer(1, 1000), default: 10, arg: 'N' },
  ledgerWatch: { description: 'Seconds after a flip during which the ledger watches for resolvers asking again.', parse: integer(1, 86400), default: 300, arg: 'SECONDS' },
  queryLog: { description: 'Share of queries logged, from 0 (none) to 1 (all).', parse: fraction, default: 0, arg: 'FRACTION' },
} satisfies Record<string, Setting<unknown>>;

export type ConfigKey = keyof typeof SCHEMA;
export type Config = { [K in ConfigKey]: ReturnType<(typeof SCHEMA)[K]['parse']> | Extract<(typeof SCHEMA)[K]['default'], undefined> };

/** `httpPort` → `--http-port`. */
export function flagFor(key: ConfigKey): string {
  return '--' + key.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());
}

/** `httpPort` → `FLIPDNS_HTTP_PORT`. */
export function envFor(key: ConfigKey): string {
  return 'FLIPDNS_' + key.replace(/[A-Z]/g, (c) => '_' + c).toUpperCase();
}

export const CONFIG_FILE_FLAG = '--config';
export const CONFIG_FILE_ENV = 'FLIPDNS_CONFIG';
