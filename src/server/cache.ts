// Precompiled responses, as NSD keeps them: one encoded answer per (question
// name, type, class, EDNS or not), reused for every query that asks it with only
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

export class AnswerCache {
  private readonly shapes = [new Map<number, Map<string, CachedAnswer>>(), new Map<number, Map<string, CachedAnswer>>()];
  private entries = 0;
  /** Times the cache was emptied because it was full. */
  overflows = 0;

  /** Bounded so that a flood of random names cannot grow it without end. */
  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries;
  }

  get(edns: boolean, typeAndClass: number, qkey: string): CachedAnswer | undefined {
    return this.shapes[edns ? 1 : 0].get(typeAndClass)?.get(qkey);
  }

  set(edns: boolean, typeAndClass: number, qkey: string, answer: CachedAnswer): void {
    if (this.entries >= this.maxEntries) {
      this.clear();
      this.overflows++;
    }
    const byType = this.shapes[edns ? 1 : 0];
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
