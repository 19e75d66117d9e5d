// Raw DNS query helpers for tests: build a query (or send bytes as given) over UDP
// or TCP to a server on loopback, get back the raw response and its dns-packet
// decode, and normalize() a response into a shape two servers' answers can be
// compared by.

import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { createRequire } from 'node:module';
import dnsPacket from 'dns-packet';
import type { DecodedPacket } from 'dns-packet';

// ---------------------------------------------------------------------------
// Building queries

export interface EdnsOptions {
  /** Advertised UDP payload size; default 1232. */
  payload?: number;
  /** EDNS version; default 0. */
  version?: number;
  /** The DO bit. */
  do?: boolean;
  /** Extended RCODE byte of the OPT TTL field (should be 0 in a query). */
  extendedRcode?: number;
  /** Other bits of the OPT flags field (DO is added from `do`). */
  flags?: number;
  /** EDNS options, as code + raw data. */
  options?: Array<{ code: number; data: Buffer }>;
}

export interface QueryOptions {
  /** Query name in presentation form; a trailing dot is optional. `\.` and `\DDD` escapes work. */
  name: string;
  /** Mnemonic ('A', 'TYPE65280') or number; default 'A'. */
  type?: string | number;
  /** 'IN', 'CH', 'HS', 'ANY', 'NONE', 'CLASS5' or a number; default 'IN'. */
  class?: string | number;
  /** Message ID; default random. */
  id?: number;
  /** RD flag; default false (we are asking an authoritative server). */
  rd?: boolean;
  /** Opcode, default 0 (QUERY). */
  opcode?: number;
  /** Extra header flag bits OR'ed in (e.g. 0x0010 for CD, 0x0040 for Z). */
  flags?: number;
  /** Add an OPT record: `true` for defaults, or its fields. */
  edns?: EdnsOptions | boolean;
  /** Raw additional-section records appended as given (e.g. a hand-made second OPT); ARCOUNT counts each buffer as one record. */
  rawAdditional?: Buffer[];
}

/** A query: options to build one, or the exact bytes to send. */
export type QueryInput = QueryOptions | Buffer | Uint8Array;

export interface RequestOptions {
  /** Per attempt; default 2000 ms. */
  timeoutMs?: number;
  /** UDP only: attempts after the first that timed out; default 2. */
  retries?: number;
  /** Default '127.0.0.1'; '::1' works too. */
  host?: string;
}

export interface DnsResult {
  /** The bytes sent (without the TCP length prefix). */
  query: Buffer;
  /** The response bytes (without the TCP length prefix). */
  raw: Buffer;
  /** dns-packet's decode of `raw`; undefined when it threw (see decodeError). */
  packet?: DecodedPacket;
  decodeError?: Error;
  transport: 'udp' | 'tcp';
}

const CLASSES: Record<string, number> = { IN: 1, CS: 2, CH: 3, HS: 4, NONE: 254, ANY: 255 };

export function typeToNumber(type: string | number): number {
  if (typeof type === 'number') return type;
  const up = type.toUpperCase();
  const m = /^TYPE(\d+)$/.exec(up);
  if (m) return Number(m[1]);
  if (up === 'ANY' || up === '*') return 255;
  const n = dnsPacketTypes.toType(up);
  if (!n) throw new Error(`unknown RR type ${type}`);
  return n;
}

export function classToNumber(klass: string | number): number {
  if (typeof klass === 'number') return klass;
  const up = klass.toUpperCase();
  const m = /^CLASS(\d+)$/.exec(up);
  if (m) return Number(m[1]);
  const n = CLASSES[up];
  if (n === undefined) throw new Error(`unknown class ${klass}`);
  return n;
}

export function typeToString(type: number): string {
  if (type === 255) return 'ANY';
  const s = dnsPacketTypes.toString(type);
  return s.startsWith('UNKNOWN_') ? `TYPE${type}` : s;
}

// dns-packet's type table (types.js) has no typings; load it with require.
const dnsPacketTypes = createRequire(import.meta.url)('dns-packet/types.js') as {
  toType(name: string): number;
  toString(n: number): string;
};

/** Presentation-form name → wire bytes. Handles `\.`, `\\` and `\DDD`. */
export function encodeName(name: string): Buffer {
  const bytes: number[] = [];
  const labels: number[][] = [];
  let cur: number[] = [];
  let i = 0;
  if (name === '.' || name === '') return Buffer.from([0]);
  while (i < name.length) {
    const c = name[i];
    if (c === '\\') {
      const d = name.slice(i + 1, i + 4);
      if (/^\d{3}$/.test(d)) {
        cur.push(Number(d));
        i += 4;
      } else {
        cur.push(name.charCodeAt(i + 1));
        i += 2;
      }
    } else if (c === '.') {
      labels.push(cur);
      cur = [];
      i++;
    } else {
      cur.push(...Buffer.from(c, 'utf8'));
      i++;
    }
  }
  if (cur.length) labels.push(cur);
  for (const l of labels) {
    if (l.length === 0) throw new Error(`empty label in ${JSON.stringify(name)}`);
    if (l.length > 63) throw new Error(`label longer than 63 octets in ${JSON.stringify(name)}`);
    bytes.push(l.length, ...l);
  }
  bytes.push(0);
  return Buffer.from(bytes);
}

/** The bytes of an OPT pseudo-record. */
export function encodeOpt(edns: EdnsOptions = {}): Buffer {
  const opts = (edns.options ?? []).map((o) => {
    const b = Buffer.alloc(4 + o.data.length);
    b.writeUInt16BE(o.code, 0);
    b.writeUInt16BE(o.data.length, 2);
    o.data.copy(b, 4);
    return b;
  });
  const rdata = Buffer.concat(opts);
  const b = Buffer.alloc(11 + rdata.length);
  b[0] = 0; // root owner
  b.writeUInt16BE(41, 1);
  b.writeUInt16BE(edns.payload ?? 1232, 3);
  b[5] = edns.extendedRcode ?? 0;
  b[6] = edns.version ?? 0;
  b.writeUInt16BE(((edns.flags ?? 0) | (edns.do ? 0x8000 : 0)) & 0xffff, 7);
  b.writeUInt16BE(rdata.length, 9);
  rdata.copy(b, 11);
  return b;
}

/** Builds query bytes from options. */
export function buildQuery(opts: QueryOptions): Buffer {
  const id = opts.id ?? Math.floor(Math.random() * 0x10000);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  const flags = ((opts.opcode ?? 0) << 11) | (opts.rd ? 0x0100 : 0) | (opts.flags ?? 0);
  header.writeUInt16BE(flags & 0xffff, 2);
  header.writeUInt16BE(1, 4);
  const additional: Buffer[] = [];
  if (opts.edns) additional.push(encodeOpt(opts.edns === true ? {} : opts.edns));
  if (opts.rawAdditional) additional.push(...opts.rawAdditional);
  header.writeUInt16BE(additional.length, 10);
  const q = Buffer.alloc(4);
  q.writeUInt16BE(typeToNumber(opts.type ?? 'A'), 0);
  q.writeUInt16BE(classToNumber(opts.class ?? 'IN'), 2);
  return Buffer.concat([header, encodeName(opts.name), q, ...additional]);
}

function toBytes(input: QueryInput): Buffer {
  if (Buffer.isBuffer(input)) return input;
  if (input instanceof Uint8Array) return Buffer.from(input);
  return buildQuery(input);
}

function decodeResult(query: Buffer, raw: Buffer, transport: 'udp' | 'tcp'): DnsResult {
  try {
    return { query, raw, packet: dnsPacket.decode(raw), transport };
  } catch (err) {
    return { query, raw, decodeError: err instanceof Error ? err : new Error(String(err)), transport };
  }
}

// ---------------------------------------------------------------------------
// Sending

/**
 * Sends one query over UDP and resolves with the first datagram whose ID matches
 * (any datagram at all when the query is shorter than 2 bytes). Rejects after
 * `retries + 1` timeouts.
 */
export function queryUdp(port: number, input: QueryInput, req: RequestOptions = {}): Promise<DnsResult> {
  const query = toBytes(input);
  const host = req.host ?? '127.0.0.1';
  const timeoutMs = req.timeoutMs ?? 2000;
  const retries = req.retries ?? 2;
  const id = query.length >= 2 ? query.readUInt16BE(0) : undefined;
  return new Promise((resolve, reject) => {
    const sock = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    let attempt = 0;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: Error | undefined, res?: DnsResult) => {
      if (timer) clearTimeout(timer);
      sock.close();
      if (err) reject(err);
      else resolve(res!);
    };
    const send = () => {
      sock.send(query, port, host, (err) => {
        if (err) finish(err);
      });
      timer = setTimeout(() => {
        if (attempt++ < retries) send();
        else finish(new Error(`UDP query to ${host}:${port} timed out after ${retries + 1} × ${timeoutMs} ms`));
      }, timeoutMs);
    };
    sock.on('error', (err) => finish(err));
    sock.on('message', (msg, rinfo) => {
      if (rinfo.port !== port) return;
      if (id !== undefined && (msg.length < 2 || msg.readUInt16BE(0) !== id)) return;
      finish(undefined, decodeResult(query, msg, 'udp'));
    });
    sock.bind(0, host, send);
  });
}

/** Sends one query over a new TCP connection (2-byte length prefix) and resolves with the first response. */
export async function queryTcp(port: number, input: QueryInput, req: RequestOptions = {}): Promise<DnsResult> {
  const query = toBytes(input);
  const [raw] = await tcpExchange(port, [query], 1, req);
  return decodeResult(query, raw, 'tcp');
}

/**
 * Sends several queries on one TCP connection, all written at once (pipelined),
 * and resolves with the responses in the order they arrived.
 */
export async function queryTcpPipelined(port: number, inputs: QueryInput[], req: RequestOptions = {}): Promise<DnsResult[]> {
  const queries = inputs.map(toBytes);
  const raws = await tcpExchange(port, queries, queries.length, req);
  // Match each response to its query by ID where possible, for the `query` field.
  return raws.map((raw) => {
    const id = raw.length >= 2 ? raw.readUInt16BE(0) : -1;
    const q = queries.find((x) => x.length >= 2 && x.readUInt16BE(0) === id) ?? Buffer.alloc(0);
    return decodeResult(q, raw, 'tcp');
  });
}

function tcpExchange(port: number, queries: Buffer[], expect: number, req: RequestOptions): Promise<Buffer[]> {
  const host = req.host ?? '127.0.0.1';
  const timeoutMs = req.timeoutMs ?? 2000;
  return new Promise((resolve, reject) => {
    const sock = connect({ port, host });
    const out: Buffer[] = [];
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(out);
    };
    const timer = setTimeout(
      () => finish(new Error(`TCP query to ${host}:${port} timed out after ${timeoutMs} ms (${out.length}/${expect} responses)`)),
      timeoutMs,
    );
    sock.on('connect', () => {
      sock.write(Buffer.concat(queries.map((q) => {
        const len = Buffer.alloc(2);
        len.writeUInt16BE(q.length, 0);
        return Buffer.concat([len, q]);
      })));
    });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 2) {
        const len = buf.readUInt16BE(0);
        if (buf.length < 2 + len) break;
        out.push(buf.subarray(2, 2 + len));
        buf = buf.subarray(2 + len);
      }
      if (out.length >= expect) finish();
    });
    sock.on('error', (err) => finish(err));
    sock.on('close', () => finish(new Error(`TCP connection to ${host}:${port} closed after ${out.length}/${expect} responses`)));
  });
}

// ---------------------------------------------------------------------------
// Normalizing

export interface NormalizedEdns {
  version: number;
  udpPayloadSize: number;
  do: boolean;
  /** Each option as `code:hexdata`. */
  options: string[];
}

export interface NormalizedResponse {
  id: number;
  opcode: number;
  /** With the extended bits of the OPT record when there is one (e.g. BADVERS). */
  rcode: string;
  flags: { qr: boolean; aa: boolean; tc: boolean; rd: boolean; ra: boolean; ad: boolean; cd: boolean };
  /** `name|type|class`, name lower-cased. */
  question: string[];
  /** Sorted `name|type|class|ttl|rdata`, names (also those inside RDATA) lower-cased. */
  answer: string[];
  authority: string[];
  /** Without the OPT record (see `edns`). */
  additional: string[];
  /** The OPT record; null when none. */
  edns: NormalizedEdns | null;
  /** Number of OPT records in the additional section (more than one is an error). */
  optCount: number;
}

const RCODE_NAMES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED',
  6: 'YXDOMAIN', 7: 'YXRRSET', 8: 'NXRRSET', 9: 'NOTAUTH', 10: 'NOTZONE', 16: 'BADVERS',
  17: 'BADKEY', 18: 'BADTIME', 19: 'BADMODE', 20: 'BADNAME', 21: 'BADALG', 22: 'BADTRUNC', 23: 'BADCOOKIE',
};

export function rcodeName(n: number): string {
  return RCODE_NAMES[n] ?? `RCODE${n}`;
}

function fqdn(name: string): string {
  if (name === '' || name === '.') return '.';
  return (name.endsWith('.') ? name : name + '.').toLowerCase();
}

function quoteTxt(b: Buffer | string): string {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  let s = '"';
  for (const c of buf) {
    if (c === 0x22 || c === 0x5c) s += '\\' + String.fromCharCode(c);
    else if (c < 0x20 || c > 0x7e) s += '\\' + String(c).padStart(3, '0');
    else s += String.fromCharCode(c);
  }
  return s + '"';
}

function hex(b: Buffer): string {
  return b.toString('hex').toUpperCase();
}

function stable(v: unknown): string {
  return JSON.stringify(v, (_k, x) => {
    if (x && typeof x === 'object' && (x as { type?: string }).type === 'Buffer' && Array.isArray((x as { data?: unknown }).data)) {
      return hex(Buffer.from((x as { data: number[] }).data));
    }
    if (x && typeof x === 'object' && !Array.isArray(x)) {
      return Object.fromEntries(Object.entries(x as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)));
    }
    return x;
  });
}

/** RDATA in a presentation-like form; names lower-cased and absolute. */
export function formatRdata(type: string, data: unknown): string {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const d = data as any;
  switch (type) {
    case 'A':
    case 'AAAA':
      return String(d);
    case 'NS':
    case 'CNAME':
    case 'PTR':
    case 'DNAME':
      return fqdn(d);
    case 'MX':
      return `${d.preference} ${fqdn(d.exchange)}`;
    case 'SRV':
      return `${d.priority} ${d.weight} ${d.port} ${fqdn(d.target)}`;
    case 'SOA':
      return `${fqdn(d.mname)} ${fqdn(d.rname)} ${d.serial} ${d.refresh} ${d.retry} ${d.expire} ${d.minimum}`;
    case 'TXT':
      return (Array.isArray(d) ? d : [d]).map(quoteTxt).join(' ');
    case 'CAA':
      return `${d.flags ?? 0} ${d.tag} ${quoteTxt(String(d.value))}`;
    case 'DS':
    case 'CDS':
      return `${d.keyTag} ${d.algorithm} ${d.digestType} ${hex(d.digest)}`;
    case 'HINFO':
      return `${quoteTxt(d.cpu)} ${quoteTxt(d.os)}`;
    default:
      if (Buffer.isBuffer(d)) return `\\# ${d.length}${d.length ? ' ' + hex(d) : ''}`;
      return stable(d);
  }
}

type AnyRecord = { name: string; type: string; class?: string; ttl?: number; data?: unknown };

function formatRecord(r: AnyRecord): string {
  const type = r.type.startsWith('UNKNOWN_') ? `TYPE${r.type.slice(8)}` : r.type;
  const klass = (r.class ?? 'IN').startsWith('UNKNOWN_') ? `CLASS${(r.class ?? '').slice(8)}` : (r.class ?? 'IN');
  return `${fqdn(r.name)}|${type}|${klass}|${r.ttl ?? 0}|${formatRdata(type, r.data)}`;
}

/** Turns a response (raw bytes, a DnsResult or a decoded packet) into a comparable shape. */
export function normalize(response: Buffer | DnsResult | DecodedPacket): NormalizedResponse {
  let p: DecodedPacket;
  if (Buffer.isBuffer(response)) p = dnsPacket.decode(response);
  else if ('raw' in response && 'transport' in response) {
    if (!response.packet) throw new Error(`response does not decode: ${response.decodeError?.message}; bytes ${hex(response.raw)}`);
    p = response.packet;
  } else p = response as DecodedPacket;

  const flags = p.flags ?? 0;
  const additionals = (p.additionals ?? []) as unknown as Array<AnyRecord & Record<string, unknown>>;
  const opts = additionals.filter((r) => r.type === 'OPT');
  const opt = opts[0] as unknown as
    | { udpPayloadSize: number; extendedRcode: number; ednsVersion: number; flag_do: boolean; options: Array<{ code: number; data?: Buffer }> }
    | undefined;
  const rcode4 = flags & 0xf;
  const rcode = rcode4 | ((opt?.extendedRcode ?? 0) << 4);
  const sortList = (list: unknown[] | undefined) =>
    ((list ?? []) as AnyRecord[]).filter((r) => r.type !== 'OPT').map(formatRecord).sort();

  return {
    id: p.id ?? 0,
    opcode: (flags >> 11) & 0xf,
    rcode: rcodeName(rcode),
    flags: {
      qr: p.flag_qr,
      aa: p.flag_aa,
      tc: p.flag_tc,
      rd: p.flag_rd,
      ra: p.flag_ra,
      ad: p.flag_ad,
      cd: p.flag_cd,
    },
    question: (p.questions ?? []).map((q) => `${fqdn(q.name)}|${q.type.startsWith('UNKNOWN_') ? 'TYPE' + q.type.slice(8) : q.type}|${q.class ?? 'IN'}`),
    answer: sortList(p.answers),
    authority: sortList(p.authorities),
    additional: sortList(p.additionals),
    edns: opt
      ? {
          version: opt.ednsVersion,
          udpPayloadSize: opt.udpPayloadSize,
          do: opt.flag_do,
          options: (opt.options ?? []).map((o) => `${o.code}:${o.data ? hex(o.data) : ''}`),
        }
      : null,
    optCount: opts.length,
  };
}

/** A dig-like text of a normalized response, for failure messages and reports. */
export function formatNormalized(n: NormalizedResponse): string {
  const f = Object.entries(n.flags).filter(([, v]) => v).map(([k]) => k).join(' ');
  const lines = [`rcode ${n.rcode}, flags [${f}]${n.edns ? `, edns v${n.edns.version} payload ${n.edns.udpPayloadSize}${n.edns.do ? ' do' : ''}` : ''}`];
  for (const [title, list] of [['answer', n.answer], ['authority', n.authority], ['additional', n.additional]] as const) {
    if (list.length) lines.push(`  ${title}:`, ...list.map((r) => `    ${r.replaceAll('|', ' ')}`));
  }
  return lines.join('\n');
}

/** The question section's owner name exactly as it appears in a response, case preserved (for 0x20 checks). */
export function rawQuestionName(raw: Buffer): Buffer {
  let i = 12;
  while (i < raw.length && raw[i] !== 0) i += raw[i] + 1;
  return raw.subarray(12, i + 1);
}
