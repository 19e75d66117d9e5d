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

/** A bearer token: what survives headers, shells and env files unchanged, and long enough not to guess. */
function token(raw: unknown): string {
  if (typeof raw !== 'string' || !/^[\x21-\x7e]{16,256}$/.test(raw)) throw new Error('must be 16 to 256 printable ASCII characters, no spaces (`openssl rand -base64 32` makes one)');
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
  httpHost: { description: 'Address of the HTTP listener: /metrics, /healthz and the admin API (docs/security.md).', parse: address, default: '127.0.0.1', arg: 'ADDR' },
  httpPort: { description: 'HTTP port; 0 turns HTTP off (the metrics listener too).', parse: integer(0, 65535), default: 8053, arg: 'PORT' },
  httpTlsCert: { description: 'PEM certificate file (with its chain) of the HTTP listeners: with `httpTlsKey` they speak HTTPS only.', parse: text, default: undefined as string | undefined, arg: 'FILE' },
  httpTlsKey: { description: 'PEM private key file of `httpTlsCert`.', parse: text, default: undefined as string | undefined, arg: 'FILE' },
  httpMaxConnections: { description: 'Simultaneous connections per HTTP listener; at the cap, a new one closes one that holds no request (first one that has sent none yet, then the one idle longest), so heartbeats get through a flood.', parse: integer(1, 100000), default: 256, arg: 'N' },
  httpHeadersTimeout: { description: 'Milliseconds an HTTP client has, from connecting (TLS handshake included) or from starting a request, to send all its headers.', parse: integer(100, 600000), default: 10000, arg: 'MS' },
  httpRequestTimeout: { description: 'Milliseconds an HTTP request may take, from its start to the end of its body; at least `httpHeadersTimeout`.', parse: integer(100, 600000), default: 15000, arg: 'MS' },
  httpKeepAliveTimeout: { description: 'Milliseconds an idle HTTP connection is kept for its next request.', parse: integer(100, 600000), default: 5000, arg: 'MS' },
  httpAuthFailures: { description: 'Refused authentications a second (in bursts of as many) one client address, an IPv6 /64, may have before its admin API requests get 429 without a check; 0: no limit.', parse: integer(0, 100000), default: 10, arg: 'N' },
  adminApi: { description: 'Serve the admin API (and so heartbeats) on the HTTP listener; `false` leaves /metrics and /healthz only.', parse: flag, default: true, arg: 'BOOL' },
  metricsHost: { description: 'Address of a second HTTP listener with /metrics and /healthz only, never the admin API.', parse: address, default: '127.0.0.1', arg: 'ADDR' },
  metricsPort: { description: 'Port of that second listener; 0 (the default): none.', parse: integer(0, 65535), default: 0, arg: 'PORT' },
  workers: { description: 'DNS worker processes sharing the port.', parse: integer(1, 64), default: 1, arg: 'N' },
  udpTransport: { description: 'How UDP queries are received and answered: `native`, in batches of up to 64 datagrams a system call (recvmmsg/sendmmsg) through the module `npm ci` builds (Linux), which also answers from the address a query was sent to when `host` is a wildcard; `dgram`, one datagram at a time through Node; `auto`, native where the module loads, else dgram. `native` refuses to start without the module.', parse: oneOf('auto', 'native', 'dgram'), default: 'auto', arg: 'TRANSPORT' },
  id: { description: 'Instance id, answered to CHAOS TXT id.server and hostname.bind, and in every log line.', parse: text, default: () => hostname(), arg: 'ID' },
  serverVersion: { description: 'Answer to CHAOS TXT version.bind and version.server; unset refuses them.', parse: text, default: undefined as string | undefined, arg: 'TEXT' },
  ednsPayload: { description: 'EDNS UDP payload size we advertise and cap UDP answers at (RFC 6891; 1232 avoids fragmentation).', parse: integer(512, 4096), default: 1232, arg: 'BYTES' },
  tcpIdleTimeout: { description: 'Milliseconds a TCP connection has, from its start and from each query it sent, to send a whole next query before it is closed (RFC 7766 §6.2.3); bytes trickling in do not extend it, nor do answers the client leaves unread.', parse: integer(100, 600000), default: 10000, arg: 'MS' },
  tcpMaxConnections: { description: 'Simultaneous TCP connections per worker; a new one beyond it closes the connection that has gone longest without a query.', parse: integer(1, 100000), default: 1000, arg: 'N' },
  tcpMaxConnectionsPerClient: { description: 'Simultaneous TCP connections per worker from one client address; more are closed at once (RFC 7766 §6.2.2 asks a client for one).', parse: integer(1, 100000), default: 10, arg: 'N' },
  answerCacheEntries: { description: 'Precompiled responses kept per worker; the cache is emptied when it fills.', parse: integer(1, 10000000), default: 200000, arg: 'N' },
  rrlResponsesPerSecond: { description: 'Response rate limiting of UDP (src/rrl/README.md): responses a second each bucket (a source prefix, a kind of response, a name or zone) gets before the rest are truncated or dropped, with a burst of as many; 0 (the default): off. 200, as NSD suggests, for a server that answers the internet; TCP is never limited.', parse: integer(0, 10000000), default: 0, arg: 'N' },
  rrlSlip: { description: 'Every Nth rate-limited response of a bucket goes out truncated (TC set, question only), so that a real client retries over TCP; the others are dropped. 0: drop all; 1: truncate all.', parse: integer(0, 1000), default: 2, arg: 'N' },
  rrlIpv4Prefix: { description: 'Prefix length by which IPv4 sources share a rate-limiting bucket.', parse: integer(0, 32), default: 24, arg: 'BITS' },
  rrlIpv6Prefix: { description: 'Prefix length by which IPv6 sources share a rate-limiting bucket (at most 64).', parse: integer(0, 64), default: 56, arg: 'BITS' },
  rrlTableEntries: { description: 'Rate-limiting buckets kept per worker, 33 bytes each, allocated only when rate limiting is on; a new bucket takes the slot of the fullest of four, counted as an eviction when that one was still being drawn on.', parse: integer(4, 100000000), default: 100000, arg: 'N' },
  store: { description: 'Where health and run-time changes live: `embedded` (this process only) or a `redis://` / `rediss://` URL shared by every instance.', parse: storeLocation, default: 'embedded', arg: 'URL' },
  storeWait: { description: 'Milliseconds a starting instance waits for the health store before it serves DNS without the shared state: static zones, and pools answered as `poolsWithoutState` says, until the store answers.', parse: integer(0, 600000), default: 5000, arg: 'MS' },
  poolsWithoutState: { description: 'What pools answer while the instance has not read the shared state (the store unreachable since the start): `servfail`, so resolvers ask another name server, or `startup-rule`, each pool by its `startup` setting.', parse: oneOf('servfail', 'startup-rule'), default: 'servfail', arg: 'ANSWER' },
  redisPassword: { description: 'Redis password, when not in the URL.', parse: text, default: undefined as string | undefined, arg: 'PASSWORD' },
  redisTls: { description: 'Use TLS to Redis (implied by rediss://).', parse: flag, default: false, arg: 'BOOL' },
  redisSentinels: { description: 'Redis Sentinel addresses, `host:port,host:port`; the URL then only gives credentials and database.', parse: text, default: undefined as string | undefined, arg: 'LIST' },
  redisSentinelName: { description: 'Name of the master the Sentinels monitor; required with `redisSentinels`.', parse: text, default: undefined as string | undefined, arg: 'NAME' },
  redisPrefix: { description: 'Prefix of every Redis key and channel, so instances of different deployments can share a Redis.', parse: text, default: 'flipdns:', arg: 'PREFIX' },
  adminToken: { description: 'Bearer token of the admin API, for every endpoint but node reports; unset: the token in `adminTokenFile`, generated at the first start that finds no file.', parse: text, default: undefined as string | undefined, arg: 'TOKEN' },
  adminTokenFile: { description: 'Where the generated admin token is kept (mode 0600): read by later starts and by the CLI.', parse: text, default: '.flipdns/admin-token', arg: 'FILE' },
  readToken: { description: 'Bearer token of the admin API for reading only: the GET endpoints (status, records, pools, nodes, staleness); unset: none.', parse: token, default: undefined as string | undefined, arg: 'TOKEN' },
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
