// Refused authentications per source address, as a token bucket: an address
// (an IPv6 /64, which one host usually holds whole) may fail `perSecond`
// times a second, in bursts of as many; past that its requests get 429 without
// any check, until the bucket refills. Guessing tokens, or node ids, gets
// nowhere, and costs neither a store call nor a log line each time.

import { IPV4, IPV6, parseAddress } from '../rrl/address.js';

/** Addresses remembered at most; beyond it the oldest are forgotten (a flood from many addresses finds a fresh bucket each: the log and the counts still hold). */
const MAX_ADDRESSES = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class AuthFailureLimit {
  private readonly buckets = new Map<string, Bucket>();

  /** `perSecond` 0: no limit. `now`: ms, injectable for tests. */
  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** True when the address has used up its failures: answer 429 without checking anything. */
  blocked(address: string | undefined): boolean {
    if (this.perSecond === 0) return false;
    const bucket = this.buckets.get(addressKey(address));
    return bucket !== undefined && this.refill(bucket) < 1;
  }

  /** One refused authentication from the address. */
  failed(address: string | undefined): void {
    if (this.perSecond === 0) return;
    const key = addressKey(address);
    const bucket = this.buckets.get(key);
    if (bucket !== undefined) {
      this.refill(bucket);
      bucket.tokens = Math.max(0, bucket.tokens - 1);
      // Most recently failing last: the oldest go first when the map is full.
      this.buckets.delete(key);
      this.buckets.set(key, bucket);
      return;
    }
    if (this.buckets.size >= MAX_ADDRESSES) this.forgetOne();
    this.buckets.set(key, { tokens: this.perSecond - 1, at: this.now() });
  }

  /** Seconds until the address may try again (for Retry-After). */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil(1 / this.perSecond));
  }

  private refill(bucket: Bucket): number {
    const now = this.now();
    bucket.tokens = Math.min(this.perSecond, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    return bucket.tokens;
  }

  private forgetOne(): void {
    const oldest = this.buckets.keys().next();
    if (!oldest.done) this.buckets.delete(oldest.value);
  }
}

const groups = new Uint16Array(8);
const words = new Uint32Array(2);

/** IPv4 as is (also when mapped into IPv6); IPv6 by its /64; read as the rate limiter of DNS reads it (src/rrl/address.ts). */
export function addressKey(address: string | undefined): string {
  if (address === undefined) return '?';
  const family = parseAddress(address, groups, words);
  if (family === IPV4) return `${words[0]}`;
  if (family === IPV6) return `${words[0]}:${words[1]}/64`;
  return address;
}
