// How a resolver treats our TTL, told from what it hands out over time. Each
// response gives the moment its copy expires by its TTL (time + TTL); the
// responses of one cached copy count down towards the same moment. Cutting the
// observations into copies shows every behaviour that matters for failover:
//
//   honours     a fresh copy (TTL ours) counts down to 0 and is renewed after it expires
//   clamps      a copy counts down from a TTL above ours: held longer than we asked
//   serves-stale  a copy is handed out again after it expired (RFC 8767 or serve-first-then-refresh);
//               a stale reply with TTL 0 at the instant of expiry looks like the copy's own
//               last second and cannot be seen from outside
//   prefetches  a fresh copy replaces the old one before it expired
//
// Resolvers count whole seconds: a response at time t with TTL n says the copy
// lives until somewhere in [t + n, t + n + 1 s); the latest t + n of a copy's
// responses is its end, to within the polling interval.

import { CLOCK_GRAIN_MS } from '../ledger/ledger.js';
import type { Observation } from './observe.js';

export type Behaviour = 'honours' | 'clamps' | 'serves-stale' | 'prefetches';
/** Most telling first: the class of a resolver is the first behaviour seen in this order. */
export const BEHAVIOURS: Behaviour[] = ['serves-stale', 'clamps', 'prefetches', 'honours'];
export type ResolverClass = Behaviour | 'undetermined';

/**
 * A renewal this much before the copy's end is a prefetch. Below it, whole-second
 * clocks blur the two: BIND drops a copy as its TTL reaches 0 (a second before
 * unbound, which still answers it with TTL 0), so an honest BIND renewal looks
 * up to a second early.
 */
const EARLY_RENEWAL_MS = CLOCK_GRAIN_MS + 500;
/** Responses of one copy agree on its expiry to within the whole second plus polling jitter. */
const SAME_COPY_MS = CLOCK_GRAIN_MS + 200;

export interface Copy {
  /** First and last response of the copy. */
  first: number;
  last: number;
  values: string[];
  firstTtl: number;
  lastTtl: number;
  responses: number;
  /** When it expires: the latest time + TTL of its responses. */
  expires: number;
}

export interface Evidence {
  behaviour: Behaviour;
  at: number;
  what: string;
}

export interface Classification {
  class: ResolverClass;
  /** Every behaviour seen, each with its first piece of evidence and how often it was seen. */
  seen: Array<{ behaviour: Behaviour; times: number; first: Evidence }>;
  copies: Copy[];
}

/** `ttl`: the TTL the authority gives, seconds; or the TTL it gave at a moment, when it varies (adaptive pools). */
export function classify(observations: readonly Observation[], ttl: number | ((at: number) => number)): Classification {
  const ttlAt = typeof ttl === 'number' ? () => ttl : ttl;
  const copies = copiesOf(observations);
  const evidence: Evidence[] = [];
  const fresh = (copy: Copy): boolean => copy.firstTtl <= ttlAt(copy.first) && copy.firstTtl >= ttlAt(copy.first) - 1;
  for (let i = 0; i < copies.length; i++) {
    const copy = copies[i];
    const before = copies[i - 1];
    const after = copies[i + 1];
    const ours = ttlAt(copy.first);
    if (copy.firstTtl > ours && copy.last - copy.first >= CLOCK_GRAIN_MS) {
      evidence.push({ behaviour: 'clamps', at: copy.first, what: `held a copy for at least ${seconds(copy.last - copy.first)}, counting down from TTL ${copy.firstTtl} where ours is ${ours}` });
    }
    if (before === undefined) continue;
    if (!fresh(copy) && copy.first >= before.expires - EARLY_RENEWAL_MS && sameValues(copy.values, before.values) && after !== undefined && copy.last - copy.first < CLOCK_GRAIN_MS) {
      evidence.push({ behaviour: 'serves-stale', at: copy.first, what: `handed out its copy again once it had expired, with TTL ${copy.firstTtl}, then fetched a fresh one` });
      continue;
    }
    if (!fresh(copy) || before.responses < 2) continue;
    const remaining = before.expires - copy.first;
    if (remaining >= EARLY_RENEWAL_MS) {
      evidence.push({ behaviour: 'prefetches', at: copy.first, what: `renewed its copy ${seconds(remaining)} before it expired (TTL ${before.lastTtl} -> ${copy.firstTtl})` });
    } else if (fresh(before)) {
      evidence.push({ behaviour: 'honours', at: copy.first, what: `renewed its copy of TTL ${before.firstTtl} when it expired, not before` });
    }
  }
  const seen = BEHAVIOURS.flatMap((behaviour) => {
    const found = evidence.filter((e) => e.behaviour === behaviour);
    return found.length === 0 ? [] : [{ behaviour, times: found.length, first: found[0] }];
  });
  return { class: seen[0]?.behaviour ?? 'undetermined', seen, copies };
}

/** Consecutive answers that count down towards the same expiry are one copy. */
export function copiesOf(observations: readonly Observation[]): Copy[] {
  const copies: Copy[] = [];
  for (const o of observations) {
    if (o.values === undefined || o.values.length === 0 || o.ttl === undefined) continue;
    const expires = o.at + o.ttl * 1000;
    const current = copies[copies.length - 1];
    if (current !== undefined && sameValues(o.values, current.values) && o.ttl <= current.lastTtl && Math.abs(expires - current.expires) <= SAME_COPY_MS) {
      current.last = o.at;
      current.lastTtl = o.ttl;
      current.responses++;
      current.expires = Math.max(current.expires, expires);
    } else {
      copies.push({ first: o.at, last: o.at, values: o.values, firstTtl: o.ttl, lastTtl: o.ttl, responses: 1, expires });
    }
  }
  return copies;
}

export function sameValues(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
