import { describe, expect, it } from 'vitest';
import { resolve } from '../../src/answer/lookup.js';
import type { AnswerPlan, SectionEntry } from '../../src/answer/plan.js';
import { ROOT_WIRE, foldCase, nameToText, textToName } from '../../src/zone/name.js';
import { RCODE, typeFromText, typeToText } from '../../src/zone/types.js';
import { RULES_FILES, zoneSetOf } from '../helpers/zones.js';

const zones = zoneSetOf(RULES_FILES);

function ask(name: string, type = 'A'): AnswerPlan {
  return resolve(zones, foldCase(textToName(name, ROOT_WIRE)), typeFromText(type)!);
}

/** `owner TYPE xN`, the owner as written (or `<qname>` for a synthesized one), `@ttl` when overridden. */
function section(entries: SectionEntry[]): string[] {
  return entries.map(({ owner, rrset, ttl }) => {
    const name = owner === null ? '<qname>' : nameToText(owner);
    return `${name} ${typeToText(rrset.type)} x${rrset.rdatas.length}${ttl === undefined ? '' : ` @${ttl}`}`;
  });
}

function summary(plan: AnswerPlan) {
  return { rcode: plan.rcode, aa: plan.authoritative, answer: section(plan.answer), authority: section(plan.authority), additional: section(plan.additional) };
}

const APEX_NS = 'example.test. NS x2';
const NS1_ADDRESSES = ['ns1.example.test. A x1', 'ns1.example.test. AAAA x1'];
const NEGATIVE_SOA = 'example.test. SOA x1 @60';

describe('resolve: exact match', () => {
  it('answers the RRset with the owner as the zone wrote it, apex NS in authority and their addresses in additional', () => {
    expect(summary(ask('www.EXAMPLE.test'))).toEqual({
      rcode: RCODE.NOERROR,
      aa: true,
      answer: ['WWW.example.test. A x1'],
      authority: [APEX_NS],
      additional: NS1_ADDRESSES,
    });
  });

  it('answers the apex NS set without repeating it in authority', () => {
    expect(summary(ask('example.test', 'NS'))).toMatchObject({ answer: [APEX_NS], authority: [], additional: NS1_ADDRESSES });
  });

  it('adds the addresses of in-zone MX and SRV targets', () => {
    expect(summary(ask('mail.example.test', 'MX')).additional).toEqual(['mx1.example.test. A x1', ...NS1_ADDRESSES]);
    expect(summary(ask('_sip._tcp.example.test', 'SRV')).additional).toEqual(['WWW.example.test. A x1', ...NS1_ADDRESSES]);
  });
});

describe('resolve: negative answers (RFC 2308)', () => {
  it('gives NXDOMAIN with the SOA at min(SOA TTL, MINIMUM)', () => {
    expect(summary(ask('nothere.example.test'))).toEqual({ rcode: RCODE.NXDOMAIN, aa: true, answer: [], authority: [NEGATIVE_SOA], additional: [] });
  });

  it('gives NODATA for a name without the type, and for an empty non-terminal', () => {
    expect(summary(ask('www.example.test', 'TXT'))).toMatchObject({ rcode: RCODE.NOERROR, answer: [], authority: [NEGATIVE_SOA] });
    expect(summary(ask('c.example.test', 'A'))).toMatchObject({ rcode: RCODE.NOERROR, answer: [], authority: [NEGATIVE_SOA] });
    expect(summary(ask('b.c.example.test', 'TXT'))).toMatchObject({ rcode: RCODE.NOERROR, answer: [] });
  });

  it('refuses names in no zone we serve', () => {
    expect(summary(ask('www.example.com'))).toEqual({ rcode: RCODE.REFUSED, aa: false, answer: [], authority: [], additional: [] });
    expect(ask('test').rcode).toBe(RCODE.REFUSED);
  });
});

describe('resolve: CNAME', () => {
  it('follows a chain inside the zone', () => {
    expect(summary(ask('chain.example.test')).answer).toEqual(['chain.example.test. CNAME x1', 'alias.example.test. CNAME x1', 'WWW.example.test. A x1']);
  });

  it('follows into another zone we serve', () => {
    expect(summary(ask('cross.example.test'))).toMatchObject({ rcode: RCODE.NOERROR, aa: true, answer: ['cross.example.test. CNAME x1', 'www.other.test. A x1'] });
  });

  it('stops at a target outside our zones', () => {
    expect(summary(ask('out.example.test'))).toMatchObject({ rcode: RCODE.NOERROR, answer: ['out.example.test. CNAME x1'] });
  });

  it('gives the rcode of the last name (RFC 6604)', () => {
    expect(summary(ask('dangling.example.test'))).toMatchObject({ rcode: RCODE.NXDOMAIN, answer: ['dangling.example.test. CNAME x1'], authority: [NEGATIVE_SOA] });
  });

  it('stops a loop at the first repeat', () => {
    expect(summary(ask('loop1.example.test')).answer).toEqual(['loop1.example.test. CNAME x1', 'loop2.example.test. CNAME x1']);
  });

  it('answers the CNAME itself for qtype CNAME', () => {
    expect(summary(ask('alias.example.test', 'CNAME')).answer).toEqual(['alias.example.test. CNAME x1']);
  });
});

describe('resolve: wildcards (RFC 4592)', () => {
  it('synthesizes from *.closest-encloser with the query name as owner, at any depth', () => {
    expect(summary(ask('a.wild.example.test'))).toMatchObject({ rcode: RCODE.NOERROR, aa: true, answer: ['<qname> A x1'] });
    expect(summary(ask('x.y.wild.example.test')).answer).toEqual(['<qname> A x1']);
  });

  it('gives NODATA when the wildcard lacks the type', () => {
    expect(summary(ask('a.wild.example.test', 'TXT'))).toMatchObject({ rcode: RCODE.NOERROR, answer: [], authority: [NEGATIVE_SOA] });
  });

  it('is blocked by an explicit name and by an empty non-terminal', () => {
    expect(summary(ask('explicit.wild.example.test', 'A'))).toMatchObject({ rcode: RCODE.NOERROR, answer: [] });
    expect(summary(ask('ent.wild.example.test', 'A'))).toMatchObject({ rcode: RCODE.NOERROR, answer: [] });
    // The closest encloser of x.ent.wild is ent.wild, which has no wildcard child.
    expect(ask('x.ent.wild.example.test').rcode).toBe(RCODE.NXDOMAIN);
  });

  it('synthesizes a CNAME and follows it', () => {
    expect(summary(ask('foo.wc.example.test')).answer).toEqual(['<qname> CNAME x1', 'WWW.example.test. A x1']);
  });

  it('answers the wildcard owner itself like any name', () => {
    expect(summary(ask('*.wild.example.test')).answer).toEqual(['*.wild.example.test. A x1']);
  });
});

describe('resolve: delegations', () => {
  it('refers at and below the cut: AA clear, NS in authority, glue in additional', () => {
    for (const name of ['sub.example.test', 'www.sub.example.test', 'ns.sub.example.test']) {
      const plan = ask(name);
      expect(summary(plan)).toEqual({ rcode: RCODE.NOERROR, aa: false, answer: [], authority: ['sub.example.test. NS x2'], additional: ['ns.sub.example.test. A x1'] });
      expect(plan.glueRequired).toBe(true);
    }
  });

  it('answers DS at the cut from the parent side', () => {
    expect(summary(ask('sub.example.test', 'DS'))).toMatchObject({ rcode: RCODE.NOERROR, aa: true, answer: [], authority: [NEGATIVE_SOA] });
  });
});

describe('resolve: which authority data must fit (RFC 2181 §9)', () => {
  it('marks a negative answer\'s SOA and a referral\'s NS as required, the zone NS beside a positive answer as not', () => {
    expect(ask('nothere.example.test').authorityRequired).toBe(true);
    expect(ask('www.example.test', 'MX').authorityRequired).toBe(true);
    expect(ask('dangling.example.test').authorityRequired).toBe(true);
    expect(ask('www.sub.example.test').authorityRequired).toBe(true);
    expect(ask('www.example.test').authorityRequired).toBe(false);
    expect(ask('alias.example.test').authorityRequired).toBe(false);
    expect(ask('example.test', 'NS').authorityRequired).toBe(false);
  });
});

describe('resolve: ANY (RFC 8482)', () => {
  it('answers one RRset: the SOA at the apex, otherwise the first', () => {
    expect(summary(ask('example.test', 'ANY'))).toMatchObject({ answer: ['example.test. SOA x1'], authority: [] });
    expect(summary(ask('mail.example.test', 'ANY'))).toMatchObject({ answer: ['mail.example.test. MX x1'], additional: ['mx1.example.test. A x1'] });
  });

  it('gives NODATA at an empty non-terminal and NXDOMAIN for a missing name', () => {
    expect(ask('c.example.test', 'ANY')).toMatchObject({ rcode: RCODE.NOERROR, answer: [] });
    expect(ask('nothere.example.test', 'ANY').rcode).toBe(RCODE.NXDOMAIN);
  });
});
