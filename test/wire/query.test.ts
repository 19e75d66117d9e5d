import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { QueryProblem, newParsedQuery, parseQuery } from '../../src/wire/query.js';

function query(name: string, type: dnsPacket.RecordType = 'A', extra: Partial<dnsPacket.Packet> = {}): Buffer {
  return dnsPacket.encode({ id: 7, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name, type, class: 'IN' }], ...extra });
}

describe('parseQuery', () => {
  it('reads the question and folds the name to lower case for lookup', () => {
    const q = newParsedQuery();
    expect(parseQuery(query('WwW.Example.TEST', 'AAAA'), q)).toBe(QueryProblem.None);
    expect(q.qkey).toBe('\x03www\x07example\x04test\x00');
    expect(q.qtype).toBe(28);
    expect(q.qclass).toBe(1);
    expect(q.hasEdns).toBe(false);
    expect(q.questionEnd).toBe(12 + 18 + 4);
  });

  it('reads EDNS payload and version from the OPT record', () => {
    const q = newParsedQuery();
    const msg = query('a.test', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 4096, ednsVersion: 1 } as dnsPacket.Answer] });
    expect(parseQuery(msg, q)).toBe(QueryProblem.None);
    expect(q).toMatchObject({ hasEdns: true, ednsPayload: 4096, ednsVersion: 1 });
  });

  it('raises an EDNS payload below 512 to 512 (RFC 6891 §6.2.5)', () => {
    const q = newParsedQuery();
    parseQuery(query('a.test', 'A', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 100 } as dnsPacket.Answer] }), q);
    expect(q.ednsPayload).toBe(512);
  });

  it('finds two OPT records a format error', () => {
    const opt = { type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.Answer;
    expect(parseQuery(query('a.test', 'A', { additionals: [opt, opt] }), newParsedQuery())).toBe(QueryProblem.FormErr);
  });

  it('drops packets too short for a header, and responses', () => {
    expect(parseQuery(Buffer.alloc(11), newParsedQuery())).toBe(QueryProblem.Drop);
    const response = dnsPacket.encode({ id: 1, type: 'response', questions: [{ name: 'a.test', type: 'A' }] });
    expect(parseQuery(response, newParsedQuery())).toBe(QueryProblem.Drop);
  });

  it('answers opcodes other than QUERY and NOTIFY with NOTIMP, reading only the header, and QDCOUNT other than 1 with FORMERR', () => {
    for (const opcode of [1, 2, 3, 5, 15]) {
      const msg = query('a.test');
      msg[2] |= opcode << 3;
      const q = newParsedQuery();
      expect(parseQuery(msg, q)).toBe(QueryProblem.NotImp);
      expect(q.questionEnd).toBe(0);
    }
    expect(parseQuery(dnsPacket.encode({ id: 1, type: 'query', questions: [] }), newParsedQuery())).toBe(QueryProblem.FormErr);
    const two = dnsPacket.encode({ id: 1, type: 'query', questions: [{ name: 'a.test', type: 'A' }, { name: 'b.test', type: 'A' }] });
    expect(parseQuery(two, newParsedQuery())).toBe(QueryProblem.FormErr);
  });

  it('reads a NOTIFY like a query, question and OPT, and tells it apart', () => {
    const notify = query('Example.TEST', 'SOA', { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232 } as dnsPacket.Answer] });
    notify[2] |= 4 << 3;
    const q = newParsedQuery();
    expect(parseQuery(notify, q)).toBe(QueryProblem.Notify);
    expect(q).toMatchObject({ opcode: 4, qkey: '\x07example\x04test\x00', qtype: 6, hasEdns: true });
    const bare = query('example.test', 'SOA');
    bare[2] |= 4 << 3;
    expect(parseQuery(bare, newParsedQuery())).toBe(QueryProblem.Notify);
    const noQuestion = Buffer.from(bare.subarray(0, 12));
    noQuestion[5] = 0;
    expect(parseQuery(noQuestion, newParsedQuery())).toBe(QueryProblem.FormErr);
  });

  it('finds truncated names, compression pointers in the question and overlong names format errors', () => {
    const msg = query('www.example.test');
    expect(parseQuery(msg.subarray(0, 20), newParsedQuery())).toBe(QueryProblem.FormErr);
    expect(parseQuery(msg.subarray(0, msg.length - 2), newParsedQuery())).toBe(QueryProblem.FormErr);
    const pointer = Buffer.from(msg);
    pointer[12] = 0xc0;
    expect(parseQuery(pointer, newParsedQuery())).toBe(QueryProblem.FormErr);
    const labels = Array.from({ length: 5 }, () => 'x'.repeat(63)).join('.');
    const long = Buffer.concat([msg.subarray(0, 12), Buffer.from(labels.split('.').map((l) => String.fromCharCode(l.length) + l).join('') + '\x00\x00\x01\x00\x01', 'latin1')]);
    expect(parseQuery(long, newParsedQuery())).toBe(QueryProblem.FormErr);
  });

  it('never throws on random bytes', () => {
    const q = newParsedQuery();
    let seed = 42;
    const random = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 256);
    for (let n = 0; n < 20000; n++) {
      const msg = Buffer.from(Array.from({ length: 12 + (n % 80) }, random));
      msg[2] &= 0x07;
      msg[4] = 0;
      msg[5] = 1;
      expect(() => parseQuery(msg, q)).not.toThrow();
    }
  });
});
