import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { type AnswerPlan, QUESTION_OWNER, type SectionEntry, emptyPlan } from '../../src/answer/plan.js';
import type { RRset } from '../../src/zone/model.js';
import { ROOT_WIRE, textToName } from '../../src/zone/name.js';
import { RCODE, TYPE } from '../../src/zone/types.js';
import { FLAG_TC, encodeError, encodeResponse } from '../../src/wire/response.js';

const name = (text: string): string => textToName(text, ROOT_WIRE);
const HEADER = 12;
const POINTER_TO_QUESTION = Buffer.from([0xc0, 0x0c]);

/** One TXT record whose RDATA is `length` bytes (character-strings of up to 255). */
function txtRdata(length: number): string {
  let out = '';
  for (let left = length; left > 0; ) {
    const chunk = Math.min(256, left);
    out += String.fromCharCode(chunk - 1) + 'x'.repeat(chunk - 1);
    left -= chunk;
  }
  return out;
}

const rrset = (type: number, rdatas: string[], ttl = 300): RRset => ({ type, ttls: rdatas.map(() => ttl), rdatas });
const entry = (owner: string | typeof QUESTION_OWNER, set: RRset): SectionEntry => ({ owner, rrset: set });

const APEX = name('example.test');
const APEX_NS = entry(APEX, rrset(TYPE.NS, [name('ns1.example.test'), name('ns2.example.test')]));
const NS_ADDRESSES = [
  entry(name('ns1.example.test'), rrset(TYPE.A, ['\xc0\x00\x02\x01'])),
  entry(name('ns2.example.test'), rrset(TYPE.A, ['\xc0\x00\x02\x02'])),
];
const SOA = entry(APEX, rrset(TYPE.SOA, [name('ns1.example.test') + name('hostmaster.example.test') + '\x00'.repeat(20)]));

/** Question `FiT.example.test TXT` (18 bytes of name): header and question take 34 bytes. */
const QNAME = name('fit.example.test');
const QUESTION = { wire: QNAME, qtype: TYPE.TXT, qclass: 1 };
const QUESTION_END = HEADER + QNAME.length + 4;
/** A TXT record with its owner as a pointer takes 12 bytes besides its RDATA. */
const RECORD_OVERHEAD = 12;

/** A positive answer of `size` bytes over UDP without EDNS (owner as a pointer), with the zone's NS and their addresses. */
function positive(size: number, owner = name('FiT.Example.test')): AnswerPlan {
  const plan = emptyPlan(RCODE.NOERROR, true);
  plan.answer.push(entry(owner, rrset(TYPE.TXT, [txtRdata(size - QUESTION_END - RECORD_OVERHEAD)])));
  plan.authority.push(APEX_NS);
  plan.additional.push(...NS_ADDRESSES);
  return plan;
}

function flags(bytes: Buffer): number {
  return bytes.readUInt16BE(2);
}

function counts(bytes: Buffer): number[] {
  return [6, 8, 10].map((at) => bytes.readUInt16BE(at));
}

describe('encodeResponse: an owner equal to the question points at it', () => {
  it('writes the answer owner as a pointer to the question whatever case the zone wrote it in (issue 9)', () => {
    const bytes = encodeResponse(positive(200), QUESTION, undefined, 65535);
    expect(bytes.subarray(QUESTION_END, QUESTION_END + 2)).toEqual(POINTER_TO_QUESTION);
    // Read with the client's spelling patched into the question, the owner is that spelling.
    const patched = Buffer.from(bytes);
    Buffer.from(name('fIt.eXaMpLe.TeSt'), 'latin1').copy(patched, HEADER);
    expect(dnsPacket.decode(patched).answers![0].name).toBe('fIt.eXaMpLe.TeSt');
  });

  it('points any compressible name equal to the question at it, and other names only at byte-identical ones', () => {
    const plan = emptyPlan(RCODE.NOERROR, true);
    // Query for ns1.example.test A: the apex NS RDATA names it, the zone spells it NS1.
    plan.answer.push(entry(name('NS1.example.test'), rrset(TYPE.A, ['\xc0\x00\x02\x01'])));
    plan.authority.push(entry(APEX, rrset(TYPE.NS, [name('NS1.Example.TEST'), name('ns2.example.test')])));
    const question = { wire: name('ns1.example.test'), qtype: TYPE.A, qclass: 1 };
    const decoded = dnsPacket.decode(encodeResponse(plan, question, undefined, 65535));
    // The question was encoded folded; the server patches in the client's spelling.
    expect(decoded.answers![0].name).toBe('ns1.example.test');
    expect(decoded.authorities!.map((r) => r.name)).toEqual(['example.test', 'example.test']);
    expect(decoded.authorities!.map((r) => (r as dnsPacket.StringAnswer).data)).toEqual(['ns1.example.test', 'ns2.example.test']);
  });

  it('points the end of a longer name at the question when that end is the question name', () => {
    const plan = emptyPlan(RCODE.NOERROR, true);
    plan.answer.push(entry(name('www.Example.test'), rrset(TYPE.CNAME, [name('x.www.Example.test')])));
    const bytes = encodeResponse(plan, { wire: name('www.example.test'), qtype: TYPE.CNAME, qclass: 1 }, undefined, 65535);
    const decoded = dnsPacket.decode(bytes);
    expect((decoded.answers![0] as dnsPacket.StringAnswer).data).toBe('x.www.example.test');
    // Owner: a pointer; RDATA: the label x and a pointer.
    expect(bytes.length).toBe(HEADER + 18 + 4 + 2 + 10 + 2 + 2);
  });
});

describe('encodeResponse: truncation (RFC 2181 §9)', () => {
  it('sends a 504-byte answer in full over UDP without EDNS, leaving out authority and additional without TC (issue 9)', () => {
    const full = encodeResponse(positive(504), QUESTION, undefined, 65535);
    expect(full.length).toBe(504 + APEX_NS_BYTES + NS_ADDRESS_BYTES);
    const bytes = encodeResponse(positive(504), QUESTION, undefined, 512);
    expect(bytes.length).toBe(504);
    expect(flags(bytes) & FLAG_TC).toBe(0);
    expect(counts(bytes)).toEqual([1, 0, 0]);
  });

  it('fits an answer of exactly 512 bytes, and sets TC with an empty answer section one byte past it', () => {
    const exact = encodeResponse(positive(512), QUESTION, undefined, 512);
    expect(exact.length).toBe(512);
    expect(flags(exact) & FLAG_TC).toBe(0);
    expect(counts(exact)).toEqual([1, 0, 0]);
    const over = encodeResponse(positive(513), QUESTION, undefined, 512);
    expect(over.length).toBe(QUESTION_END);
    expect(flags(over) & FLAG_TC).toBe(FLAG_TC);
    expect(counts(over)).toEqual([0, 0, 0]);
  });

  it('counts the OPT record against an EDNS limit', () => {
    const edns = { payload: 1232, dnssecOk: false };
    expect(flags(encodeResponse(positive(512 - 11), QUESTION, edns, 512)) & FLAG_TC).toBe(0);
    expect(flags(encodeResponse(positive(512 - 10), QUESTION, edns, 512)) & FLAG_TC).toBe(FLAG_TC);
  });

  it('keeps the zone NS beside a positive answer when it fits, drops the addresses first', () => {
    const size = 512 - APEX_NS_BYTES;
    const bytes = encodeResponse(positive(size), QUESTION, undefined, 512);
    expect(bytes.length).toBe(512);
    expect(flags(bytes) & FLAG_TC).toBe(0);
    expect(counts(bytes)).toEqual([1, 2, 0]);
  });

  it('sets TC when the SOA of a negative answer does not fit: it is the answer', () => {
    const plan = emptyPlan(RCODE.NXDOMAIN, true);
    plan.authority.push(SOA);
    plan.authorityRequired = true;
    const fits = encodeResponse(plan, QUESTION, undefined, 512);
    expect(counts(fits)).toEqual([0, 1, 0]);
    const tight = encodeResponse(plan, QUESTION, undefined, fits.length - 1);
    expect(flags(tight) & FLAG_TC).toBe(FLAG_TC);
    expect(counts(tight)).toEqual([0, 0, 0]);
  });

  it('sets TC when a referral NS set does not fit, or its in-domain glue (RFC 9471)', () => {
    const plan = emptyPlan(RCODE.NOERROR, false);
    plan.authority.push(entry(name('sub.example.test'), rrset(TYPE.NS, [name('ns.sub.example.test')])));
    plan.additional.push(entry(name('ns.sub.example.test'), rrset(TYPE.A, ['\xc0\x00\x02\x28'])));
    plan.authorityRequired = true;
    plan.glueRequired = true;
    const question = { wire: name('host.sub.example.test'), qtype: TYPE.A, qclass: 1 };
    const full = encodeResponse(plan, question, undefined, 512);
    expect(counts(full)).toEqual([0, 1, 1]);
    expect(flags(full) & FLAG_TC).toBe(0);
    const noGlue = encodeResponse(plan, question, undefined, full.length - 1);
    expect(counts(noGlue)).toEqual([0, 1, 0]);
    expect(flags(noGlue) & FLAG_TC).toBe(FLAG_TC);
    const noNs = encodeResponse(plan, question, undefined, HEADER + 25 + 10);
    expect(counts(noNs)).toEqual([0, 0, 0]);
    expect(flags(noNs) & FLAG_TC).toBe(FLAG_TC);
  });

  it('keeps the RRsets of the answer that fit before the one that does not (a CNAME chain)', () => {
    const plan = emptyPlan(RCODE.NOERROR, true);
    plan.answer.push(entry(QNAME, rrset(TYPE.CNAME, [name('target.example.test')])));
    plan.answer.push(entry(name('target.example.test'), rrset(TYPE.TXT, [txtRdata(600)])));
    const bytes = encodeResponse(plan, QUESTION, undefined, 512);
    expect(counts(bytes)).toEqual([1, 0, 0]);
    expect(flags(bytes) & FLAG_TC).toBe(FLAG_TC);
  });
});

describe('encodeError', () => {
  const header = (opcode: number, bits: number): Buffer => {
    const msg = Buffer.alloc(HEADER + QNAME.length + 4);
    msg.writeUInt16BE(0xbeef, 0);
    msg.writeUInt16BE((opcode << 11) | bits, 2);
    msg.writeUInt16BE(1, 4);
    Buffer.from(QNAME, 'latin1').copy(msg, HEADER);
    return msg;
  };

  it('keeps only the ID, QR, the opcode and the rcode for opcodes other than QUERY: RD is defined for QUERY only', () => {
    for (const opcode of [1, 2, 4, 5, 15]) {
      const bytes = encodeError(header(opcode, 0x0100 | 0x0400 | 0x0010 | 0x0040 | 0x0020), RCODE.NOTIMP, 0);
      expect(bytes).toEqual(Buffer.from([0xbe, 0xef, 0x80 | (opcode << 3), RCODE.NOTIMP, 0, 0, 0, 0, 0, 0, 0, 0]));
    }
  });

  it('keeps RD in a FORMERR to a QUERY, with the question when it could be read', () => {
    const bytes = encodeError(header(0, 0x0100), RCODE.FORMERR, QUESTION_END);
    expect(bytes.readUInt16BE(2)).toBe(0x8100 | RCODE.FORMERR);
    expect(bytes.length).toBe(QUESTION_END);
  });
});

/** The apex NS RRset after a pointer-owned answer: owner written once (14), then a pointer; ns1/ns2 + pointer. */
const APEX_NS_BYTES = 14 + 10 + 6 + 2 + 10 + 6;
/** Two A records whose owners point at the NS RDATA naming them. */
const NS_ADDRESS_BYTES = 2 * (2 + 10 + 4);
