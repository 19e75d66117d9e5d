// Real caching resolvers for drills and tests, each started in a lab with a
// stub (unbound) or forward (BIND) zone pointing at our servers, root hints on
// loopback where nothing answers, no DNSSEC validation (our test zone is not
// signed and the real root is out of reach), and no control channel. Each one
// queries from its own loopback address, so the ledger tells them apart.

import { writeFileSync } from 'node:fs';
import type { Behaviour } from '../probe/classify.js';
import { ask, type Target } from '../probe/observe.js';
import { type Lab, type LabProcess, findBinary } from './lab.js';
import { getFreePort } from './ports.js';

export type ResolverVariant = 'unbound' | 'unbound-clamp' | 'unbound-serve-expired' | 'unbound-prefetch' | 'bind';

export interface VariantInfo {
  description: string;
  /** Whether its cache keeps an answer no longer than our TTL (plus the whole second), so the ledger's bound holds for it. */
  honoursTtl: boolean;
  /** What the probe should find. */
  behaviour: Behaviour;
  /** The TTLs (seconds) with which the behaviour shows; with others the resolver looks as if it honoured the TTL. */
  shows(ttl: number): boolean;
  /** Why it does not show with other TTLs. */
  hidden?: string;
}

export const RESOLVER_VARIANTS: Record<ResolverVariant, VariantInfo> = {
  unbound: { description: 'unbound, defaults', honoursTtl: true, behaviour: 'honours', shows: () => true },
  // A floor of 30 s changes nothing for TTLs of 30 s or more.
  'unbound-clamp': { description: 'unbound, cache-min-ttl: 30 (an ISP-style floor)', honoursTtl: false, behaviour: 'clamps', shows: (ttl) => ttl < 30, hidden: 'a 30 s floor does not bite' },
  // Its stale replies carry TTL 30: with our TTL at 29-30 they look like fresh copies.
  'unbound-serve-expired': {
    description: 'unbound, serve-expired: yes (serve-expired-ttl 86400, reply TTL 30, client timeout 0)',
    honoursTtl: false,
    behaviour: 'serves-stale',
    shows: (ttl) => ttl < 29 || ttl > 30,
    hidden: 'its stale replies carry TTL 30, like fresh copies',
  },
  // unbound prefetches in the last tenth of the TTL, counted in whole seconds: below 10 s only in
  // the last second, which the probe cannot tell from an honest renewal.
  'unbound-prefetch': { description: 'unbound, prefetch: yes', honoursTtl: true, behaviour: 'prefetches', shows: (ttl) => ttl >= 10, hidden: 'it prefetches only in the last second' },
  // BIND's default `prefetch 2 9`: answers of 9 s or more are renewed when 2 s are left.
  bind: { description: 'BIND 9 as a forwarder, its defaults (prefetch 2 9)', honoursTtl: true, behaviour: 'prefetches', shows: (ttl) => ttl >= 9, hidden: 'it prefetches answers of 9 s or more' },
};

/** What the probe should call a variant's behaviour with this TTL. */
export function expectedBehaviour(variant: ResolverVariant, ttl: number): Behaviour {
  const info = RESOLVER_VARIANTS[variant];
  return info.shows(ttl) ? info.behaviour : 'honours';
}

export const ALL_VARIANTS = Object.keys(RESOLVER_VARIANTS) as ResolverVariant[];

export interface ResolverSpec {
  variant: ResolverVariant;
  /** Loopback address it queries our servers from, and listens on (unbound). */
  source: string;
  /** The zone it sends to `authorities`. */
  zone: string;
  authorities: Array<{ host: string; port: number }>;
}

export interface RunningResolver {
  variant: ResolverVariant;
  source: string;
  target: Target;
  process: LabProcess;
}

const READY_TIMEOUT_MS = 15_000;

export async function startResolver(lab: Lab, spec: ResolverSpec): Promise<RunningResolver> {
  writeFileSync(lab.path('root.hints'), '.  3600000 IN NS a.root.lab.\na.root.lab. 3600000 IN A 127.0.1.254\n');
  const name = `resolver-${spec.variant}-${spec.source}`;
  let target: Target;
  let proc: LabProcess;
  if (spec.variant === 'bind') {
    // BIND listens only on addresses configured on an interface: 127.0.0.1, with a port of its own.
    const port = await getFreePort('127.0.0.1');
    target = { label: spec.variant, host: '127.0.0.1', port };
    const conf = lab.path(`${name}.conf`);
    writeFileSync(conf, namedConf(lab, spec, port));
    proc = lab.spawn(name, findBinary('named', 'bind9'), ['-g', '-4', '-n', '1', '-c', conf]);
  } else {
    const port = await getFreePort(spec.source);
    target = { label: spec.variant, host: spec.source, port };
    const conf = lab.path(`${name}.conf`);
    writeFileSync(conf, unboundConf(lab, spec, port));
    proc = lab.spawn(name, findBinary('unbound', 'unbound'), ['-d', '-c', conf]);
  }
  await waitUntilAnswering(target, spec.zone, proc);
  return { variant: spec.variant, source: spec.source, target, process: proc };
}

function unboundConf(lab: Lab, spec: ResolverSpec, port: number): string {
  const extra: Record<ResolverVariant, string[]> = {
    unbound: [],
    'unbound-clamp': ['cache-min-ttl: 30'],
    'unbound-serve-expired': ['serve-expired: yes', 'serve-expired-ttl: 86400', 'serve-expired-reply-ttl: 30', 'serve-expired-client-timeout: 0'],
    'unbound-prefetch': ['prefetch: yes'],
    bind: [],
  };
  const server = [
    `interface: ${spec.source}@${port}`,
    `outgoing-interface: ${spec.source}`,
    'do-ip6: no',
    'do-daemonize: no',
    'username: ""',
    'chroot: ""',
    `directory: "${lab.dir}"`,
    'pidfile: ""',
    'use-syslog: no',
    'verbosity: 1',
    'num-threads: 1',
    `root-hints: "${lab.path('root.hints')}"`,
    'do-not-query-localhost: no',
    'module-config: "iterator"',
    'access-control: 127.0.0.0/8 allow',
    // unbound answers the RFC 6761 names (test., invalid., ...) itself unless told not to.
    `local-zone: "${topLabel(spec.zone)}." nodefault`,
    ...extra[spec.variant],
  ];
  return [
    'server:',
    ...server.map((line) => `  ${line}`),
    'remote-control:',
    '  control-enable: no',
    'stub-zone:',
    `  name: "${spec.zone}"`,
    ...spec.authorities.map((a) => `  stub-addr: ${a.host}@${a.port}`),
    '',
  ].join('\n');
}

function namedConf(lab: Lab, spec: ResolverSpec, port: number): string {
  return `options {
  directory "${lab.dir}";
  pid-file none;
  session-keyfile none;
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  query-source address ${spec.source};
  recursion yes;
  allow-query { 127.0.0.0/8; };
  dnssec-validation no;
  notify no;
};
controls { };
zone "." { type hint; file "${lab.path('root.hints')}"; };
zone "${spec.zone}" { type forward; forward only; forwarders { ${spec.authorities.map((a) => `${a.host} port ${a.port};`).join(' ')} }; };
`;
}

function topLabel(zone: string): string {
  const labels = zone.replace(/\.$/, '').split('.');
  return labels[labels.length - 1];
}

async function waitUntilAnswering(target: Target, zone: string, proc: LabProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    if (!proc.running()) throw new Error(`${proc.name} exited before answering: ${proc.tail(5)}`);
    const o = await ask(target, { name: zone, type: 'A' }, 300);
    if (o.rcode !== undefined) return;
    if (Date.now() > deadline) throw new Error(`${proc.name} did not answer on ${target.host}:${target.port} within ${READY_TIMEOUT_MS} ms: ${proc.tail(5)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
