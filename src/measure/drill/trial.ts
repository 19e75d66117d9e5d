// One failover, end to end: build the world, start the resolvers and the
// traffic, wait a random part of a cache cycle, fail the primary, and record
// what everyone saw. Every time is in ms after the failure (T0) on the drill's
// clock; the servers' clocks are brought onto it by reading theirs.

import type { StalenessView } from '../ledger/view.js';
import { type Classification, classify } from '../probe/classify.js';
import { afterChange } from '../probe/flips.js';
import { type Observation, ask, wallClock } from '../probe/observe.js';
import { Lab } from './lab.js';
import { RESOLVER_VARIANTS, type ResolverVariant, type RunningResolver, startResolver } from './resolvers.js';
import { Traffic, seededRandom } from './traffic.js';
import { BACKUP, type Fault, type FlipdnsInstance, POOL_NAME, PRIMARY, type World, ZONE, buildWorld } from './world.js';

export interface DrillSettings {
  ttl: number;
  intervalMs: number;
  fall: number;
  rise: number;
  resolvers: ResolverVariant[];
  clients: number;
  /** Lookups per second per client. */
  rate: number;
  store: 'embedded' | 'redis';
  fault: Fault;
  ttlPolicy: 'static' | 'adaptive';
  /** Seconds observed after the failure. */
  observe: number;
  /** The random warm-up before the failure is drawn from [0, warmup) seconds. */
  warmup: number;
}

export interface ResolverOutcome {
  variant: ResolverVariant;
  description: string;
  /** The address it queries flipdns from: the ledger's name for it. */
  source: string;
  probe: { class: Classification['class']; evidence: string[] };
  /** Last time it handed out the dead address, first time the backup's, and the backup's for good. */
  lastDead?: number;
  firstNew?: number;
  stableNew?: number;
  /** How long after the flip it still handed out the dead address (0: never after the flip). */
  staleAfterFlip: number;
  polls: number;
  lookups: number;
  deadLookups: number;
  failedLookups: number;
  /** Client lookups per second since the failure: [lookups, to the dead address, failed]. */
  bins: Array<[number, number, number]>;
  /** What the ledgers said of this resolver at the flip, if it was stale then. */
  ledger?: { lastServed: number; ttl: number; bound: number; class: string; instances: string[] };
}

export interface TrialOutcome {
  seed: number;
  /** The random warm-up drawn, ms. */
  warmupMs: number;
  /** The failure, on the drill's wall clock. */
  t0: number;
  /** The down decision (store clock, brought onto the drill's). */
  decision: number;
  /** Each instance's first answer with the backup. */
  instances: Array<{ id: string; flip: number }>;
  /** Queries the resolvers sent flipdns (every instance) from the failure to the end of the observation. */
  resolverQueries: number;
  /** Before the failure, in steady state: queries per second the resolvers sent flipdns, and times a node turned late. */
  steady: { queriesPerSecond: number; lateEvents: number; seconds: number };
  resolvers: ResolverOutcome[];
}

const POLL_INTERVAL_MS = 50;
/** Steady state is counted from this long after the traffic starts (the caches are filled by then). */
const STEADY_FROM_MS = 3000;
const QUESTION = { name: POOL_NAME, type: 'A' } as const;

export async function runTrial(settings: DrillSettings, seed: number, progress: (line: string) => void): Promise<TrialOutcome> {
  const random = seededRandom(seed);
  const lab = new Lab('flipdns-lab-drill-');
  lab.closeOnSignals();
  try {
    const world = await buildWorld(lab, settings);
    try {
      const resolvers = await Promise.all(
        settings.resolvers.map((variant, i) =>
          startResolver(lab, { variant, source: `127.0.1.${i + 1}`, zone: ZONE, authorities: world.instances.map((instance) => ({ host: '127.0.0.1', port: instance.dnsPort })) }),
        ),
      );
      const traffic = new Traffic(
        resolvers.map((r) => r.target),
        QUESTION,
        { pollIntervalMs: POLL_INTERVAL_MS, clients: settings.clients, rate: settings.rate, random },
      );
      traffic.start();
      const warmupMs = Math.round(STEADY_FROM_MS + 1000 + random() * settings.warmup * 1000);
      progress(`traffic through ${resolvers.length} resolvers; failing the primary in ${(warmupMs / 1000).toFixed(1)} s`);
      await sleep(STEADY_FROM_MS);
      const steadyFrom = { at: wallClock(), ...(await counters(world.instances)) };
      await sleep(warmupMs - STEADY_FROM_MS);

      const storeOffset = await clockOffset(() => world.status(world.instances[0]).then((view) => view.now));
      const { queries: queriesBefore, late: lateBefore } = await counters(world.instances);
      const steadySeconds = (wallClock() - steadyFrom.at) / 1000;
      const steady = { queriesPerSecond: (queriesBefore - steadyFrom.queries) / steadySeconds, lateEvents: lateBefore - steadyFrom.late, seconds: steadySeconds };
      const flips = world.instances.map((instance) => watchFlip(instance));
      const t0 = await world.failPrimary(settings.fault, wallClock);
      const instances = await Promise.all(flips);
      const decision = (await waitForDecision(world)) - storeOffset;
      progress(`decided ${Math.round(decision - t0)} ms after the failure; every instance answers the backup ${Math.round(Math.max(...instances.map((i) => i.flip)) - t0)} ms after it; observing ${settings.observe} s`);
      await sleep(Math.max(0, t0 + settings.observe * 1000 - wallClock()));
      await traffic.stop();
      const resolverQueries = (await counters(world.instances)).queries - queriesBefore - sum(instances.map((i) => i.asked));

      const ledgers = await Promise.all(world.instances.map((instance) => staleness(world, instance)));
      const flipAt = Math.min(...instances.map((i) => i.flip));
      return {
        seed,
        warmupMs,
        t0,
        decision: decision - t0,
        instances: instances.map(({ id, flip }) => ({ id, flip: flip - t0 })),
        resolverQueries,
        steady,
        resolvers: resolvers.map((resolver, i) => outcome(resolver, traffic.pollers[i].observations, traffic.lookups.get(resolver.target.label) ?? [], { t0, flipAt, settings, ledgers })),
      };
    } finally {
      await world.close();
    }
  } finally {
    await lab.close();
  }
}

/** Asks an instance for the pool as fast as it answers until it gives the backup; says how many questions that took. */
async function watchFlip(instance: FlipdnsInstance): Promise<{ id: string; flip: number; asked: number }> {
  const target = { label: instance.id, host: '127.0.0.1', port: instance.dnsPort };
  const deadline = wallClock() + 30_000;
  for (let asked = 1; ; asked++) {
    const o = await ask(target, QUESTION, 200);
    if (o.values?.length === 1 && o.values[0] === BACKUP) return { id: instance.id, flip: o.at, asked };
    if (o.at > deadline) throw new Error(`${instance.id} still did not answer the backup 30 s after the failure`);
  }
}

/**
 * From the instances' /metrics: queries answered so far (all instances), and
 * times a node turned late (the first instance: every instance sees every event).
 */
async function counters(instances: FlipdnsInstance[]): Promise<{ queries: number; late: number }> {
  const texts = await Promise.all(instances.map(async (instance) => (await fetch(`${instance.api}/metrics`)).text()));
  const total = (text: string, pattern: RegExp): number => sum([...text.matchAll(pattern)].map((m) => Number(m[1])));
  return {
    queries: sum(texts.map((text) => total(text, /^flipdns_queries_total\{[^}]*\} (\d+)$/gm))),
    late: total(texts[0], /^flipdns_node_transitions_total\{[^}]*to="late"[^}]*\} (\d+)$/gm),
  };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

async function waitForDecision(world: World): Promise<number> {
  const deadline = wallClock() + 30_000;
  for (;;) {
    const web1 = (await world.status(world.instances[0])).nodes.find((node) => node.id === 'web1');
    if (web1?.health === 'down' && web1.changedAt !== undefined) return web1.changedAt;
    if (wallClock() > deadline) throw new Error('the primary was not decided down within 30 s');
    await sleep(20);
  }
}

/** Another clock minus ours, read a few times; the median, each taken at the middle of its request. */
async function clockOffset(read: () => Promise<number>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    const sent = wallClock();
    const theirs = await read();
    samples.push(theirs - (sent + wallClock()) / 2);
  }
  return samples.sort((a, b) => a - b)[2];
}

async function staleness(world: World, instance: FlipdnsInstance): Promise<{ id: string; view: StalenessView; offset: number }> {
  let view: StalenessView | undefined;
  const offset = await clockOffset(async () => {
    const res = await fetch(`${instance.api}/api/v1/staleness`, { headers: { authorization: `Bearer ${world.adminToken}` } });
    view = (await res.json()) as StalenessView;
    return view.now;
  });
  return { id: instance.id, view: view!, offset };
}

interface Context {
  t0: number;
  flipAt: number;
  settings: DrillSettings;
  ledgers: Array<{ id: string; view: StalenessView; offset: number }>;
}

function outcome(resolver: RunningResolver, polls: Observation[], lookups: Observation[], { t0, flipAt, settings, ledgers }: Context): ResolverOutcome {
  const all = [...polls, ...lookups].sort((a, b) => a.at - b.at);
  const change = { at: flipAt, lastOldAt: t0, from: [PRIMARY], to: [BACKUP] };
  const after = afterChange(all, change);
  const dead = (o: Observation): boolean => o.values?.includes(PRIMARY) === true;
  const bins = Array.from({ length: settings.observe }, (): [number, number, number] => [0, 0, 0]);
  for (const o of lookups) {
    const second = Math.floor((o.at - t0) / 1000);
    if (second < 0 || second >= settings.observe) continue;
    bins[second][0]++;
    if (dead(o)) bins[second][1]++;
    if (o.values === undefined || o.values.length === 0) bins[second][2]++;
  }
  const sinceT0 = lookups.filter((o) => o.at >= t0);
  const { class: kind, seen } = classify(
    [...polls].sort((a, b) => a.at - b.at),
    settings.ttl,
  );
  // An adaptive pool's TTL varies, and the drill does not watch it: the probe's verdict would be a guess.
  const probe = settings.ttlPolicy === 'adaptive' ? { class: 'undetermined' as const, evidence: ['the pool TTL varies (adaptive): not classified'] } : { class: kind, evidence: seen.map((s) => `${s.behaviour}: ${s.first.what}`) };
  const rel = (at: number | undefined): number | undefined => (at === undefined ? undefined : Math.round(at - t0));
  return {
    variant: resolver.variant,
    description: RESOLVER_VARIANTS[resolver.variant].description,
    source: resolver.source,
    probe,
    lastDead: rel(after.lastOld),
    firstNew: rel(after.firstNew),
    stableNew: rel(after.stableNew),
    staleAfterFlip: Math.round(after.staleMs),
    polls: polls.length,
    lookups: sinceT0.length,
    deadLookups: sinceT0.filter(dead).length,
    failedLookups: sinceT0.filter((o) => o.values === undefined || o.values.length === 0).length,
    bins,
    ledger: ledgerOf(resolver.source, ledgers, t0),
  };
}

/** The ledgers' word on one resolver at the flip: the latest bound any instance gave it. */
function ledgerOf(source: string, ledgers: Context['ledgers'], t0: number): ResolverOutcome['ledger'] {
  let found: ResolverOutcome['ledger'];
  for (const { id, view, offset } of ledgers) {
    const pool = view.pools.find((p) => p.key === `${POOL_NAME}./A`);
    const flip = pool?.flips.find((f) => f.at - offset >= t0 - 1000);
    const window = flip?.resolvers.find((w) => w.resolver === source);
    if (window === undefined) continue;
    const bound = Math.round(window.bound - offset - t0);
    if (found === undefined || bound > found.bound) found = { lastServed: Math.round(window.lastServed - offset - t0), ttl: window.ttl, bound, class: window.class, instances: [...(found?.instances ?? []), id] };
    else found.instances.push(id);
  }
  return found;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
