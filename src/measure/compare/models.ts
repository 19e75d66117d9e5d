// What clients' own DNS caches add on top of the resolvers': modelled, not
// measured, from published defaults (sources below). A client that caches an
// answer for C seconds uses, at time t, what its resolver answered at its last
// lookup, t − u with u uniform in [0, C): the share of its requests still sent
// to the dead node is the resolver's curve averaged over the last C seconds
// (and everyone held the primary's address before the failure).

import type { RowResult } from './row.js';

export interface ClientCache {
  client: string;
  /** How long an answer is kept, in seconds, given the record's TTL. */
  holdSeconds(ttl: number): number;
  behaviour: string;
  source: string;
}

export const CLIENT_CACHES: ClientCache[] = [
  {
    client: 'Chrome / Chromium',
    holdSeconds: () => 60,
    behaviour: 'system resolver: 60 s whatever the TTL; built-in resolver: the TTL with a 60 s minimum',
    source: 'chromium net/dns/host_resolver_manager.cc (kCacheEntryTTLSeconds)',
  },
  {
    client: 'Firefox',
    holdSeconds: () => 60,
    behaviour: 'network.dnsCacheExpiration 60 s (plus a 60 s grace in which the old entry is still used while it is renewed)',
    source: 'modules/libpref/init/all.js',
  },
  {
    client: 'Safari / WebKit',
    holdSeconds: () => 60,
    behaviour: 'about 1 min whatever the TTL',
    source: 'ctrl.blog survey of browser DNS caches',
  },
  {
    client: 'Java (no security manager)',
    holdSeconds: () => 30,
    behaviour: 'networkaddress.cache.ttl 30 s whatever the TTL',
    source: 'java.base sun.net.InetAddressCachePolicy',
  },
  {
    client: 'macOS mDNSResponder',
    holdSeconds: (ttl) => Math.min(3600, Math.max(15, 1.25 * ttl + 2)),
    behaviour: '1.25 × TTL + 2 s, at least 15 s, at most 1 h',
    source: 'mDNSResponder mDNSCore/DNSCommon.c',
  },
  {
    client: 'glibc getaddrinfo, Go, Node.js, Python',
    holdSeconds: () => 0,
    behaviour: 'no cache of their own: every lookup asks the resolver (the measured DNS row); connection pools keep old addresses (Go idle connections 90 s)',
    source: 'glibc, Go net, Node dns.lookup',
  },
];

/** The row of one client cache on top of a measured DNS row (resolver curve per second since T0). */
export function clientCacheRow(measured: RowResult, cache: ClientCache, ttl: number): RowResult {
  const hold = cache.holdSeconds(ttl);
  const bySecond = new Map(measured.curve.map(([ms, share]) => [Math.round(ms / 1000), share]));
  const resolverAt = (second: number): number => (second < 0 ? 1 : (bySecond.get(second) ?? 0));
  const last = Math.max(...bySecond.keys()) + Math.ceil(hold);
  const curve: Array<[number, number]> = [];
  for (let second = 0; second <= last; second++) {
    const share = hold === 0 ? resolverAt(second) : averageOver(resolverAt, second, hold);
    curve.push([second * 1000, share]);
  }
  const lastStale = curve.reduce((found, [, share], second) => (share > 0 ? second : found), -1);
  const movedSecond = lastStale + 1;
  return {
    method: 'dns',
    name: `DNS + client cache: ${cache.client} (${hold === 0 ? 'none' : `${Math.round(hold)} s`})`,
    how: 'modelled',
    parameters: { clientCache: cache.behaviour, holdSeconds: Math.round(hold * 100) / 100, ttl, source: cache.source, resolverRow: measured.name },
    phases: { ...measured.phases, movedMs: movedSecond * 1000 },
    curve,
    notes: [
      `Modelled on the measured row "${measured.name}": each client looks the name up again ${hold === 0 ? 'for every request' : `every ${Math.round(hold)} s, at a random phase`}.`,
      'Open connections (keep-alive, pools, streams) stay on the dead address until the application times out or TCP gives up (tcp_retries2 15: about 15 min): not in this curve.',
    ],
  };
}

/** The mean of f over (t − hold, t], f taken as a step function per second. */
function averageOver(f: (second: number) => number, t: number, hold: number): number {
  let total = 0;
  const whole = Math.floor(hold);
  for (let u = 0; u < whole; u++) total += f(t - u);
  total += (hold - whole) * f(t - whole);
  return total / hold;
}
