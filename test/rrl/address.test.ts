import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { INVALID, IPV4, IPV6, ipv4Mask, ipv6Masks, parseAddress } from '../../src/rrl/address.js';

function parse(address: string): { family: number; high: number; low: number } {
  const out = new Uint32Array(2);
  const family = parseAddress(address, new Uint16Array(8), out);
  return { family, high: out[0], low: out[1] };
}

describe('parseAddress', () => {
  it('reads IPv4 as one 32-bit number', () => {
    expect(parse('192.0.2.1')).toEqual({ family: IPV4, high: 0xc0000201, low: 0 });
    expect(parse('255.255.255.255')).toEqual({ family: IPV4, high: 0xffffffff, low: 0 });
    expect(parse('0.0.0.0')).toEqual({ family: IPV4, high: 0, low: 0 });
  });

  it('reads the first 64 bits of IPv6, in every spelling Node gives', () => {
    expect(parse('2001:db8:1:2:3:4:5:6')).toEqual({ family: IPV6, high: 0x20010db8, low: 0x00010002 });
    expect(parse('2001:db8::1')).toEqual({ family: IPV6, high: 0x20010db8, low: 0 });
    expect(parse('2001:db8:ab:cdef::')).toEqual({ family: IPV6, high: 0x20010db8, low: 0x00abcdef });
    expect(parse('::1')).toEqual({ family: IPV6, high: 0, low: 0 });
    expect(parse('::')).toEqual({ family: IPV6, high: 0, low: 0 });
    expect(parse('fe80::1:2%eth0')).toEqual({ family: IPV6, high: 0xfe800000, low: 0 });
    expect(parse('1:2:3::7:8')).toEqual({ family: IPV6, high: 0x00010002, low: 0x00030000 });
    expect(parse('64:ff9b::192.0.2.1')).toEqual({ family: IPV6, high: 0x0064ff9b, low: 0 });
    expect(parse('2001:DB8:A::')).toEqual({ family: IPV6, high: 0x20010db8, low: 0x000a0000 });
  });

  it('reads an IPv4-mapped IPv6 address (a dual-stack socket) as IPv4', () => {
    expect(parse('::ffff:192.0.2.1')).toEqual({ family: IPV4, high: 0xc0000201, low: 0 });
    expect(parse('::ffff:c000:201')).toEqual({ family: IPV4, high: 0xc0000201, low: 0 });
  });

  it('refuses what is not an address, as node:net does', () => {
    const bad = ['', '1.2.3', '1.2.3.4.5', '256.0.0.1', '1..2.3', '1.2.3.', 'a.b.c.d', ':', ':::', '1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7', '1:', ':1', 'g::1', '::1.2.3', '1:2:3:4:5:6:7:1.2.3.4', 'localhost'];
    for (const address of bad) {
      expect(isIP(address), address).toBe(0);
      expect(parse(address).family, address).toBe(INVALID);
    }
  });
});

describe('prefix masks', () => {
  it('masks IPv4 from 0 to 32 bits', () => {
    expect([0, 8, 24, 31, 32].map(ipv4Mask)).toEqual([0, 0xff000000, 0xffffff00, 0xfffffffe, 0xffffffff]);
  });

  it('masks the two halves of IPv6 up to 64 bits', () => {
    expect(ipv6Masks(0)).toEqual([0, 0]);
    expect(ipv6Masks(32)).toEqual([0xffffffff, 0]);
    expect(ipv6Masks(48)).toEqual([0xffffffff, 0xffff0000]);
    expect(ipv6Masks(56)).toEqual([0xffffffff, 0xffffff00]);
    expect(ipv6Masks(64)).toEqual([0xffffffff, 0xffffffff]);
  });
});
