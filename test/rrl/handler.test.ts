// The hook in the query handler (src/server/handler.ts): every UDP response
// passes the limiter once, TCP never does, and a slip is the response cut to
// its question with TC set.

import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { QueryStats, TCP, UDP } from '../../src/metrics/query-stats.js';
import type { RateLimitSettings } from '../../src/rrl/limiter.js';
import { QueryHandler } from '../../src/server/handler.js';
import { buildQuery } from '../helpers/dns.js';
import { RULES_FILES, zoneSetOf } from '../helpers/zones.js';

const CLIENT = '192.0.2.53';

function newHandler(rateLimit?: Partial<RateLimitSettings>): { handler: QueryHandler; clock: { ms: number } } {
  const clock = { ms: 0 };
  const settings = rateLimit && { responsesPerSecond: 2, slip: 2, ipv4Prefix: 24, ipv6Prefix: 56, entries: 1000, now: () => clock.ms, ...rateLimit };
  const handler = new QueryHandler(zoneSetOf(RULES_FILES), { identity: { id: 'test-1' }, ednsPayload: 1232, cacheEntries: 1000, queryLogSample: 0, rateLimit: settings }, new QueryStats());
  return { handler, clock };
}

/** What came back for each of `count` UDP queries: full, truncated or none. */
function outcomes(handler: QueryHandler, query: Buffer, count: number, source = CLIENT): string[] {
  return Array.from({ length: count }, () => {
    const out = handler.handle(query, UDP, 0, source);
    if (out === undefined) return 'none';
    return dnsPacket.decode(out).flag_tc ? 'tc' : 'full';
  });
}

describe('response rate limiting in the query handler', () => {
  it('is off by default: no limiter, every response sent', () => {
    const { handler } = newHandler();
    expect(handler.limiter).toBeUndefined();
    expect(outcomes(handler, buildQuery({ name: 'www.example.test' }), 50)).toEqual(Array(50).fill('full'));
  });

  it('sends the rate, then slips every Nth response and drops the rest', () => {
    const { handler, clock } = newHandler({ responsesPerSecond: 2, slip: 2 });
    const query = buildQuery({ name: 'www.example.test' });
    expect(outcomes(handler, query, 6)).toEqual(['full', 'full', 'none', 'tc', 'none', 'tc']);
    expect({ dropped: handler.limiter!.dropped, slipped: handler.limiter!.slipped }).toEqual({ dropped: 2, slipped: 2 });
    clock.ms += 500;
    expect(outcomes(handler, query, 2)).toEqual(['full', 'none']);
  });

  it('slips the header and the question only, TC set, ID, flags and spelling kept', () => {
    const { handler } = newHandler({ responsesPerSecond: 1, slip: 1 });
    const query = buildQuery({ name: 'WwW.Example.TEST', id: 4321, rd: true, edns: { do: true } });
    const full = handler.handle(query, UDP, 0, CLIENT)!;
    const slipped = handler.handle(query, UDP, 0, CLIENT)!;
    const questionEnd = 12 + 'WwW.Example.TEST'.length + 2 + 4;
    expect(slipped.length).toBe(questionEnd);
    expect(slipped.length).toBeLessThanOrEqual(query.length);
    expect(slipped.subarray(12)).toEqual(query.subarray(12, questionEnd));
    const packet = dnsPacket.decode(slipped);
    expect(packet).toMatchObject({ id: 4321, type: 'response', flag_tc: true, flag_aa: true, flag_rd: true, rcode: 'NOERROR', answers: [], authorities: [], additionals: [] });
    expect(packet.questions).toEqual([{ name: 'WwW.Example.TEST', type: 'A', class: 'IN' }]);
    // The full response was not touched by the slip of the next.
    expect(dnsPacket.decode(full).answers!.length).toBe(1);
  });

  it('never limits TCP', () => {
    const { handler } = newHandler({ responsesPerSecond: 1, slip: 0 });
    const query = buildQuery({ name: 'www.example.test' });
    expect(outcomes(handler, query, 3)).toEqual(['full', 'none', 'none']);
    for (let i = 0; i < 20; i++) {
      const out = handler.handle(query, TCP, 2, CLIENT)!;
      expect(dnsPacket.decode(out.subarray(2)).answers!.length).toBe(1);
    }
    expect(handler.limiter!.dropped).toBe(2);
  });

  it('keeps buckets per name for answers, per zone for NXDOMAIN, per source prefix', () => {
    const { handler } = newHandler({ responsesPerSecond: 2, slip: 0 });
    expect(outcomes(handler, buildQuery({ name: 'www.example.test' }), 3)).toEqual(['full', 'full', 'none']);
    expect(outcomes(handler, buildQuery({ name: 'mail.example.test', type: 'MX' }), 2)).toEqual(['full', 'full']);
    expect(outcomes(handler, buildQuery({ name: 'nx1.example.test' }), 1)).toEqual(['full']);
    expect(outcomes(handler, buildQuery({ name: 'nx2.example.test' }), 1)).toEqual(['full']);
    expect(outcomes(handler, buildQuery({ name: 'nx3.example.test' }), 1)).toEqual(['none']);
    expect(outcomes(handler, buildQuery({ name: 'nx3.example.test' }), 1, '192.0.2.200')).toEqual(['none']);
    expect(outcomes(handler, buildQuery({ name: 'nx3.example.test' }), 1, '198.51.100.1')).toEqual(['full']);
  });

  it('limits error responses too, and slips a header-only one as a header', () => {
    const { handler } = newHandler({ responsesPerSecond: 1, slip: 1 });
    const notimp = buildQuery({ name: 'www.example.test', opcode: 2 });
    expect(outcomes(handler, notimp, 2)).toEqual(['full', 'tc']);
    const slipped = handler.handle(notimp, UDP, 0, CLIENT)!;
    expect(slipped.length).toBe(12);
    expect(slipped.readUInt16BE(4)).toBe(0);
    const refused = buildQuery({ name: 'www.example.com' });
    expect(outcomes(handler, refused, 1)).toEqual(['tc']);
  });

  it('leaves a query with no source address (an in-process caller) alone', () => {
    const { handler } = newHandler({ responsesPerSecond: 1 });
    const query = buildQuery({ name: 'www.example.test' });
    for (let i = 0; i < 5; i++) expect(handler.handle(query, UDP, 0)).toBeDefined();
  });
});
