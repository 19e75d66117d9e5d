import { SocketAddress, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ZoneLexer } from '../../src/zone/lexer.js';
import { textToName } from '../../src/zone/name.js';
import { MAX_TTL, encodeRdata, parseTtl, targetOf } from '../../src/zone/rdata.js';
import { TYPE, typeFromText } from '../../src/zone/types.js';

const ORIGIN = textToName('example.test.', undefined);

/** inet_pton then inet_ntop, by way of node:net. */
function canonicalIpv6(text: string): string {
  return new SocketAddress({ address: text, family: 'ipv6' }).address;
}

/** Wire RDATA of `rdata` (presentation form) for the type named, as hex. */
function encode(type: string, rdata: string): string {
  const lexer = new ZoneLexer(rdata);
  if (!lexer.next()) return hex(encodeRdata(typeFromText(type)!, { texts: [], quoted: [], count: 0 }, 0, ORIGIN));
  if (lexer.error !== undefined) throw new Error(lexer.error);
  return hex(encodeRdata(typeFromText(type)!, lexer, 0, ORIGIN));
}

function hex(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('hex');
}

/** Wire name as hex, for expectations. */
function name(text: string): string {
  return hex(textToName(text, ORIGIN));
}

describe('parseTtl', () => {
  it('reads seconds and units in any case', () => {
    expect(parseTtl('0')).toBe(0);
    expect(parseTtl('3600')).toBe(3600);
    expect(parseTtl('1h30m')).toBe(5400);
    expect(parseTtl('2W')).toBe(1209600);
    expect(parseTtl('1d2H3m4S')).toBe(93784);
    expect(parseTtl('1h30')).toBe(3630);
    expect(parseTtl(String(MAX_TTL))).toBe(2147483647);
  });

  it('refuses what is not a TTL and what is out of range', () => {
    for (const text of ['', 'h', '1x', '1.5h', '-1', 'h1']) {
      expect(() => parseTtl(text), text).toThrow(`"${text}" is not a TTL (seconds, or units as in 1h30m)`);
    }
    expect(() => parseTtl('2147483648')).toThrow('TTL "2147483648" is over the maximum of 2147483647 seconds');
    expect(() => parseTtl('99999999999999999999')).toThrow('is over the maximum');
    expect(() => parseTtl('3551w')).toThrow('TTL "3551w" is over the maximum of 2147483647 seconds');
  });
});

describe('encodeRdata', () => {
  it('A and AAAA', () => {
    expect(encode('A', '192.0.2.1')).toBe('c0000201');
    expect(encode('A', '0.0.0.0')).toBe('00000000');
    expect(encode('AAAA', '2001:db8::1')).toBe('20010db8000000000000000000000001');
    expect(encode('AAAA', '::ffff:192.0.2.1')).toBe('00000000000000000000ffffc0000201');
  });

  it('reads IPv6 as node:net does (dns-packet drops a word of ::2:3:4:5:6:7:8)', () => {
    const valid = [
      '::', '::1', '1::', '2001:db8::', '2001:DB8:0:0:8:800:200C:417A', 'ff01::101', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8', '1::8', '0:0:0:0:0:0:0:0', '::ffff:192.0.2.1', '::192.0.2.1', '1:2:3:4:5:6:192.0.2.1', '64:ff9b::198.51.100.7', 'abcd:ef01::',
    ];
    for (const text of valid) {
      expect(isIPv6(text), text).toBe(true);
      const words = encode('AAAA', text).match(/.{4}/g)!.join(':');
      expect(canonicalIpv6(words), text).toBe(canonicalIpv6(text));
    }
    const invalid = [
      '', ':', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1::2::3', ':1::', '1::2:', '12345::', 'g::', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8',
      '1.2.3.4', '::1.2.3', '::1.2.3.4.5', '::256.0.0.1', '1.2.3.4::', '::1.2.3.4:5', '1:2:3:4:5:6:7:1.2.3.4', 'fe80::1%eth0', ' ::1',
    ];
    for (const text of invalid) {
      expect(() => encode('AAAA', `"${text}"`), text).toThrow('is not an IPv6 address');
    }
  });

  it('refuses malformed addresses', () => {
    for (const text of ['192.0.2', '192.0.2.256', '192.0.2.01', '192.0.2.1.5', '1..2.3', 'a.b.c.d', '192.0.2.1/24']) {
      expect(() => encode('A', text), text).toThrow(`A address: "${text}" is not an IPv4 address`);
    }
    for (const text of ['2001:db8:::1', 'fe80::1%eth0', '192.0.2.1', 'zz::1']) {
      expect(() => encode('AAAA', text), text).toThrow(`AAAA address: "${text}" is not an IPv6 address`);
    }
  });

  it('names: NS, CNAME, PTR, relative, absolute and escaped, case kept', () => {
    expect(encode('NS', 'ns1')).toBe(name('ns1'));
    expect(encode('CNAME', 'WWW.elsewhere.test.')).toBe(hex('\x03WWW\x09elsewhere\x04test\x00'));
    expect(encode('PTR', '@')).toBe(name('@'));
    expect(encode('CNAME', 'a\\.b')).toBe(hex('\x03a.b\x07example\x04test\x00'));
  });

  it('refuses quoted and malformed names, naming the field', () => {
    expect(() => encode('CNAME', '"www"')).toThrow('CNAME target: a domain name cannot be quoted ("www")');
    expect(() => encode('NS', 'a..b')).toThrow('NS name server: empty label in name "a..b"');
  });

  it('MX and SRV', () => {
    expect(encode('MX', '10 mail')).toBe('000a' + name('mail'));
    expect(encode('SRV', '10 60 5060 www')).toBe('000a003c13c4' + name('www'));
    expect(() => encode('MX', '65536 mail')).toThrow('MX preference: "65536" is not an integer from 0 to 65535');
    expect(() => encode('SRV', '1 2 x www')).toThrow('SRV port: "x" is not an integer from 0 to 65535');
  });

  it('SOA, with TTL units in the timers', () => {
    const expected = name('ns1') + name('hostmaster') + '78c2b859' + '00000e10' + '00000384' + '00093a80' + '0000012c';
    expect(encode('SOA', 'ns1 hostmaster 2026027097 1h 15m 1w 300')).toBe(expected);
    expect(() => encode('SOA', 'ns1 hostmaster 4294967296 1 1 1 1')).toThrow('SOA serial: "4294967296" is not an integer from 0 to 4294967295');
    expect(() => encode('SOA', 'ns1 hostmaster 1 1 1 1x 1')).toThrow('SOA expire: "1x" is not a TTL');
  });

  it('reports a missing field and extra data', () => {
    expect(() => encode('SOA', 'ns1 hostmaster 1 2 3 4')).toThrow('SOA record is missing its minimum');
    expect(() => encode('A', '')).toThrow('A record is missing its address');
    expect(() => encode('A', '192.0.2.1 192.0.2.2')).toThrow('A record has extra data "192.0.2.2"');
    expect(() => encode('CNAME', 'a b')).toThrow('CNAME record has extra data "b"');
  });

  it('TXT: several strings, quoted or bare, escapes decoded, each at most 255 bytes', () => {
    expect(encode('TXT', '"a b" c\\"d "" \\065')).toBe(hex('\x03a b\x03c"d\x00\x01A'));
    expect(encode('TXT', `"${'x'.repeat(255)}"`)).toBe(hex('\xff' + 'x'.repeat(255)));
    expect(() => encode('TXT', `ok "${'x'.repeat(256)}"`)).toThrow('TXT text: string of 256 bytes is over 255; split it into several strings');
    expect(() => encode('TXT', '')).toThrow('TXT record is missing its text');
  });

  it('CAA: flags, tag and a quoted or bare value', () => {
    expect(encode('CAA', '0 issue "ca.example.test; policy=ev"')).toBe(hex('\x00\x05issueca.example.test; policy=ev'));
    expect(encode('CAA', '128 iodef mailto:security@example.test')).toBe(hex('\x80\x05iodefmailto:security@example.test'));
    expect(() => encode('CAA', '0 is-sue x')).toThrow('CAA tag: "is-sue" is not a CAA tag (letters and digits only)');
    expect(() => encode('CAA', '256 issue x')).toThrow('CAA flags: "256" is not an integer from 0 to 255');
  });

  it('RFC 3597 generic form for any type, hex split by blanks', () => {
    expect(encode('TYPE65534', '\\# 3 abcdef')).toBe('abcdef');
    expect(encode('TYPE65534', '\\# 4 ab cd EF01')).toBe('abcdef01');
    expect(encode('TYPE65534', '\\# 0')).toBe('');
    expect(encode('A', '\\# 4 c0000201')).toBe('c0000201');
    expect(encode('CNAME', '\\# 5 0378797a00')).toBe('0378797a00');
  });

  it('refuses a generic form whose length or hex is wrong', () => {
    expect(() => encode('TYPE65534', '\\# 3 abcd')).toThrow('TYPE65534 data is 2 bytes but the length says 3');
    expect(() => encode('TYPE65534', '\\# 1 abc')).toThrow('TYPE65534 data has an odd number of hex digits');
    expect(() => encode('TYPE65534', '\\# 1 zz')).toThrow('TYPE65534 data: "zz" is not hexadecimal');
    expect(() => encode('TYPE65534', '\\# x')).toThrow('TYPE65534 length: "x" is not an integer from 0 to 65535');
    expect(() => encode('TYPE65534', '\\#')).toThrow('TYPE65534 record is missing its length');
  });

  it('refuses generic data that is not valid for a type the server knows', () => {
    expect(() => encode('A', '\\# 3 c00002')).toThrow('A data in \\# form is not valid A RDATA');
    // A compression pointer, which zone data cannot hold.
    expect(() => encode('CNAME', '\\# 2 c00c')).toThrow('CNAME data in \\# form is not valid CNAME RDATA');
    expect(() => encode('MX', '\\# 4 000a0378')).toThrow('MX data in \\# form is not valid MX RDATA');
    expect(() => encode('TXT', '\\# 2 0561')).toThrow('TXT data in \\# form is not valid TXT RDATA');
    expect(() => encode('TXT', '\\# 0')).toThrow('TXT data in \\# form is not valid TXT RDATA');
  });

  it('needs the generic form for types without a syntax here', () => {
    expect(() => encode('DS', '12345 13 2 abcd')).toThrow('unsupported type DS; write it in RFC 3597 form (\\# len hex)');
    expect(() => encode('TYPE65534', 'abcdef')).toThrow('unsupported type TYPE65534; write it in RFC 3597 form (\\# len hex)');
    expect(encode('DS', '\\# 4 30390d02')).toBe('30390d02');
  });
});

describe('targetOf', () => {
  const upper = textToName('MAIL', ORIGIN);
  const folded = textToName('mail', ORIGIN);

  it('gives the folded target of CNAME, NS, MX, SRV and the SOA MNAME', () => {
    expect(targetOf(TYPE.CNAME, upper)).toBe(folded);
    expect(targetOf(TYPE.NS, upper)).toBe(folded);
    expect(targetOf(TYPE.MX, '\x00\x0a' + upper)).toBe(folded);
    expect(targetOf(TYPE.SRV, '\x00\x01\x00\x02\x00\x03' + upper)).toBe(folded);
    expect(targetOf(TYPE.SOA, upper + textToName('hostmaster', ORIGIN) + '\x00'.repeat(20))).toBe(folded);
  });

  it('works on RDATA given in the generic form, and is undefined for other types', () => {
    const lexer = new ZoneLexer('\\# 13 000a 044d41494c 0474657374 00');
    lexer.next();
    expect(targetOf(TYPE.MX, encodeRdata(TYPE.MX, lexer, 0, ORIGIN))).toBe('\x04mail\x04test\x00');
    expect(targetOf(TYPE.A, '\xc0\x00\x02\x01')).toBeUndefined();
    expect(targetOf(TYPE.PTR, upper)).toBeUndefined();
  });
});
