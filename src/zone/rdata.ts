// Presentation-form RDATA to uncompressed wire RDATA (a latin1 string, see
// name.ts), for the types the server knows and, for every type, the RFC 3597
// generic form `\# <length> <hex>`.
//
// dns-packet's RDATA encoders do not fit here: its name encoder knows no
// escapes; its A and AAAA encoders accept garbage ("1.2.3" becomes 1.2.3.0)
// and the AAAA one drops the last word of "::2:3:4:5:6:7:8"; its TXT and CAA
// encoders re-encode as UTF-8 the bytes we already hold.
//
// No regex runs on token text: a token is often a slice of the whole zone
// file, and V8 keeps the subject of the last regex match alive, so one
// matched token would pin the whole file text in memory after the load.

import { type Tokens, ZoneSyntaxError, decodeEscapes } from './lexer.js';
import { NameSyntaxError, foldCase, textToName, wireNameEnd } from './name.js';
import { TYPE, typeToText } from './types.js';

export const MAX_TTL = 0x7fffffff;
export const MAX_RDATA_LENGTH = 0xffff;
const MAX_STRING_LENGTH = 255;
const IPV6_WORDS = 8;
const GENERIC_MARKER = '\\#';

/** TTL in seconds, or with units as in `1h30m` or `2W` (any case). */
export function parseTtl(text: string): number {
  if (text.length === 0) throw notATtl(text);
  let total = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      value = value * 10 + (c - 0x30);
      digits++;
      // Stops long digit runs before they lose precision.
      if (value > MAX_TTL) throw ttlTooLarge(text);
      continue;
    }
    const unit = secondsPerUnit(c | 0x20);
    if (unit === 0 || digits === 0) throw notATtl(text);
    total += value * unit;
    value = 0;
    digits = 0;
  }
  total += value;
  if (total > MAX_TTL) throw ttlTooLarge(text);
  return total;
}

function secondsPerUnit(lowerCaseChar: number): number {
  switch (lowerCaseChar) {
    case 0x73: return 1; // s
    case 0x6d: return 60; // m
    case 0x68: return 3600; // h
    case 0x64: return 86400; // d
    case 0x77: return 604800; // w
    default: return 0;
  }
}

function notATtl(text: string): ZoneSyntaxError {
  return new ZoneSyntaxError(`"${text}" is not a TTL (seconds, or units as in 1h30m)`);
}

function ttlTooLarge(text: string): ZoneSyntaxError {
  return new ZoneSyntaxError(`TTL "${text}" is over the maximum of ${MAX_TTL} seconds`);
}

/** A domain name token; quoting would have already decoded the escapes that tell label dots from literal ones. */
export function tokenToName(text: string, quoted: boolean, origin: string): string {
  if (quoted) throw new ZoneSyntaxError(`a domain name cannot be quoted ("${text}")`);
  return flattened(textToName(text, origin));
}

/**
 * Names and RDATA are built by concatenation, which V8 keeps as a tree of
 * pieces until a byte is read; a piece may be a slice that keeps the whole
 * zone file text alive. Reading one byte now flattens the string while it is
 * young and cheap to copy: left to the zone builder's hashing after promotion,
 * this took longer than the whole parse of a million records.
 */
function flattened(s: string): string {
  s.charCodeAt(s.length - 1);
  return s;
}

/**
 * The wire RDATA of one record from the tokens at `first` onwards. Throws
 * ZoneSyntaxError with a message that names the type and the field.
 */
export function encodeRdata(type: number, tokens: Tokens, first: number, origin: string): string {
  const fields = new FieldReader(tokens, first, type, origin);
  if (first < tokens.count && !tokens.quoted[first] && tokens.texts[first] === GENERIC_MARKER) {
    fields.skip();
    return encodeGeneric(fields, type);
  }
  const encode = ENCODERS.get(type);
  if (encode === undefined) {
    throw new ZoneSyntaxError(`unsupported type ${typeToText(type)}; write it in RFC 3597 form (\\# len hex)`);
  }
  const rdata = encode(fields);
  fields.end();
  return flattened(rdata);
}

/** Where, in their RDATA, the name sits that NS, CNAME, MX, SRV and SOA (its MNAME) point to. */
const TARGET_OFFSETS = new Map<number, number>([
  [TYPE.NS, 0],
  [TYPE.CNAME, 0],
  [TYPE.SOA, 0],
  [TYPE.MX, 2],
  [TYPE.SRV, 6],
]);

/** The folded target name in wire RDATA of those types; undefined for the others. */
export function targetOf(type: number, rdata: string): string | undefined {
  const offset = TARGET_OFFSETS.get(type);
  if (offset === undefined) return undefined;
  return foldCase(rdata.slice(offset, wireNameEnd(rdata, offset)));
}

type Converter<T = string> = (text: string, quoted: boolean, origin: string) => T;

class FieldReader {
  private next: number;

  constructor(
    private readonly tokens: Tokens,
    first: number,
    private readonly type: number,
    private readonly origin: string,
  ) {
    this.next = first;
  }

  get hasMore(): boolean {
    return this.next < this.tokens.count;
  }

  skip(): void {
    this.next++;
  }

  read<T>(what: string, convert: Converter<T>): T {
    if (!this.hasMore) throw new ZoneSyntaxError(`${typeToText(this.type)} record is missing its ${what}`);
    const i = this.next++;
    try {
      return convert(this.tokens.texts[i], this.tokens.quoted[i], this.origin);
    } catch (e) {
      if (e instanceof ZoneSyntaxError || e instanceof NameSyntaxError) {
        throw new ZoneSyntaxError(`${typeToText(this.type)} ${what}: ${e.message}`);
      }
      throw e;
    }
  }

  end(): void {
    if (this.hasMore) {
      throw new ZoneSyntaxError(`${typeToText(this.type)} record has extra data "${this.tokens.texts[this.next]}"`);
    }
  }
}

const u8: Converter = (text) => String.fromCharCode(unsigned(text, 0xff));
const u16: Converter = (text) => u16Bytes(unsigned(text, 0xffff));
const u32: Converter = (text) => u32Bytes(unsigned(text, 0xffffffff));
const ttl: Converter = (text) => u32Bytes(parseTtl(text));
const rdataLength: Converter<number> = (text) => unsigned(text, MAX_RDATA_LENGTH);

const ENCODERS = new Map<number, (fields: FieldReader) => string>([
  [TYPE.A, (f) => f.read('address', ipv4)],
  [TYPE.AAAA, (f) => f.read('address', ipv6)],
  [TYPE.NS, (f) => f.read('name server', tokenToName)],
  [TYPE.CNAME, (f) => f.read('target', tokenToName)],
  [TYPE.PTR, (f) => f.read('target', tokenToName)],
  [TYPE.MX, (f) => f.read('preference', u16) + f.read('exchange', tokenToName)],
  [TYPE.SRV, (f) => f.read('priority', u16) + f.read('weight', u16) + f.read('port', u16) + f.read('target', tokenToName)],
  [
    TYPE.SOA,
    (f) =>
      f.read('primary server', tokenToName) +
      f.read('mailbox', tokenToName) +
      f.read('serial', u32) +
      f.read('refresh', ttl) +
      f.read('retry', ttl) +
      f.read('expire', ttl) +
      f.read('minimum', ttl),
  ],
  [TYPE.TXT, encodeTxt],
  [TYPE.CAA, (f) => f.read('flags', u8) + f.read('tag', caaTag) + f.read('value', unquoted)],
]);

function encodeTxt(fields: FieldReader): string {
  let rdata = fields.read('text', characterString);
  while (fields.hasMore) rdata += fields.read('text', characterString);
  return rdata;
}

function encodeGeneric(fields: FieldReader, type: number): string {
  const length = fields.read('length', rdataLength);
  let hex = '';
  while (fields.hasMore) hex += fields.read('data', hexDigits);
  if (hex.length % 2 !== 0) throw new ZoneSyntaxError(`${typeToText(type)} data has an odd number of hex digits`);
  if (hex.length / 2 !== length) {
    throw new ZoneSyntaxError(`${typeToText(type)} data is ${hex.length / 2} bytes but the length says ${length}`);
  }
  const rdata = Buffer.from(hex, 'hex').toString('latin1');
  if (!isWellFormed(type, rdata)) throw new ZoneSyntaxError(`${typeToText(type)} data in \\# form is not valid ${typeToText(type)} RDATA`);
  return rdata;
}

/**
 * Generic-form RDATA of a known type must still be what that type holds: the
 * answer code and the response writer trust names inside it to be well formed.
 */
function isWellFormed(type: number, rdata: string): boolean {
  switch (type) {
    case TYPE.A:
      return rdata.length === 4;
    case TYPE.AAAA:
      return rdata.length === 16;
    case TYPE.NS:
    case TYPE.CNAME:
    case TYPE.PTR:
      return wireNameEnd(rdata, 0) === rdata.length;
    case TYPE.MX:
      return wireNameEnd(rdata, 2) === rdata.length;
    case TYPE.SRV:
      return wireNameEnd(rdata, 6) === rdata.length;
    case TYPE.SOA: {
      const mnameEnd = wireNameEnd(rdata, 0);
      return mnameEnd > 0 && wireNameEnd(rdata, mnameEnd) === rdata.length - 20;
    }
    case TYPE.TXT: {
      let i = 0;
      while (i < rdata.length) i += rdata.charCodeAt(i) + 1;
      return rdata.length > 0 && i === rdata.length;
    }
    case TYPE.CAA:
      return rdata.length >= 2 && rdata.charCodeAt(1) > 0 && 2 + rdata.charCodeAt(1) <= rdata.length;
    default:
      return true;
  }
}

function unsigned(text: string, max: number): number {
  // Ten digits hold any 32-bit value and stay exact in a double.
  let valid = text.length > 0 && text.length <= 10;
  let value = 0;
  for (let i = 0; valid && i < text.length; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    valid = digit >= 0 && digit <= 9;
    value = value * 10 + digit;
  }
  if (!valid || value > max) throw new ZoneSyntaxError(`"${text}" is not an integer from 0 to ${max}`);
  return value;
}

function u16Bytes(value: number): string {
  return String.fromCharCode(value >>> 8, value & 0xff);
}

function u32Bytes(value: number): string {
  return String.fromCharCode(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
}

function ipv4(text: string): string {
  const bytes = ipv4Bytes(text);
  if (bytes === undefined) throw new ZoneSyntaxError(`"${text}" is not an IPv4 address`);
  return bytes;
}

const octets = new Uint8Array(4);

/** Dotted quad only, no leading zeros (they read as octal to some tools). */
function ipv4Bytes(text: string): string | undefined {
  let octet = 0;
  let digits = 0;
  let count = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || octet > 255 || count === 4) return undefined;
      octets[count++] = octet;
      octet = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39 && !(digits === 1 && octet === 0)) {
      octet = octet * 10 + (c - 0x30);
      digits++;
    } else {
      return undefined;
    }
  }
  return count === 4 ? String.fromCharCode(octets[0], octets[1], octets[2], octets[3]) : undefined;
}

/** The text forms of RFC 4291 §2.2: eight hex words, one "::" for a run of zero words, an IPv4 tail. */
function ipv6(text: string): string {
  const gap = text.indexOf('::');
  const head = ipv6Words(gap < 0 ? text : text.slice(0, gap), gap < 0);
  const tail = gap < 0 ? [] : ipv6Words(text.slice(gap + 2), true);
  const missing = head === undefined || tail === undefined ? -1 : IPV6_WORDS - head.length - tail.length;
  // Without "::" all eight words are written; "::" stands for at least one.
  if (gap < 0 ? missing !== 0 : missing < 1) throw new ZoneSyntaxError(`"${text}" is not an IPv6 address`);
  let bytes = '';
  for (const word of [...head!, ...new Array<number>(missing).fill(0), ...tail!]) bytes += String.fromCharCode(word >>> 8, word & 0xff);
  return bytes;
}

/** 16-bit words of colon-separated hex, the last two possibly a dotted quad; undefined when malformed. */
function ipv6Words(part: string, ipv4Last: boolean): number[] | undefined {
  const words: number[] = [];
  if (part === '') return words;
  const groups = part.split(':');
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i];
    if (ipv4Last && i === groups.length - 1 && group.includes('.')) {
      const bytes = ipv4Bytes(group);
      if (bytes === undefined) return undefined;
      words.push((bytes.charCodeAt(0) << 8) | bytes.charCodeAt(1), (bytes.charCodeAt(2) << 8) | bytes.charCodeAt(3));
      continue;
    }
    if (group.length === 0 || group.length > 4 || !isHex(group)) return undefined;
    words.push(parseInt(group, 16));
  }
  return words;
}

function unquoted(text: string, quoted: boolean): string {
  return quoted ? text : decodeEscapes(text);
}

function characterString(text: string, quoted: boolean): string {
  const bytes = unquoted(text, quoted);
  if (bytes.length > MAX_STRING_LENGTH) {
    throw new ZoneSyntaxError(`string of ${bytes.length} bytes is over ${MAX_STRING_LENGTH}; split it into several strings`);
  }
  return String.fromCharCode(bytes.length) + bytes;
}

function caaTag(text: string, quoted: boolean): string {
  const tag = unquoted(text, quoted);
  if (tag.length === 0 || tag.length > MAX_STRING_LENGTH || !isAlphanumeric(tag)) {
    throw new ZoneSyntaxError(`"${tag}" is not a CAA tag (letters and digits only)`);
  }
  return String.fromCharCode(tag.length) + tag;
}

function hexDigits(text: string): string {
  if (!isHex(text)) throw new ZoneSyntaxError(`"${text}" is not hexadecimal`);
  return text;
}

function isHex(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const lower = c | 0x20;
    if (!((c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x66))) return false;
  }
  return true;
}

function isAlphanumeric(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const lower = c | 0x20;
    if (!((c >= 0x30 && c <= 0x39) || (lower >= 0x61 && lower <= 0x7a))) return false;
  }
  return true;
}
