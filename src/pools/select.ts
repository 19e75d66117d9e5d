// Which values a pool answers, from its spec and its members' state. A pure
// function of shared state, so every instance computes the same answer from the
// same generation.

import type { PoolMember, PoolSpec } from './model.js';

export interface MemberView {
  member: PoolMember;
  /** Counts as up for answers: health, admin override and the pool's startup rule. */
  available: boolean;
  /** Held out after a failure (failback: manual) until an operator releases the pool. */
  held: boolean;
  /** Drained or forced down: out even when the pool fails open. */
  adminOut: boolean;
  /** Its node has neither beaten nor missed a deadline yet. */
  unknown: boolean;
  /** Store-clock ms when the member's node went down, for `last-known`. */
  downSince?: number;
}

export interface PoolSelection {
  /** What may be answered; one variant unless answers differ per query. */
  variants: string[][];
  /** Cumulative weights to pick a variant by; absent: variants rotate. */
  cumulativeWeights?: number[];
  /** No member was available and the all-down behaviour decided. */
  allDown: boolean;
  /** Why no member was available: down, taken out by an operator, or not known yet (startup: assume-down). */
  allDownCause?: 'down' | 'operator' | 'unknown';
  outcome: 'answer' | 'nodata' | 'servfail';
  /** Ids of the members the answer was chosen from. */
  eligible: string[];
}

export function selectPool(spec: PoolSpec, views: MemberView[]): PoolSelection {
  let candidates = views.filter((v) => v.available && !v.held).map((v) => v.member);
  // A held member is still better than no answer at all.
  if (candidates.length === 0) candidates = views.filter((v) => v.available).map((v) => v.member);
  if (candidates.length > 0) return { ...applyPolicy(spec, candidates), allDown: false, outcome: 'answer', eligible: ids(candidates) };

  const open = views.filter((v) => !v.adminOut);
  // Every member taken out by an operator: nothing to fail open to, and the operator's word wins.
  if (open.length === 0) return { variants: [[]], allDown: true, allDownCause: 'operator', outcome: 'nodata', eligible: [] };
  // Not known yet is not known to be down: with assume-down, resolvers should ask another name server or retry.
  if (spec.startup === 'assume-down' && open.some((v) => v.unknown)) return { variants: [[]], allDown: true, allDownCause: 'unknown', outcome: 'servfail', eligible: [] };

  const down = { allDown: true, allDownCause: 'down' } as const;
  switch (spec.allDown) {
    case 'all': {
      // Fail open, as Route 53 does: all members count as healthy, except those an operator took out.
      const members = open.map((v) => v.member);
      return { ...applyPolicy(spec, members), ...down, outcome: 'answer', eligible: ids(members) };
    }
    case 'last-known': {
      // The members that went down last were the ones answered last; every instance agrees on them.
      const latest = Math.max(...open.map((v) => v.downSince ?? -Infinity));
      const last = open.filter((v) => (v.downSince ?? -Infinity) === latest).map((v) => v.member);
      return { ...applyPolicy(spec, last), ...down, outcome: 'answer', eligible: ids(last) };
    }
    case 'fallback':
      return { variants: [spec.fallback.slice(0, spec.type === 'CNAME' ? 1 : spec.fallback.length)], ...down, outcome: 'answer', eligible: [] };
    case 'nodata':
      return { variants: [[]], ...down, outcome: 'nodata', eligible: [] };
    case 'servfail':
      return { variants: [[]], ...down, outcome: 'servfail', eligible: [] };
  }
}

function ids(members: PoolMember[]): string[] {
  return members.map((member) => member.id);
}

function applyPolicy(spec: PoolSpec, candidates: PoolMember[]): Pick<PoolSelection, 'variants' | 'cumulativeWeights'> {
  switch (spec.policy) {
    case 'failover': {
      const best = Math.min(...candidates.map((m) => m.priority));
      return { variants: [distinct(candidates.filter((m) => m.priority === best).map((m) => m.value)).slice(0, spec.limit)] };
    }
    case 'multivalue': {
      // Rotations spread load across resolvers that keep the order they were given.
      const values = distinct(candidates.map((m) => m.value));
      return { variants: Array.from({ length: Math.max(values.length, 1) }, (_, i) => rotate(values, i).slice(0, spec.limit)) };
    }
    case 'weighted': {
      const weighted = candidates.some((m) => m.weight > 0) ? candidates.filter((m) => m.weight > 0) : candidates;
      const byWeight = [...weighted].sort((a, b) => b.weight - a.weight);
      const variants = weighted.map((first) => distinct([first.value, ...byWeight.filter((m) => m !== first).map((m) => m.value)]).slice(0, spec.limit));
      let total = 0;
      const cumulativeWeights = weighted.map((m) => (total += m.weight > 0 ? m.weight : 1));
      return variants.length === 1 ? { variants } : { variants, cumulativeWeights };
    }
  }
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}

function rotate<T>(items: T[], by: number): T[] {
  return [...items.slice(by), ...items.slice(0, by)];
}
