// The DNS code tables, one for every part of flipdns: types, classes and
// response codes. dns-packet knows the registered type and class names; the
// TYPEnnn / CLASSnnn forms of RFC 3597 §5 cover every other number.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const packetTypes = require('dns-packet/types.js') as { toType(name: string): number; toString(type: number): string };
const packetClasses = require('dns-packet/classes.js') as { toClass(name: string): number; toString(klass: number): string };

/** The types the server itself handles. */
export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  ANY: 255,
  CAA: 257,
} as const;

/** Response codes (RFC 1035 §4.1.1, RFC 2136 §2.2; BADVERS is extended, RFC 6891 §9). */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  /** Extended (RFC 6891): upper 8 bits go in the OPT record. */
  BADVERS: 16,
} as const;

const RCODE_NAMES = new Map<number, string>(Object.entries(RCODE).map(([name, code]) => [code, name]));

/** NOERROR, NXDOMAIN, ... or RCODEnn. */
export function rcodeToText(rcode: number): string {
  return RCODE_NAMES.get(rcode) ?? `RCODE${rcode}`;
}

const MAX_CODE = 0xffff;
// dns-packet's name for numbers it does not know, and its alias for ANY.
const PACKET_UNKNOWN = 'UNKNOWN_';
const PACKET_ANY_ALIAS = '*';

/** Mnemonic or TYPEnnn, any case; undefined when it names no type. */
export function typeFromText(text: string): number | undefined {
  const upper = text.toUpperCase();
  if (upper.startsWith('TYPE')) return rfc3597Number(upper, 4);
  if (upper === PACKET_ANY_ALIAS || upper.startsWith(PACKET_UNKNOWN)) return undefined;
  const type = packetTypes.toType(upper);
  return type === 0 ? undefined : type;
}

export function typeToText(type: number): string {
  const name = packetTypes.toString(type);
  return name.startsWith(PACKET_UNKNOWN) ? `TYPE${type}` : name;
}

/**
 * Types that only make sense in a query or as transport metadata (RFC 6895 §3.1:
 * 0, OPT and the 128-255 range), which a zone cannot hold.
 */
export function isQueryOnlyType(type: number): boolean {
  return type === 0 || type === TYPE.OPT || (type >= 128 && type <= 255);
}

/**
 * Data classes by mnemonic or CLASSnnn. ANY and NONE are left out on purpose:
 * they only appear in queries and updates, and in a zone file "ANY" must read
 * as the type.
 */
export function classFromText(text: string): number | undefined {
  const upper = text.toUpperCase();
  if (upper.startsWith('CLASS')) return rfc3597Number(upper, 5);
  if (upper === 'ANY') return undefined;
  const klass = packetClasses.toClass(upper);
  return klass === 0 ? undefined : klass;
}

export function classToText(klass: number): string {
  const name = packetClasses.toString(klass);
  return name.startsWith(PACKET_UNKNOWN) ? `CLASS${klass}` : name;
}

/** The decimal number after a TYPE or CLASS prefix, 0..65535, digits only. */
function rfc3597Number(text: string, prefixLength: number): number | undefined {
  if (text.length === prefixLength || text.length > prefixLength + 5) return undefined;
  let value = 0;
  for (let i = prefixLength; i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return value <= MAX_CODE ? value : undefined;
}
