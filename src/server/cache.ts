// Precompiled responses, as NSD keeps them: one encoded answer per (question
// name, type, class, EDNS shape), reused for every query that asks it with only
// the ID, flags and question spelling patched. Lookups are two Map gets with no
// key building, so a hit allocates nothing but the outgoing buffer.

import type { AnswerPlan } from '../answer/plan.js';

export interface CachedAnswer {
  /** The full response, encoded up to the TCP maximum. */
  readonly full: Buffer;
  readonly rcode: number;
  readonly plan: AnswerPlan;
  /** Shorter encodings for clients whose size limit the full one exceeds, by limit. */
  truncated?: Map<number, Buffer>;
}

/** No EDNS, EDNS, EDNS with DO: each gets a different OPT record, or none. */
export const EDNS_SHAPES = 3;
export type EdnsShape = 0 | 1 | 2;

export class AnswerCache {
  private readonly shapes = Array.from({ length: EDNS_SHAPES }, () => new Map<number, Map<string, CachedAnswer>>());
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

  set(shape: EdnsShape, typeAndClass: number, qkey: string, answer: CachedAnswer): void {
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
  }

  /** Called whenever the data behind any answer changes. */
  clear(): void {
    for (const byType of this.shapes) byType.clear();
    this.entries = 0;
  }
}
