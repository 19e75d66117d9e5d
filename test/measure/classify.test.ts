// The probe's reading of resolver behaviour, on synthetic observations shaped
// like what unbound and BIND hand out (see probe.test.ts for the real ones).

import { describe, expect, it } from 'vitest';
import { classify } from '../../src/measure/probe/classify.js';
import type { Observation } from '../../src/measure/probe/observe.js';

const TTL = 20;

/**
 * Observations every 100 ms for `seconds` of a resolver whose clock ticks whole
 * seconds (0.35 s into ours), holding each copy `hold` seconds and showing it
 * with that TTL counting down; `early`: renews a copy with fewer seconds left;
 * `staleReply`: once a copy has run out, one answer with that TTL before the
 * fresh copy.
 */
function resolver({ seconds, hold = TTL, early = 0, staleReply }: { seconds: number; hold?: number; early?: number; staleReply?: number }): Observation[] {
  const cacheSecond = (t: number): number => Math.floor(t - 0.35);
  const out: Observation[] = [];
  let fetched = cacheSecond(0) - 3;
  let staleGiven = false;
  for (let i = 0; i < seconds * 10; i++) {
    const t = i / 10;
    const now = cacheSecond(t);
    let left = fetched + hold - now;
    if (left < 0 && staleReply !== undefined && !staleGiven) {
      staleGiven = true;
      out.push({ at: t * 1000, values: ['192.0.2.1'], ttl: staleReply });
      continue;
    }
    if (left < 0 || left < early) {
      fetched = now;
      left = hold;
      staleGiven = false;
    }
    out.push({ at: t * 1000, values: ['192.0.2.1'], ttl: left });
  }
  return out;
}

describe('classify', () => {
  it('honours: copies of our TTL renewed once they expired', () => {
    const result = classify(resolver({ seconds: 50 }), TTL);
    expect(result.class).toBe('honours');
    expect(result.seen.map((s) => s.behaviour)).toEqual(['honours']);
  });

  it('clamps: a copy counting down from more than our TTL', () => {
    const result = classify(resolver({ seconds: 40, hold: 30 }), TTL);
    expect(result.class).toBe('clamps');
    expect(result.seen[0].first.what).toMatch(/counting down from TTL \d+ where ours is 20/);
  });

  it('serves stale: an expired copy handed out once more before a fresh one', () => {
    expect(classify(resolver({ seconds: 50, staleReply: 30 }), TTL).class).toBe('serves-stale');
    expect(classify(resolver({ seconds: 50, staleReply: 1 }), TTL).class).toBe('serves-stale');
    // With TTL 0 at the instant of expiry it looks like the copy's own last second: not visible from outside.
    expect(classify(resolver({ seconds: 50, staleReply: 0 }), TTL).class).toBe('honours');
  });

  it('prefetches: a fresh copy before the old one ran out', () => {
    const result = classify(resolver({ seconds: 50, early: 2 }), TTL);
    expect(result.class).toBe('prefetches');
  });

  it('undetermined: no renewal seen yet', () => {
    expect(classify(resolver({ seconds: 10 }), TTL).class).toBe('undetermined');
    expect(classify([{ at: 0, error: 'ETIMEDOUT' }], TTL).class).toBe('undetermined');
  });
});
