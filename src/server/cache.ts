// Precompiled responses, as NSD keeps them: encoded answers per (question name,
// type, class, EDNS shape), reused for every query that asks it with only the
// ID, flags and question spelling patched. Lookups are two Map gets with no key
// building, so a hit allocates nothing but the outgoing buffer.
//
// A pool answer that varies per query (rotation, weights) has one encoding per
// variant. Answers built from a pool are indexed by it, so that when the pool's
// answer changes exactly those are dropped.

import type { AnswerPlan } from '../answer/plan.js';
import type { ResponseClass } from '../rrl/classify.js';
import type { PoolServed } from './tap.js';

export interface Encoding {
  /** The full response, encoded up to the TCP maximum. */
  readonly full: Buffer;
  readonly plan: AnswerPlan;
  /** Shorter encodings for clients whose size limit the full one exceeds, by limit. */
  truncated?: Map<number, Buffer>;
}

export interface CachedAnswer {
  readonly rcode: number;
  /** One per variant; a single one for every static answer. */
  readonly choices: Encoding[];
  /** Cumulative weights to pick a choice by; absent: choices rotate. */
  readonly cumulativeWeights?: number[];
  /** The pools in the answer section, for the tap; absent for static answers, which cost it nothing. */
  readonly served?: readonly PoolServed[];
  /** What response rate limiting counts it as (src/rrl/classify.ts). */
  readonly limitedAs: ResponseClass;
  turn: number;
}

/** No EDNS, EDNS, EDNS with DO: each gets a different OPT record, or none. */
export const EDNS_SHAPES = 3;
export type EdnsShape = 0 | 1 | 2;

type Location = [shape: EdnsShape, typeAndClass: number, qkey: string];

export class AnswerCache {
  private readonly shapes = Array.from({ length: EDNS_SHAPES }, () => new Map<number, Map<string, CachedAnswer>>());
  private readonly byPool = new Map<string, Location[]>();
  private entries = 0;
  /** Times the cache was emptied because it was full. */
  overflows = 0;

  /** Bounded so that a flood of random names cannot grow it without end. */
  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries;
  }

  get(shape: EdnsShape, typeAndClass: number, qkey: string): CachedAnswer | undefined {
    return this.shapes[shape].get(typeAndClass)?.get(qkey);
  }

  set(shape: EdnsShape, typeAndClass: number, qkey: string, answer: CachedAnswer, pools: readonly string[] | undefined): void {
    if (this.entries >= this.maxEntries) {
      this.clear();
      this.overflows++;
    }
    const byType = this.shapes[shape];
    let byName = byType.get(typeAndClass);
    if (byName === undefined) {
      byName = new Map();
      byType.set(typeAndClass, byName);
    }
    byName.set(qkey, answer);
    this.entries++;
    for (const pool of pools ?? []) {
      let locations = this.byPool.get(pool);
      if (locations === undefined) this.byPool.set(pool, (locations = []));
      locations.push([shape, typeAndClass, qkey]);
    }
  }

  /** Drops every answer built from the pool; returns how many. */
  invalidatePool(pool: string): number {
    const locations = this.byPool.get(pool);
    if (locations === undefined) return 0;
    this.byPool.delete(pool);
    let dropped = 0;
    for (const [shape, typeAndClass, qkey] of locations) {
      if (this.shapes[shape].get(typeAndClass)?.delete(qkey)) dropped++;
    }
    this.entries -= dropped;
    return dropped;
  }

  /** Called whenever the data behind any answer may have changed. */
  clear(): void {
    for (const byType of this.shapes) byType.clear();
    this.byPool.clear();
    this.entries = 0;
  }
}
