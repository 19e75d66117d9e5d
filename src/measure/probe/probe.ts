// `flipdns probe`: asks resolvers for a name at a short interval, next to the
// authority itself, and reports per resolver what it handed out over time, how
// it treats our TTL (with the evidence), and, when the authority's answer
// changed meanwhile, how long each kept the old one.

import { type Classification, type Copy, classify } from './classify.js';
import { type AnswerChange, type ResolverAfterChange, afterChange, answerChanges } from './flips.js';
import { type Observation, Poller, type Question, type Target, ask, wallClock } from './observe.js';

export interface ProbeOptions {
  question: Question;
  resolvers: Target[];
  /** Where our TTL and the moment of a flip are read; or `ttl` when there is none to ask. */
  authority?: Target;
  ttl?: number;
  intervalMs: number;
  /** Default: two of our TTLs and 2 s, at least 10 s. */
  durationMs?: number;
  signal?: AbortSignal;
}

export interface ResolverProbe {
  resolver: string;
  queries: number;
  failures: number;
  /** Lowest and highest TTL it returned. */
  ttls?: [number, number];
  class: Classification['class'];
  seen: Classification['seen'];
  /** What it handed out over time, one entry per cached copy. */
  copies: Copy[];
  /** Per change of the authority's answer. */
  afterChanges: ResolverAfterChange[];
}

export interface ProbeReport {
  question: Question;
  ttl: number;
  ttlFrom: string;
  intervalMs: number;
  startedAt: number;
  endedAt: number;
  changes: AnswerChange[];
  resolvers: ResolverProbe[];
}

export class ProbeError extends Error {
  override name = 'ProbeError';
}

export async function runProbe(options: ProbeOptions): Promise<ProbeReport> {
  const { question, intervalMs } = options;
  let ttl = options.ttl;
  let ttlFrom = 'given';
  if (options.authority !== undefined) {
    const first = await ask(options.authority, question, 2000);
    if (first.ttl === undefined) {
      const why = first.error ?? `${first.rcode} with no ${question.type} records`;
      throw new ProbeError(`the authority ${options.authority.label} gave no answer for ${question.name} ${question.type} (${why}): give --authority HOST[:PORT] or --ttl SECONDS`);
    }
    ttl ??= first.ttl;
    ttlFrom = options.ttl === undefined ? `the authority ${options.authority.label}` : 'given';
  }
  if (ttl === undefined) throw new ProbeError('give --authority HOST[:PORT] or --ttl SECONDS: the probe needs our TTL to judge the resolvers by');
  const durationMs = options.durationMs ?? Math.max(10_000, (2 * ttl + 2) * 1000);

  const pollers = options.resolvers.map((target) => new Poller(target, question, intervalMs));
  const authority = options.authority ? new Poller(options.authority, question, intervalMs) : undefined;
  const startedAt = wallClock();
  for (const poller of [...pollers, ...(authority ? [authority] : [])]) poller.start();
  await sleep(durationMs, options.signal);
  await Promise.all([...pollers, ...(authority ? [authority] : [])].map((poller) => poller.stop()));
  const asked = authority ? sorted(authority.observations) : [];
  const changes = answerChanges(asked);
  // Judged by the TTL the authority gave at the time, as it may vary (adaptive pools); else the one given.
  const ttlAt = options.ttl === undefined ? authorityTtl(asked, ttl) : ttl;
  return {
    question,
    ttl,
    ttlFrom,
    intervalMs,
    startedAt,
    endedAt: wallClock(),
    changes,
    resolvers: pollers.map((poller) => resolverProbe(poller.target.label, sorted(poller.observations), ttlAt, changes)),
  };
}

/** The TTL of the authority's last answer at or before a moment (its first, before any). */
function authorityTtl(asked: Observation[], fallback: number): (at: number) => number {
  const answers = asked.filter((o) => o.ttl !== undefined);
  return (at) => {
    let ttl = answers[0]?.ttl ?? fallback;
    for (const o of answers) {
      if (o.at > at) break;
      ttl = o.ttl!;
    }
    return ttl;
  };
}

/** What one resolver's observations say. */
function resolverProbe(resolver: string, observations: Observation[], ttl: number | ((at: number) => number), changes: AnswerChange[]): ResolverProbe {
  const ttls = observations.flatMap((o) => (o.ttl === undefined ? [] : [o.ttl]));
  const { class: kind, seen, copies } = classify(observations, ttl);
  return {
    resolver,
    queries: observations.length,
    failures: observations.filter((o) => o.values === undefined).length,
    ...(ttls.length > 0 && { ttls: [Math.min(...ttls), Math.max(...ttls)] as [number, number] }),
    class: kind,
    seen,
    copies,
    afterChanges: changes.map((change) => afterChange(observations, change)),
  };
}

function sorted(observations: Observation[]): Observation[] {
  return [...observations].sort((a, b) => a.at - b.at);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
