// DNS redirection, measured: one drill (flipdns, heartbeats from a real agent,
// the node vanishing, real caching resolvers, clients looking the name up
// through them), read as one row per resolver. Then what clients' own caches
// add on top, modelled from the measured curve (models.ts).

import { runTrial } from '../drill/trial.js';
import type { DrillSettings, TrialOutcome } from '../drill/trial.js';
import { RESOLVER_VARIANTS, type ResolverVariant } from '../drill/resolvers.js';
import type { RowContext, RowResult } from './row.js';

export interface DnsOptions {
  ttl: number;
  intervalMs: number;
  fall: number;
  /** Resolvers the clients look up through: one row each. */
  resolvers: ResolverVariant[];
  /** Seconds observed after the failure: long enough for a 30 s floor to run out. */
  observe: number;
}

export const DNS_DEFAULTS: DnsOptions = { ttl: 5, intervalMs: 100, fall: 3, resolvers: ['unbound', 'unbound-clamp'], observe: 40 };

/** Runs one drill trial and returns a row per resolver (the trial is shared: the same failure for each). */
export async function dnsRows(options: DnsOptions, ctx: RowContext): Promise<RowResult[]> {
  const settings: DrillSettings = {
    ttl: options.ttl,
    intervalMs: options.intervalMs,
    fall: options.fall,
    rise: 2,
    resolvers: options.resolvers,
    clients: ctx.short ? 100 : 500,
    rate: 0.2,
    store: 'embedded',
    fault: 'node',
    ttlPolicy: 'static',
    observe: options.observe,
    // The failure at a random phase of the longest cache cycle (a 30 s floor's, when there is one).
    warmup: options.resolvers.includes('unbound-clamp') ? 31 : options.ttl,
  };
  const trial = await runTrial(settings, 1 + ctx.trial, ctx.progress);
  return trial.resolvers.map((resolver) => dnsRow(settings, trial, resolver));
}

function dnsRow(settings: DrillSettings, trial: TrialOutcome, resolver: TrialOutcome['resolvers'][number]): RowResult {
  const redirect = Math.max(...trial.instances.map((instance) => instance.flip));
  const curve = resolver.bins.flatMap(([lookups, dead, failed], second): Array<[number, number]> => (lookups === 0 ? [] : [[second * 1000, (dead + failed) / lookups]]));
  return {
    method: 'dns',
    name: `DNS: flipdns, TTL ${settings.ttl} s, through ${RESOLVER_VARIANTS[resolver.variant].description}`,
    how: 'measured',
    parameters: {
      ttl: settings.ttl,
      heartbeatIntervalMs: settings.intervalMs,
      fall: settings.fall,
      resolver: resolver.variant,
      clients: settings.clients,
      lookupsPerClientPerSecond: settings.rate,
      fault: 'the node vanishes, agent and all (no down report): detection by the heartbeat deadline',
    },
    phases: {
      detectMs: trial.decision,
      decideMs: trial.decision,
      redirectMs: redirect,
      movedMs: resolver.stableNew,
    },
    curve,
    requests: resolver.lookups,
    notes: [
      'Detection and decision are one step: the deadline sweep marks the node down (fall × interval after its last beat).',
      'Redirect: every flipdns instance answers the backup. Clients moved: the resolver hands out the backup for good; each client here looks the name up for every request (no cache of its own: glibc, Go, Node).',
    ],
  };
}
