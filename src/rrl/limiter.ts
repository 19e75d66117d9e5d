// Response rate limiting: a fixed table of buckets, one per (source prefix,
// response kind, name), each a token bucket refilled at `responsesPerSecond`
// and holding at most one second of it. A response that finds its bucket empty
// is limited: every `slip`-th limited response of a bucket goes out truncated,
// the others are dropped. One call per UDP response, no allocation.
//
// The table is set-associative, WAYS slots per set, a set chosen by a seeded
// hash of the key. A key not in its set takes the slot whose bucket is fullest
// (an empty one first): a full bucket holds nothing a new one would not, so
// only taking a slot whose bucket was still being drawn on loses anything, and
// that is counted as an eviction. A source being limited holds an almost empty
// bucket, so a flood of other keys falls on the fuller slots beside it first.

import { INVALID, IPV6, type Family, ipv4Mask, ipv6Masks, parseAddress } from './address.js';

export const SEND = 0;
export const SLIP = 1;
export const DROP = 2;
export type Verdict = typeof SEND | typeof SLIP | typeof DROP;

const WAYS = 4;

export interface RateLimitSettings {
  /** Responses per second per bucket, and the burst a full bucket allows; above 0. */
  responsesPerSecond: number;
  /** Every slip-th limited response is sent truncated; 0: all dropped, 1: all truncated. */
  slip: number;
  /** Prefix lengths sources are grouped by: 0 to 32, and 0 to 64. */
  ipv4Prefix: number;
  ipv6Prefix: number;
  /** Buckets kept, rounded up to a multiple of 4. */
  entries: number;
  /** Milliseconds on a clock that does not go back (tests give their own). */
  now?: () => number;
}

export class ResponseRateLimiter {
  /** Limited responses dropped, and sent truncated. */
  dropped = 0;
  slipped = 0;
  /** Buckets still being drawn on that had to give their slot to a new key. */
  evictions = 0;

  readonly capacity: number;
  private readonly sets: number;
  private readonly perMs: number;
  private readonly burst: number;
  private readonly slip: number;
  private readonly now: () => number;
  private readonly v4Mask: number;
  private readonly v6High: number;
  private readonly v6Low: number;
  private readonly seed = (Math.random() * 0x100000000) >>> 0;

  /** Per slot: 0 when free, else the family and kind; then the key, the bucket, limited responses since the last slip. */
  private readonly tags: Uint8Array;
  private readonly highs: Uint32Array;
  private readonly lows: Uint32Array;
  private readonly names: Uint32Array;
  private readonly credits: Float64Array;
  private readonly stamps: Float64Array;
  private readonly runs: Uint32Array;

  private readonly groups = new Uint16Array(8);
  private readonly parsed = new Uint32Array(2);

  constructor(settings: RateLimitSettings) {
    if (!(settings.responsesPerSecond > 0)) throw new Error('responsesPerSecond must be above 0');
    this.sets = Math.max(1, Math.ceil(settings.entries / WAYS));
    this.capacity = this.sets * WAYS;
    this.perMs = settings.responsesPerSecond / 1000;
    this.burst = settings.responsesPerSecond;
    this.slip = settings.slip;
    this.now = settings.now ?? performance.now.bind(performance);
    this.v4Mask = ipv4Mask(settings.ipv4Prefix);
    [this.v6High, this.v6Low] = ipv6Masks(settings.ipv6Prefix);
    this.tags = new Uint8Array(this.capacity);
    this.highs = new Uint32Array(this.capacity);
    this.lows = new Uint32Array(this.capacity);
    this.names = new Uint32Array(this.capacity);
    this.credits = new Float64Array(this.capacity);
    this.stamps = new Float64Array(this.capacity);
    this.runs = new Uint32Array(this.capacity);
  }

  /** What to do with a response of `kind` (classify.ts) for `name` to `address`. An address that cannot be read is never limited. */
  check(address: string, kind: number, name: number): Verdict {
    const family = parseAddress(address, this.groups, this.parsed);
    if (family === INVALID) return SEND;
    return this.checkSource(family, this.parsed[0], this.parsed[1], kind, name);
  }

  /** check() for a source already read: IPv4 in `high`, or IPv6's first 64 bits in `high` and `low`. */
  checkSource(family: Family, high: number, low: number, kind: number, name: number): Verdict {
    const parsed = this.parsed;
    if (family === IPV6) {
      parsed[0] = high & this.v6High;
      parsed[1] = low & this.v6Low;
    } else {
      parsed[0] = high & this.v4Mask;
      parsed[1] = 0;
    }
    high = parsed[0];
    low = parsed[1];
    const tag = (family << 4) | (kind + 1);
    const now = this.now();
    const first = this.setOf(tag, high, low, name) * WAYS;
    let slot = -1;
    for (let i = first; i < first + WAYS; i++) {
      if (this.tags[i] === tag && this.highs[i] === high && this.lows[i] === low && this.names[i] === name) {
        slot = i;
        break;
      }
    }
    if (slot < 0) slot = this.claim(first, now, tag, high, low, name);

    const credit = this.refilled(slot, now);
    this.stamps[slot] = now;
    if (credit >= 1) {
      this.credits[slot] = credit - 1;
      return SEND;
    }
    this.credits[slot] = credit;
    if (this.slip !== 0 && ++this.runs[slot] >= this.slip) {
      this.runs[slot] = 0;
      this.slipped++;
      return SLIP;
    }
    this.dropped++;
    return DROP;
  }

  /** Slots in use. */
  get size(): number {
    let used = 0;
    for (let i = 0; i < this.capacity; i++) if (this.tags[i] !== 0) used++;
    return used;
  }

  private setOf(tag: number, high: number, low: number, name: number): number {
    let h = Math.imul(this.seed ^ tag, 0x9e3779b1);
    h = Math.imul(h ^ high ^ (h >>> 15), 0x85ebca77);
    h = Math.imul(h ^ low ^ (h >>> 13), 0xc2b2ae3d);
    h = Math.imul(h ^ name ^ (h >>> 16), 0x27d4eb2f);
    return ((h ^ (h >>> 15)) >>> 0) % this.sets;
  }

  /** The bucket's credit at `now`: what it had plus what has flowed in since, up to the burst. */
  private refilled(slot: number, now: number): number {
    const elapsed = now - this.stamps[slot];
    const credit = elapsed > 0 ? this.credits[slot] + elapsed * this.perMs : this.credits[slot];
    return credit > this.burst ? this.burst : credit;
  }

  /** Gives the key the set's free or fullest slot, with a full bucket. */
  private claim(first: number, now: number, tag: number, high: number, low: number, name: number): number {
    let slot = first;
    let fullest = -1;
    for (let i = first; i < first + WAYS; i++) {
      if (this.tags[i] === 0) {
        slot = i;
        fullest = this.burst;
        break;
      }
      const credit = this.refilled(i, now);
      if (credit > fullest) {
        fullest = credit;
        slot = i;
      }
    }
    if (fullest < this.burst) this.evictions++;
    this.tags[slot] = tag;
    this.highs[slot] = high;
    this.lows[slot] = low;
    this.names[slot] = name;
    this.credits[slot] = this.burst;
    this.stamps[slot] = now;
    this.runs[slot] = 0;
    return slot;
  }
}
