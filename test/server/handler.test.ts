import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { QueryStats, TCP, UDP } from '../../src/metrics/query-stats.js';
import { QueryHandler } from '../../src/server/handler.js';
import { buildQuery } from '../helpers/dns.js';
import { RULES_FILES, zoneSetOf } from '../helpers/zones.js';

function newHandler(overrides: Partial<ConstructorParameters<typeof QueryHandler>[1]> = {}): { handler: QueryHandler; stats: QueryStats } {
  const stats = new QueryStats();
  const handler = new QueryHandler(zoneSetOf(RULES_FILES), { identity: { id: 'test-1' }, ednsPayload: 1232, cacheEntries: 1000, queryLogSample: 0, ...overrides }, stats);
  return { handler, stats };
}

interface Ask {
  name: string;
  type?: dnsPacket.RecordType;
  klass?: dnsPacket.RecordClass;
  id?: number;
  edns?: number;
  ednsVersion?: number;
  flags?: number;
}

function query({ name, type = 'A', klass = 'IN', id = 4242, edns, ednsVersion = 0, flags = dnsPacket.RECURSION_DESIRED }: Ask): Buffer {
  return dnsPacket.encode({
    id,
    type: 'query',
    flags,
    questions: [{ name, type, class: klass }],
    additionals: edns === undefined ? [] : [{ type: 'OPT', name: '.', udpPayloadSize: edns, ednsVersion } as dnsPacket.Answer],
  });
}

/** dns-packet's decode, with the sections it always fills and the rcode it always sets. */
type Decoded = Required<dnsPacket.DecodedPacket> & { rcode: string };

function decode(raw: Buffer): Decoded {
  return dnsPacket.decode(raw) as Decoded;
}

function ask(handler: QueryHandler, q: Ask): { raw: Buffer; packet: Decoded } {
  const raw = handler.handle(query(q), UDP, 0)!;
  return { raw, packet: decode(raw) };
}

describe('QueryHandler', () => {
  it('answers with AA, copies ID and RD, never sets RA', () => {
    const { handler } = newHandler();
    const { packet } = ask(handler, { name: 'www.example.test', id: 777 });
    expect(packet.id).toBe(777);
    expect(packet.flag_aa).toBe(true);
    expect(packet.flag_rd).toBe(true);
    expect(packet.flag_ra).toBe(false);
    // The zone writes WWW; the owner points at the question, so it reads as the client wrote it (as NSD does).
    expect(packet.answers).toMatchObject([{ name: 'www.example.test', type: 'A', ttl: 300, data: '192.0.2.10' }]);
    const norec = ask(handler, { name: 'www.example.test', flags: 0 }).packet;
    expect(norec.flag_rd).toBe(false);
  });

  it('echoes the question byte for byte, 0x20 case and all, from the precompiled response', () => {
    const { handler, stats } = newHandler();
    ask(handler, { name: 'www.example.test' });
    const { raw, packet } = ask(handler, { name: 'wWw.ExAmPlE.tEsT', id: 9 });
    expect(stats.cacheHits).toBe(1);
    expect(packet.questions[0].name).toBe('wWw.ExAmPlE.tEsT');
    expect(raw.subarray(12, 12 + 18)).toEqual(query({ name: 'wWw.ExAmPlE.tEsT' }).subarray(12, 12 + 18));
  });

  it('gives a wildcard answer the query name as the client spelled it', () => {
    const { handler } = newHandler();
    ask(handler, { name: 'a.wild.example.test' });
    expect(ask(handler, { name: 'A.Wild.example.test' }).packet.answers[0].name).toBe('A.Wild.example.test');
  });

  it('answers EDNS with an OPT advertising our payload size, and BADVERS for version 1', () => {
    const { handler } = newHandler();
    const opt = ask(handler, { name: 'www.example.test', edns: 4096 }).packet.additionals.find((r) => r.type === 'OPT') as dnsPacket.OptAnswer;
    expect(opt.udpPayloadSize).toBe(1232);
    const badvers = ask(handler, { name: 'www.example.test', edns: 4096, ednsVersion: 1 });
    const badOpt = badvers.packet.additionals.find((r) => r.type === 'OPT') as dnsPacket.OptAnswer;
    expect(badOpt.extendedRcode).toBe(1);
    expect(badvers.packet.rcode).toBe('NOERROR');
    expect(badvers.raw[3] & 0x0f).toBe(0);
    expect(badvers.packet.answers).toHaveLength(0);
  });

  it('copies the DO bit into the OPT record (RFC 3225 §3), keeping a separate precompiled answer per shape', () => {
    const { handler, stats } = newHandler();
    const plain = query({ name: 'www.example.test', edns: 1232 });
    const withDo = Buffer.from(plain);
    withDo[withDo.length - 4] |= 0x80;
    const optOf = (raw: Buffer) => decode(raw).additionals.find((r) => r.type === 'OPT') as dnsPacket.OptAnswer & { flag_do: boolean };
    expect(optOf(handler.handle(withDo, UDP, 0)!).flag_do).toBe(true);
    expect(optOf(handler.handle(plain, UDP, 0)!).flag_do).toBe(false);
    expect(stats.cacheMisses).toBe(2);
  });

  it('adds Extended DNS Error 20 (Not Authoritative) to REFUSED answers with EDNS', () => {
    const { handler } = newHandler();
    const { packet } = ask(handler, { name: 'www.example.com', edns: 1232 });
    expect(packet.rcode).toBe('REFUSED');
    const opt = packet.additionals.find((r) => r.type === 'OPT') as dnsPacket.OptAnswer;
    expect(opt.options).toEqual([{ code: 15, type: 'OPTION_15', data: Buffer.from([0, 20]) }]);
  });

  it('sets TC without EDNS when the answer exceeds 512 bytes, and answers in full over TCP', () => {
    const { handler } = newHandler();
    const udp = ask(handler, { name: 'big.example.test', type: 'TXT' });
    expect(udp.raw.length).toBeLessThanOrEqual(512);
    expect(udp.packet.flag_tc).toBe(true);
    const edns = ask(handler, { name: 'big.example.test', type: 'TXT', edns: 1232 });
    expect(edns.packet.flag_tc).toBe(false);
    expect(edns.packet.answers).toHaveLength(3);
    const framed = handler.handle(query({ name: 'big.example.test', type: 'TXT' }), TCP, 2)!;
    expect(framed.readUInt16BE(0)).toBe(framed.length - 2);
    const tcp = decode(framed.subarray(2));
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers).toHaveLength(3);
  });

  it('drops additional data that does not fit without setting TC', () => {
    const { handler } = newHandler({ ednsPayload: 512 });
    const { packet } = ask(handler, { name: 'www.example.test', edns: 512 });
    expect(packet.flag_tc).toBe(false);
  });

  it('answers CHAOS id.server and hostname.bind with the instance id, and refuses version.bind unless configured', () => {
    const { handler } = newHandler();
    for (const name of ['id.server', 'hostname.bind']) {
      const { packet } = ask(handler, { name, type: 'TXT', klass: 'CH' });
      expect(packet.answers).toMatchObject([{ name, type: 'TXT', class: 'CH' }]);
      expect(String((packet.answers[0] as dnsPacket.TxtAnswer).data)).toBe('test-1');
    }
    expect(ask(handler, { name: 'version.bind', type: 'TXT', klass: 'CH' }).packet.rcode).toBe('REFUSED');
    const versioned = newHandler({ identity: { id: 'x', version: 'flipdns 0.1' } }).handler;
    expect(String((ask(versioned, { name: 'version.bind', type: 'TXT', klass: 'CH' }).packet.answers[0] as dnsPacket.TxtAnswer).data)).toBe('flipdns 0.1');
  });

  it('gives FORMERR for bad questions, and drops responses and short packets', () => {
    const { handler, stats } = newHandler();
    const two = dnsPacket.encode({ id: 5, type: 'query', questions: [{ name: 'a.test', type: 'A' }, { name: 'b.test', type: 'A' }] });
    expect(decode(handler.handle(two, UDP, 0)!).rcode).toBe('FORMERR');
    expect(handler.handle(Buffer.alloc(5), UDP, 0)).toBeUndefined();
    const response = dnsPacket.encode({ id: 1, type: 'response', questions: [{ name: 'a.test', type: 'A' }] });
    expect(handler.handle(response, UDP, 0)).toBeUndefined();
    expect(stats.dropped).toBe(2);
  });

  it('refuses zone transfers and other classes', () => {
    const { handler } = newHandler();
    expect(ask(handler, { name: 'example.test', type: 'AXFR' }).packet.rcode).toBe('REFUSED');
    expect(ask(handler, { name: 'example.test', type: 'SOA', klass: 'HS' }).packet.rcode).toBe('REFUSED');
  });

  it('keeps answers separate per EDNS shape, type and class, and empties the cache on a new zone set', () => {
    const { handler, stats } = newHandler();
    ask(handler, { name: 'www.example.test' });
    ask(handler, { name: 'www.example.test', edns: 1232 });
    ask(handler, { name: 'www.example.test', type: 'AAAA' });
    expect(stats.cacheMisses).toBe(3);
    expect(handler.cache.size).toBe(3);
    handler.setZones(zoneSetOf({ 'example.test.zone': '$TTL 60\n@ SOA ns hm 1 1 1 1 1\n@ NS ns\nwww A 192.0.2.99\n' }));
    expect(handler.cache.size).toBe(0);
    expect(ask(handler, { name: 'www.example.test' }).packet.answers).toMatchObject([{ data: '192.0.2.99' }]);
  });

  it('counts queries by transport, type and rcode', () => {
    const { handler, stats } = newHandler();
    ask(handler, { name: 'www.example.test' });
    ask(handler, { name: 'nothere.example.test' });
    const seen: string[] = [];
    stats.forEachQueryCount((transport, qtype, rcode, value) => seen.push(`${transport} ${qtype} ${rcode} ${value}`));
    expect(seen.sort()).toEqual(['udp A NOERROR 1', 'udp A NXDOMAIN 1']);
  });

  it('never throws on mutated queries', () => {
    const { handler } = newHandler();
    const base = query({ name: 'www.example.test', edns: 1232 });
    let seed = 7;
    const random = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let n = 0; n < 20000; n++) {
      const msg = Buffer.from(base.subarray(0, 12 + random(base.length)));
      for (let k = 0; k < 3; k++) if (msg.length > 0) msg[random(msg.length)] = random(256);
      expect(() => handler.handle(msg, UDP, 0)).not.toThrow();
    }
  });
});

/** Header flag bits of a query: RD, AA, CD, AD and the Z bit, all set to see which come back. */
const ALL_QUERY_BITS = 0x0100 | 0x0400 | 0x0010 | 0x0020 | 0x0040;

/** The header NSD 4.6 sends back, less the flags it echoes: ID, QR and the opcode, the rcode, all counts zero. */
function headerOnly(id: number, opcode: number, rcode: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt16BE(id, 0);
  out.writeUInt16BE(0x8000 | (opcode << 11) | rcode, 2);
  return out;
}

describe('QueryHandler: opcodes other than QUERY (issue 9)', () => {
  it('answers IQUERY, STATUS, UPDATE and unassigned opcodes NOTIMP with the header alone: ID, QR, opcode, no RD', () => {
    const { handler, stats } = newHandler();
    for (const opcode of [1, 2, 3, 5, 6, 15]) {
      for (const edns of [undefined, { payload: 1232 }]) {
        const sent = buildQuery({ name: 'example.test', type: 'SOA', id: 0x1200 + opcode, opcode, flags: ALL_QUERY_BITS, edns });
        expect(handler.handle(sent, UDP, 0)).toEqual(headerOnly(0x1200 + opcode, opcode, 4));
      }
    }
    const framed = handler.handle(buildQuery({ name: 'example.test', type: 'SOA', id: 7, opcode: 5, rd: true }), TCP, 2)!;
    expect(framed).toEqual(Buffer.concat([Buffer.from([0, 12]), headerOnly(7, 5, 4)]));
    const seen: string[] = [];
    stats.forEachQueryCount((transport, qtype, rcode, value) => seen.push(`${transport} ${qtype} ${rcode} ${value}`));
    expect(seen.sort()).toEqual(['tcp OTHER NOTIMP 1', 'udp OTHER NOTIMP 12']);
  });

  it('refuses a NOTIFY for a zone it serves and answers NXDOMAIN for any other name, as NSD does, header alone', () => {
    const { handler } = newHandler();
    const notify = (name: string, extra: { edns?: { payload: number; version?: number }; klass?: string } = {}) =>
      handler.handle(buildQuery({ name, type: 'SOA', class: extra.klass ?? 'IN', id: 99, opcode: 4, flags: ALL_QUERY_BITS, edns: extra.edns }), UDP, 0);
    expect(notify('example.test')).toEqual(headerOnly(99, 4, 5));
    expect(notify('EXAMPLE.Test')).toEqual(headerOnly(99, 4, 5));
    expect(notify('other.test', { edns: { payload: 1232 } })).toEqual(headerOnly(99, 4, 5));
    expect(notify('example.test', { edns: { payload: 1232, version: 1 } })).toEqual(headerOnly(99, 4, 5));
    expect(notify('example.test', { klass: 'CH' })).toEqual(headerOnly(99, 4, 5));
    expect(notify('www.example.test')).toEqual(headerOnly(99, 4, 3));
    expect(notify('nothere.test')).toEqual(headerOnly(99, 4, 3));
  });

  it('gives a NOTIFY without a readable question FORMERR, header alone', () => {
    const { handler } = newHandler();
    const noQuestion = buildQuery({ name: 'example.test', id: 3, opcode: 4, rd: true }).subarray(0, 12);
    noQuestion.writeUInt16BE(0, 4);
    expect(handler.handle(noQuestion, UDP, 0)).toEqual(headerOnly(3, 4, 1));
    const pointer = buildQuery({ name: 'example.test', id: 4, opcode: 4, rd: true });
    pointer[12] = 0xc0;
    expect(handler.handle(pointer, UDP, 0)).toEqual(headerOnly(4, 4, 1));
  });

  it('keeps RD in a FORMERR to a QUERY', () => {
    const { handler } = newHandler();
    const two = dnsPacket.encode({ id: 5, type: 'query', flags: dnsPacket.RECURSION_DESIRED, questions: [{ name: 'a.test', type: 'A' }, { name: 'b.test', type: 'A' }] });
    const formerr = decode(handler.handle(two, UDP, 0)!);
    expect(formerr.rcode).toBe('FORMERR');
    expect(formerr.flag_rd).toBe(true);
  });
});

/** A TXT RRset of one record whose response, owner compressed, is `size` bytes over UDP without EDNS (question: 18 + 4 bytes). */
function txtOfResponseSize(size: number): string {
  const strings: string[] = [];
  for (let left = size - 12 - 22 - 12; left > 0; left -= 256) strings.push(`"${'x'.repeat(Math.min(256, left) - 1)}"`);
  return strings.join(' ');
}

/** fit, f12 and f13 (18-byte names, like the question) answer in 504, 512 and 513 bytes with the owner compressed; 520, 528, 529 without. */
const FIT_ZONE = `$ORIGIN example.test.
$TTL 300
@    SOA ns1 hostmaster 1 3600 600 86400 60
@    NS  ns1
@    NS  ns2
ns1  A   192.0.2.1
ns2  A   192.0.2.2
FiT  TXT ${txtOfResponseSize(504)}
f12  TXT ${txtOfResponseSize(512)}
f13  TXT ${txtOfResponseSize(513)}
`;

describe('QueryHandler: answers near 512 bytes (issue 9)', () => {
  const handlerFor = () => new QueryHandler(zoneSetOf({ 'example.test.zone': FIT_ZONE }), { identity: { id: 't' }, ednsPayload: 1232, cacheEntries: 100, queryLogSample: 0 }, new QueryStats());

  it('sends a TXT answer of 504 bytes in full over UDP without EDNS, owner pointing at the question, the zone NS left out without TC', () => {
    const handler = handlerFor();
    const { raw, packet } = ask(handler, { name: 'fit.example.test', type: 'TXT' });
    expect(raw.length).toBe(504);
    expect(packet.flag_tc).toBe(false);
    expect(packet.answers).toHaveLength(1);
    expect(packet.authorities).toHaveLength(0);
    expect(raw.subarray(34, 36)).toEqual(Buffer.from([0xc0, 0x0c]));
  });

  it('keeps the client spelling of the owner from the precompiled answer (0x20), one cache entry for all spellings', () => {
    const handler = handlerFor();
    ask(handler, { name: 'fit.example.test', type: 'TXT' });
    for (const spelling of ['FIT.example.test', 'fIt.ExAmPlE.tEsT']) {
      const { raw, packet } = ask(handler, { name: spelling, type: 'TXT' });
      expect(packet.questions[0].name).toBe(spelling);
      expect(packet.answers[0].name).toBe(spelling);
      expect(raw.length).toBe(504);
      const tcp = decode(handler.handle(query({ name: spelling, type: 'TXT' }), TCP, 2)!.subarray(2));
      expect(tcp.answers[0].name).toBe(spelling);
      expect(tcp.authorities.map((r) => r.name)).toEqual(['example.test', 'example.test']);
    }
    expect(handler.cache.size).toBe(1);
  });

  it('fits an answer of exactly 512 bytes, and one byte more gets TC with the question alone, as NSD', () => {
    const handler = handlerFor();
    const exact = ask(handler, { name: 'f12.example.test', type: 'TXT' });
    expect(exact.raw.length).toBe(512);
    expect(exact.packet.flag_tc).toBe(false);
    expect(exact.packet.answers).toHaveLength(1);
    const over = ask(handler, { name: 'f13.example.test', type: 'TXT' });
    expect(over.raw.length).toBe(34);
    expect(over.packet.flag_tc).toBe(true);
    expect(over.packet.answers).toHaveLength(0);
    const tcp = decode(handler.handle(query({ name: 'f13.example.test', type: 'TXT' }), TCP, 2)!.subarray(2));
    expect(tcp.flag_tc).toBe(false);
    expect(tcp.answers).toHaveLength(1);
  });
});
