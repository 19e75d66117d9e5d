import dnsPacket from 'dns-packet';
import { describe, expect, it } from 'vitest';
import { QueryStats, TCP, UDP } from '../../src/metrics/query-stats.js';
import { QueryHandler } from '../../src/server/handler.js';
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
    expect(packet.answers).toMatchObject([{ name: 'WWW.example.test', type: 'A', ttl: 300, data: '192.0.2.10' }]);
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

  it('gives NOTIMP for other opcodes, FORMERR for bad questions, and drops responses and short packets', () => {
    const { handler, stats } = newHandler();
    const notify = query({ name: 'example.test', type: 'SOA' });
    notify[2] = (notify[2] & 0x87) | (4 << 3);
    const notimp = decode(handler.handle(notify, UDP, 0)!);
    expect(notimp.rcode).toBe('NOTIMP');
    expect(notimp.id).toBe(4242);
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
