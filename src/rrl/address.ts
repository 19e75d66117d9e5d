// A client's source address, as Node gives it ("192.0.2.1", "2001:db8::1",
// "::ffff:192.0.2.1" from a dual-stack socket, "fe80::1%eth0"), read into
// numbers without allocating: this runs once per limited DNS response. The
// admin API's limit on refused authentications reads addresses with it too.

export const INVALID = 0;
export const IPV4 = 1;
export const IPV6 = 2;
export type Family = typeof INVALID | typeof IPV4 | typeof IPV6;

const DOT = 0x2e;
const COLON = 0x3a;

/**
 * Reads `address` into `out`: an IPv4 address (IPv4-mapped IPv6 included) as
 * out[0]; an IPv6 address as its first 64 bits, out[0] then out[1]. `groups`
 * is scratch space of 8. Returns the family, or INVALID when it is neither.
 */
export function parseAddress(address: string, groups: Uint16Array, out: Uint32Array): Family {
  if (address.indexOf(':') < 0) {
    const v4 = parseIpv4(address, 0, address.length);
    if (v4 < 0) return INVALID;
    out[0] = v4;
    out[1] = 0;
    return IPV4;
  }
  if (!parseIpv6(address, groups)) return INVALID;
  if (groups[0] === 0 && groups[1] === 0 && groups[2] === 0 && groups[3] === 0 && groups[4] === 0 && groups[5] === 0xffff) {
    out[0] = (groups[6] << 16) | groups[7];
    out[1] = 0;
    return IPV4;
  }
  out[0] = (groups[0] << 16) | groups[1];
  out[1] = (groups[2] << 16) | groups[3];
  return IPV6;
}

/** `address[start, end)` as a dotted quad, as an unsigned 32-bit number; -1 when it is not one. */
export function parseIpv4(address: string, start: number, end: number): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = address.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      octet = octet * 10 + (c - 0x30);
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === DOT && digits > 0 && dots < 3) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  return -1;
}

/** RFC 4291 §2.2 text (with `::`, an IPv4 tail, a `%zone`) into 8 groups; false when it is not one. */
function parseIpv6(address: string, groups: Uint16Array): boolean {
  let end = address.indexOf('%');
  if (end < 0) end = address.length;
  let i = 0;
  let count = 0;
  let gap = -1;
  if (address.charCodeAt(0) === COLON) {
    if (address.charCodeAt(1) !== COLON) return false;
    gap = 0;
    i = 2;
  }
  while (i < end) {
    const start = i;
    let value = 0;
    let digits = 0;
    for (let h = hexValue(address.charCodeAt(i)); i < end && h >= 0; h = hexValue(address.charCodeAt(++i))) {
      value = value * 16 + h;
      digits++;
    }
    if (i < end && address.charCodeAt(i) === DOT) {
      // An IPv4 tail takes the last two groups.
      const v4 = parseIpv4(address, start, end);
      if (v4 < 0 || count > 6) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = end;
      break;
    }
    if (digits === 0 || digits > 4 || count === 8) return false;
    groups[count++] = value;
    if (i === end) break;
    if (address.charCodeAt(i) !== COLON) return false;
    i++;
    if (address.charCodeAt(i) === COLON && i < end) {
      if (gap >= 0) return false;
      gap = count;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (gap < 0) return count === 8;
  if (count > 7) return false;
  const shift = 8 - count;
  for (let j = count - 1; j >= gap; j--) groups[j + shift] = groups[j];
  for (let j = gap; j < gap + shift; j++) groups[j] = 0;
  return true;
}

/** The mask of an IPv4 prefix of `bits` (0 to 32), unsigned. */
export function ipv4Mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** The masks of the two 32-bit halves of an IPv6 prefix of `bits` (0 to 64). */
export function ipv6Masks(bits: number): [high: number, low: number] {
  return [ipv4Mask(Math.min(bits, 32)), ipv4Mask(Math.max(bits - 32, 0))];
}
