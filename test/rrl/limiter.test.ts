// The limiter alone, on a clock the test moves: rates, slip, prefixes, kinds,
// and the bounded table.

import { describe, expect, it } from 'vitest';
import { KIND } from '../../src/rrl/classify.js';
import { DROP, type RateLimitSettings, ResponseRateLimiter, SEND, SLIP, type Verdict } from '../../src/rrl/limiter.js';

const NAME = 12345;

function limiter(settings: Partial<RateLimitSettings> = {}): { rrl: ResponseRateLimiter; clock: { ms: number } } {
  const clock = { ms: 1_000_000 };
  const rrl = new ResponseRateLimiter({ responsesPerSecond: 10, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56, entries: 1000, now: () => clock.ms, ...settings });
  return { rrl, clock };
}

/** `count` responses of one kind and name to `address`, by verdict. */
function burst(rrl: ResponseRateLimiter, address: string, count: number, kind: number = KIND.answer, name = NAME): Verdict[] {
  return Array.from({ length: count }, () => rrl.check(address, kind, name));
}

const tally = (verdicts: Verdict[]): { sent: number; slipped: number; dropped: number } => ({
  sent: verdicts.filter((v) => v === SEND).length,
  slipped: verdicts.filter((v) => v === SLIP).length,
  dropped: verdicts.filter((v) => v === DROP).length,
});

describe('ResponseRateLimiter', () => {
  it('sends a second of responses at once, then as many a second as the rate', () => {
    const { rrl, clock } = limiter({ responsesPerSecond: 10 });
    expect(tally(burst(rrl, '192.0.2.1', 25)).sent).toBe(10);
    clock.ms += 500;
    expect(tally(burst(rrl, '192.0.2.1', 25)).sent).toBe(5);
    clock.ms += 100;
    expect(burst(rrl, '192.0.2.1', 2)).toEqual([SEND, SLIP]);
    // A long silence refills the bucket to one second's worth, no more.
    clock.ms += 60_000;
    expect(tally(burst(rrl, '192.0.2.1', 100)).sent).toBe(10);
  });

  it('over a long flood sends the rate, and slips every Nth of the rest', () => {
    const { rrl, clock } = limiter({ responsesPerSecond: 10, slip: 3 });
    const verdicts: Verdict[] = [];
    // 100 queries a second for 10 s.
    for (let i = 0; i < 1000; i++) {
      verdicts.push(rrl.check('198.51.100.9', KIND.answer, NAME));
      clock.ms += 10;
    }
    const { sent, slipped, dropped } = tally(verdicts);
    expect(sent).toBeGreaterThanOrEqual(10 * 10);
    expect(sent).toBeLessThanOrEqual(10 * 10 + 10);
    expect(slipped).toBe(Math.floor((1000 - sent) / 3));
    expect(dropped).toBe(1000 - sent - slipped);
    expect({ dropped: rrl.dropped, slipped: rrl.slipped }).toEqual({ dropped, slipped });
  });

  it('slips exactly every Nth limited response: 0 drops all, 1 truncates all', () => {
    const limited = (slip: number): Verdict[] => burst(limiter({ responsesPerSecond: 2, slip }).rrl, '192.0.2.1', 8).slice(2);
    expect(limited(2)).toEqual([DROP, SLIP, DROP, SLIP, DROP, SLIP]);
    expect(limited(3)).toEqual([DROP, DROP, SLIP, DROP, DROP, SLIP]);
    expect(limited(1)).toEqual([SLIP, SLIP, SLIP, SLIP, SLIP, SLIP]);
    expect(limited(0)).toEqual([DROP, DROP, DROP, DROP, DROP, DROP]);
  });

  it('groups IPv4 sources by /24', () => {
    const { rrl } = limiter({ responsesPerSecond: 4 });
    expect(burst(rrl, '192.0.2.1', 2)).toEqual([SEND, SEND]);
    expect(burst(rrl, '192.0.2.254', 3)).toEqual([SEND, SEND, DROP]);
    // Another /24, and the same address as an IPv4-mapped IPv6 one (a dual-stack socket).
    expect(burst(rrl, '192.0.3.1', 4)).toEqual([SEND, SEND, SEND, SEND]);
    expect(burst(rrl, '::ffff:192.0.2.77', 1)).toEqual([SLIP]);
  });

  it('groups IPv6 sources by /56', () => {
    const { rrl } = limiter({ responsesPerSecond: 4 });
    expect(burst(rrl, '2001:db8:0:ab00::1', 2)).toEqual([SEND, SEND]);
    expect(burst(rrl, '2001:db8:0:abff:ffff:ffff:ffff:ffff', 2)).toEqual([SEND, SEND]);
    expect(burst(rrl, '2001:db8:0:ab12::53%eth0', 1)).toEqual([DROP]);
    expect(burst(rrl, '2001:db8:0:ac00::1', 4)).toEqual([SEND, SEND, SEND, SEND]);
  });

  it('takes its prefix lengths from the settings', () => {
    const { rrl } = limiter({ responsesPerSecond: 1, ipv4Prefix: 32, ipv6Prefix: 64 });
    expect(burst(rrl, '192.0.2.1', 2)).toEqual([SEND, DROP]);
    expect(burst(rrl, '192.0.2.2', 1)).toEqual([SEND]);
    expect(burst(rrl, '2001:db8:0:ab00::1', 2)).toEqual([SEND, DROP]);
    expect(burst(rrl, '2001:db8:0:ab01::1', 1)).toEqual([SEND]);
    const wide = limiter({ responsesPerSecond: 1, ipv4Prefix: 0, ipv6Prefix: 0 }).rrl;
    expect([wide.check('192.0.2.1', KIND.answer, NAME), wide.check('203.0.113.5', KIND.answer, NAME)]).toEqual([SEND, DROP]);
    // The same 32 bits as IPv4 and as an IPv6 /32 are two sources.
    const narrow = limiter({ responsesPerSecond: 1, ipv4Prefix: 32, ipv6Prefix: 32 }).rrl;
    expect([narrow.check('2001:db8::1', KIND.answer, NAME), narrow.check('32.1.13.184', KIND.answer, NAME)]).toEqual([SEND, SEND]);
  });

  it('keeps kinds of response and names apart', () => {
    const { rrl } = limiter({ responsesPerSecond: 2 });
    expect(burst(rrl, '192.0.2.1', 3, KIND.nxdomain, 1)).toEqual([SEND, SEND, DROP]);
    expect(burst(rrl, '192.0.2.1', 2, KIND.nodata, 1)).toEqual([SEND, SEND]);
    expect(burst(rrl, '192.0.2.1', 2, KIND.answer, 1)).toEqual([SEND, SEND]);
    expect(burst(rrl, '192.0.2.1', 2, KIND.answer, 2)).toEqual([SEND, SEND]);
    expect(burst(rrl, '192.0.2.1', 1, KIND.nxdomain, 1)).toEqual([SLIP]);
  });

  it('never limits a source it cannot read', () => {
    const { rrl } = limiter({ responsesPerSecond: 1 });
    expect(burst(rrl, '', 3)).toEqual([SEND, SEND, SEND]);
    expect(burst(rrl, 'not-an-address', 3)).toEqual([SEND, SEND, SEND]);
  });

  it('survives a clock that goes back: no credit from it', () => {
    const { rrl, clock } = limiter({ responsesPerSecond: 2 });
    expect(burst(rrl, '192.0.2.1', 3)).toEqual([SEND, SEND, DROP]);
    clock.ms -= 5000;
    expect(burst(rrl, '192.0.2.1', 1)).toEqual([SLIP]);
    clock.ms += 500;
    expect(burst(rrl, '192.0.2.1', 2)).toEqual([SEND, DROP]);
  });

  describe('its table', () => {
    it('holds at most its entries, whatever the number of sources', () => {
      const { rrl } = limiter({ entries: 64 });
      for (let i = 0; i < 10_000; i++) rrl.check(`10.${(i >> 8) & 255}.${i & 255}.1`, KIND.answer, i);
      expect(rrl.capacity).toBe(64);
      expect(rrl.size).toBe(64);
      expect(limiter({ entries: 10 }).rrl.capacity).toBe(12);
    });

    it('keeps a limited source through a flood of other keys: the fuller slots go first', () => {
      const { rrl } = limiter({ responsesPerSecond: 10, entries: 8 });
      expect(tally(burst(rrl, '192.0.2.1', 20)).sent).toBe(10);
      // Every other key takes one response and keeps most of its credit.
      for (let i = 0; i < 1000; i++) rrl.check(`10.${i >> 8}.${i & 255}.1`, KIND.answer, NAME);
      expect(rrl.evictions).toBeGreaterThan(0);
      expect(burst(rrl, '192.0.2.1', 1)[0]).not.toBe(SEND);
    });

    it('counts as evictions only the buckets still drawn on, not those full again', () => {
      // One set of four slots.
      const { rrl, clock } = limiter({ responsesPerSecond: 10, entries: 4 });
      for (let i = 0; i < 4; i++) rrl.check(`10.0.${i}.1`, KIND.answer, NAME);
      expect(rrl.evictions).toBe(0);
      rrl.check('10.0.4.1', KIND.answer, NAME);
      expect(rrl.evictions).toBe(1);
      // A tenth of a second gives back the one credit each took.
      clock.ms += 100;
      for (let i = 5; i < 9; i++) rrl.check(`10.0.${i}.1`, KIND.answer, NAME);
      expect(rrl.evictions).toBe(1);
      rrl.check('10.0.9.1', KIND.answer, NAME);
      expect(rrl.evictions).toBe(2);
      expect(rrl.size).toBe(4);
    });
  });
});
