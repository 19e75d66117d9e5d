// flipdns must answer like NSD, the reference authoritative server. Both serve
// the same zones (test/fixtures/compare/*.zone, one name per answer rule, and
// the example zones in zones/); every query goes to both, byte-identical, over
// UDP without EDNS, UDP with EDNS (1232) and TCP, and the normalize()d answers
// must be equal. The few deliberate differences are in ALLOWED below, each with
// its reason; anything else fails the test with the query and both answers.
//
// flipdns runs as a child process from dist/ (npm test builds it first); NSD
// must be installed (apt-get install nsd): the test fails, never skips, when it
// is not. NSD_COMPARE_AGAINST=nsd puts a second NSD in flipdns's place, to check
// the harness itself (it must then find no difference).

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildQuery,
  formatNormalized,
  normalize,
  queryTcp,
  queryUdp,
  rawQuestionName,
  type DnsResult,
  type EdnsOptions,
  type NormalizedResponse,
  type QueryOptions,
} from '../helpers/dns.js';
import { scratchAdminTokenFile } from '../helpers/flipdns.js';
import { findNsd, startNsd, type NsdHandle } from '../helpers/nsd.js';
import { getFreePorts } from '../helpers/ports.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const FIXTURES = join(ROOT, 'test/fixtures/compare');
const EXAMPLES = join(ROOT, 'zones');
const CLI = join(ROOT, 'bin/flipdns');
const BUILT_CLI = join(ROOT, 'dist/cli/main.js');

// ---------------------------------------------------------------------------
// Zone files

interface ZoneFile {
  /** Zone name without the trailing dot. */
  origin: string;
  /** Absolute path of the source file. */
  path: string;
  /** Where it came from, for test names. */
  source: 'fixture' | 'example';
}

/** Origin of a zone file as flipdns sees it: a leading $ORIGIN, else NAME from NAME.zone. */
function zoneOrigin(path: string): string {
  for (const rawLine of readFileSync(path, 'utf8').split('\n')) {
    const line = rawLine.replace(/;.*$/, '').trimEnd();
    if (line.trim() === '') continue;
    const m = /^\$ORIGIN\s+(\S+)/i.exec(line);
    if (m) return m[1].replace(/\.$/, '').toLowerCase();
    if (line.startsWith('$')) continue; // $TTL and friends
    break; // first record: no leading $ORIGIN
  }
  return basename(path, '.zone').toLowerCase();
}

function listZones(dir: string, source: ZoneFile['source']): ZoneFile[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.zone'))
    .sort()
    .map((f) => ({ origin: zoneOrigin(join(dir, f)), path: join(dir, f), source }));
}

const ZONES: ZoneFile[] = [...listZones(FIXTURES, 'fixture'), ...listZones(EXAMPLES, 'example')];

// ---------------------------------------------------------------------------
// Queries

interface CompareQuery {
  label: string;
  name: string;
  type?: string;
  class?: string;
  rd?: boolean;
  /** Overrides the transport's EDNS (udp-edns uses {payload: 1232}). */
  edns?: EdnsOptions | false;
  /** Header bits / opcode for protocol probes. */
  opcode?: number;
  /** Only these transports (default: all three). */
  transports?: Transport[];
}

type Transport = 'udp' | 'udp-edns' | 'tcp';
const TRANSPORTS: Transport[] = ['udp', 'udp-edns', 'tcp'];

const R = 'rules.test';
const O = 'other.test';

/** One query per answer rule of the fixture zones. */
const RULE_QUERIES: CompareQuery[] = [
  // Exact match, NODATA, NXDOMAIN.
  { label: 'apex SOA', name: R, type: 'SOA' },
  { label: 'apex NS (glue in additional)', name: R, type: 'NS' },
  { label: 'apex A', name: R, type: 'A' },
  { label: 'apex MX (in-zone and other-zone targets)', name: R, type: 'MX' },
  { label: 'apex TXT', name: R, type: 'TXT' },
  { label: 'exact A', name: `www.${R}`, type: 'A' },
  { label: 'exact AAAA', name: `www.${R}`, type: 'AAAA' },
  { label: 'exact TXT', name: `www.${R}`, type: 'TXT' },
  { label: 'own TTL per RRset (A)', name: `ttl.${R}`, type: 'A' },
  { label: 'own TTL per RRset (TXT)', name: `ttl.${R}`, type: 'TXT' },
  { label: 'NODATA (MX at www)', name: `www.${R}`, type: 'MX' },
  { label: 'NODATA (unknown type)', name: `www.${R}`, type: 'TYPE65280' },
  { label: 'NODATA at apex', name: R, type: 'SRV' },
  { label: 'NXDOMAIN', name: `nope.${R}`, type: 'A' },
  { label: 'NXDOMAIN two labels down', name: `a.nope.${R}`, type: 'A' },
  { label: 'NXDOMAIN below an existing name', name: `x.www.${R}`, type: 'A' },
  // Mixed-case owners.
  { label: 'mixed-case owner, lower-case query', name: `mixed.${R}`, type: 'A' },
  { label: 'mixed-case owner, other case', name: `mIxEd.${R}`, type: 'A' },
  { label: 'mixed-case two-label owner', name: `upper.case.${R}`, type: 'TXT' },
  { label: 'empty non-terminal from mixed-case owner', name: `CASE.${R}`, type: 'TXT' },
  // CNAME.
  { label: 'CNAME chain in zone', name: `alias.${R}`, type: 'A' },
  { label: 'CNAME chain of three', name: `alias3.${R}`, type: 'AAAA' },
  { label: 'CNAME queried as CNAME', name: `alias.${R}`, type: 'CNAME' },
  { label: 'CNAME chain, NODATA at the end', name: `alias.${R}`, type: 'MX' },
  { label: 'CNAME to another served zone', name: `xzone.${R}`, type: 'A' },
  { label: 'CNAME to another zone, TXT', name: `xzone.${R}`, type: 'TXT' },
  { label: 'CNAME to another zone and back', name: `xzone2.${R}`, type: 'A' },
  { label: 'CNAME in other zone back into this one', name: `alias.${O}`, type: 'A' },
  { label: 'CNAME to a name in no zone', name: `outside.${R}`, type: 'A' },
  { label: 'CNAME to NXDOMAIN in zone', name: `dangling.${R}`, type: 'A' },
  { label: 'CNAME loop', name: `loop1.${R}`, type: 'A' },
  { label: 'CNAME to itself', name: `self.${R}`, type: 'A' },
  { label: 'CNAME to a name below a delegation', name: `to-deleg.${R}`, type: 'A' },
  { label: 'CNAME to a wildcard-synthesized name', name: `to-wild.${R}`, type: 'A' },
  { label: 'CNAME to a name without the type', name: `to-mail.${R}`, type: 'MX' },
  // Wildcards (RFC 4592).
  { label: 'wildcard, one label', name: `a.w.${R}`, type: 'A' },
  { label: 'wildcard, two labels', name: `a.b.w.${R}`, type: 'A' },
  { label: 'wildcard TXT', name: `a.w.${R}`, type: 'TXT' },
  { label: 'wildcard MX with additional', name: `a.w.${R}`, type: 'MX' },
  { label: 'wildcard, type mismatch -> NODATA', name: `a.w.${R}`, type: 'AAAA' },
  { label: 'wildcard blocked by explicit name', name: `explicit.w.${R}`, type: 'A' },
  { label: 'explicit name, type only at wildcard -> NODATA', name: `explicit.w.${R}`, type: 'TXT' },
  { label: 'below explicit name -> NXDOMAIN', name: `a.explicit.w.${R}`, type: 'A' },
  { label: 'empty non-terminal below wildcard parent -> NODATA', name: `ent.w.${R}`, type: 'A' },
  { label: 'wildcard blocked by empty non-terminal -> NXDOMAIN', name: `foo.ent.w.${R}`, type: 'A' },
  { label: 'wildcard parent itself (empty non-terminal)', name: `w.${R}`, type: 'A' },
  { label: 'the wildcard owner queried literally', name: `*.w.${R}`, type: 'A' },
  { label: 'wildcard CNAME', name: `foo.wc.${R}`, type: 'A' },
  { label: 'wildcard CNAME queried as CNAME', name: `foo.wc.${R}`, type: 'CNAME' },
  { label: 'wildcard CNAME to another zone', name: `foo.wcx.${R}`, type: 'A' },
  { label: 'wildcard SRV with additional', name: `x.wsrv.${R}`, type: 'SRV' },
  // Delegations.
  { label: 'query at the cut', name: `sub.${R}`, type: 'A' },
  { label: 'NS at the cut', name: `sub.${R}`, type: 'NS' },
  { label: 'below the cut', name: `host.sub.${R}`, type: 'A' },
  { label: 'deep below the cut', name: `a.b.sub.${R}`, type: 'TXT' },
  { label: 'glue name itself', name: `ns1.sub.${R}`, type: 'A' },
  { label: 'DS at the cut (parent answers)', name: `sub.${R}`, type: 'DS' },
  { label: 'DS below the cut (referral)', name: `x.sub.${R}`, type: 'DS' },
  { label: 'DS at a cut without DS (NODATA)', name: `nods.${R}`, type: 'DS' },
  { label: 'cut with only out-of-bailiwick NS', name: `nods.${R}`, type: 'A' },
  { label: 'cut whose NS is in the parent zone (sibling glue)', name: `sib.${R}`, type: 'A' },
  // Additional-section targets.
  { label: 'SRV with in-zone and other-zone targets', name: `_sip._tcp.${R}`, type: 'SRV' },
  { label: 'MX with two in-zone targets', name: `mx2.${R}`, type: 'MX' },
  // Large RRsets.
  { label: 'large TXT RRset', name: `big.${R}`, type: 'TXT' },
  { label: 'large A RRset', name: `biga.${R}`, type: 'A' },
  // Other zone, origin from file name.
  { label: 'zone without $ORIGIN: SOA', name: O, type: 'SOA' },
  { label: 'zone without $ORIGIN: A', name: `target.${O}`, type: 'A' },
  // qtype ANY.
  { label: 'ANY at apex', name: R, type: 'ANY' },
  { label: 'ANY at a name with three types', name: `www.${R}`, type: 'ANY' },
  { label: 'ANY at a CNAME', name: `alias.${R}`, type: 'ANY' },
  { label: 'ANY at a wildcard', name: `q.w.${R}`, type: 'ANY' },
  { label: 'ANY NXDOMAIN', name: `nope.${R}`, type: 'ANY' },
  { label: 'ANY at a cut', name: `sub.${R}`, type: 'ANY' },
  // Names in no zone.
  { label: 'name in no zone -> REFUSED', name: 'nothere.test', type: 'A' },
  { label: 'parent of served zones -> REFUSED', name: 'test', type: 'SOA' },
  { label: 'root -> REFUSED', name: '.', type: 'NS' },
  { label: 'out-of-zone CNAME target queried directly', name: 'host.elsewhere.test', type: 'A' },
  // Header bits and EDNS.
  { label: 'RD set is copied', name: `www.${R}`, type: 'A', rd: true },
  { label: 'EDNS DO bit', name: `www.${R}`, type: 'A', edns: { payload: 1232, do: true }, transports: ['udp', 'tcp'] },
  { label: 'EDNS payload 512, large answer', name: `biga.${R}`, type: 'A', edns: { payload: 512 }, transports: ['udp'] },
  { label: 'EDNS payload 4096, large answer', name: `biga.${R}`, type: 'A', edns: { payload: 4096 }, transports: ['udp'] },
  { label: 'EDNS unknown option', name: `www.${R}`, type: 'A', edns: { payload: 1232, options: [{ code: 65001, data: Buffer.from('abc') }] }, transports: ['udp'] },
  { label: 'EDNS version 1 -> BADVERS', name: `www.${R}`, type: 'A', edns: { payload: 1232, version: 1 }, transports: ['udp', 'tcp'] },
];

/** Randomly flips the case of ASCII letters (the 0x20 trick), never returning the input unchanged when it has letters. */
function flipCase(name: string, seed: number): string {
  let out = '';
  let x = seed || 1;
  for (const ch of name) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out += /[a-z]/i.test(ch) && x & 0x100 ? (ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase()) : ch;
  }
  if (out === name && /[a-z]/i.test(name)) out = name.replace(/[a-z]/i, (c) => c.toUpperCase());
  return out;
}

// ---------------------------------------------------------------------------
// Queries generated from every zone: each owner with each of its types, a type
// it does not have, a name below it, and a case variant.

interface ZoneRecordSummary {
  owners: Map<string, Set<string>>;
}

/** Owners and types of a zone as NSD parses it (`nsd-checkzone -p`). */
function summarizeZone(z: ZoneFile): ZoneRecordSummary | { error: string } {
  const checkzone = join(dirname(findNsdOrEmpty()), 'nsd-checkzone');
  const r = spawnSync(checkzone, ['-p', z.origin, z.path], { encoding: 'utf8', cwd: dirname(z.path) });
  if (r.status !== 0) return { error: `${r.stdout}${r.stderr}`.trim() };
  const owners = new Map<string, Set<string>>();
  let origin = '';
  let owner = '';
  let depth = 0;
  for (const line of r.stdout.split('\n')) {
    if (depth > 0) {
      depth += parenDelta(line);
      continue;
    }
    if (line.trim() === '' || line.startsWith(';')) continue;
    const dir = /^\$ORIGIN\s+(\S+)/.exec(line);
    if (dir) {
      origin = dir[1];
      continue;
    }
    if (line.startsWith('$')) continue;
    const fields = line.split(/\s+/);
    let i = 0;
    if (!/^\s/.test(line)) {
      const o = fields[0];
      owner = o.endsWith('.') ? o : origin === '.' ? `${o}.` : `${o}.${origin}`;
      i = 1;
    } else i = 1; // fields[0] is '' for a leading blank
    // ttl class type ...
    const type = fields[i + 2];
    if (!type) continue;
    if (!owners.has(owner)) owners.set(owner, new Set());
    owners.get(owner)!.add(type.toUpperCase());
    depth += parenDelta(line);
  }
  return { owners };
}

function parenDelta(line: string): number {
  let d = 0;
  let inQuote = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\') i++;
    else if (c === '"') inQuote = !inQuote;
    else if (!inQuote && c === '(') d++;
    else if (!inQuote && c === ')') d--;
  }
  return d;
}

function findNsdOrEmpty(): string {
  try {
    return findNsd();
  } catch {
    return '/usr/sbin/nsd';
  }
}

const MAX_GENERATED_PER_ZONE = 400;

function generatedQueries(z: ZoneFile): CompareQuery[] | { error: string } {
  const s = summarizeZone(z);
  if ('error' in s) return s;
  const out: CompareQuery[] = [];
  let seed = 7;
  for (const [owner, types] of s.owners) {
    const name = owner.replace(/\.$/, '');
    const probeBase = name.startsWith('*.') ? name.slice(2) : name;
    for (const t of types) out.push({ label: `${name} ${t}`, name, type: t });
    if (!types.has('A')) out.push({ label: `${name} A`, name, type: 'A' });
    out.push({ label: `${name} NAPTR (no data)`, name, type: 'NAPTR' });
    out.push({ label: `below ${name}`, name: `zz-probe.${probeBase}`, type: 'A' });
    const first = [...types][0];
    out.push({ label: `${name} ${first} (case variant)`, name: flipCase(name, seed++), type: first });
  }
  return out.slice(0, MAX_GENERATED_PER_ZONE);
}

// ---------------------------------------------------------------------------
// Comparing

interface Pair {
  query: CompareQuery;
  transport: Transport;
  sent: Buffer;
  nsd: DnsResult;
  flip: DnsResult;
}

/** A deliberate difference: when it applies, `check` replaces the plain equality test. */
interface Allowance {
  id: string;
  reason: string;
  applies(p: Pair, nsd: NormalizedResponse, flip: NormalizedResponse): boolean;
  /** Problems left after allowing the difference; empty when flipdns's answer is acceptable. */
  check(p: Pair, nsd: NormalizedResponse, flip: NormalizedResponse): string[];
}

const ALLOWED: Allowance[] = [
  {
    id: 'qtype-any',
    reason:
      'qtype ANY: flipdns gives a minimal RFC 8482 answer (one RRset of the name, or a synthesized HINFO), ' +
      'NSD 4.6 also answers one RRset but may pick another. Rcode, AA and the negative/referral sections must match; ' +
      'the answer must be empty exactly when NSD\'s is, and hold records of the queried name only.',
    applies: (p) => (p.query.type ?? 'A').toUpperCase() === 'ANY',
    check: (p, nsd, flip) => {
      const problems: string[] = [];
      if (nsd.rcode !== flip.rcode) problems.push(`rcode ${flip.rcode}, NSD ${nsd.rcode}`);
      if (nsd.flags.aa !== flip.flags.aa) problems.push(`AA ${flip.flags.aa}, NSD ${nsd.flags.aa}`);
      if ((nsd.answer.length === 0) !== (flip.answer.length === 0)) problems.push('answer empty in one, not the other');
      if (nsd.answer.length === 0 && JSON.stringify(nsd.authority) !== JSON.stringify(flip.authority)) problems.push('authority differs');
      const qname = p.query.name.toLowerCase().replace(/\.?$/, '.');
      for (const rr of flip.answer) {
        const [owner, type] = rr.split('|');
        // A CNAME owner is qname; a followed chain is not expected for ANY.
        if (owner !== qname && type !== 'HINFO') problems.push(`answer record not at qname: ${rr}`);
      }
      return problems;
    },
  },
  {
    id: 'truncated',
    reason:
      'Both set TC: what a truncated response still carries is up to the server (RFC 2181 §9, RFC 9471); ' +
      'the client retries over TCP, which is compared in full. Only rcode, AA and TC are compared.',
    applies: (_p, nsd, flip) => nsd.flags.tc && flip.flags.tc,
    check: (_p, nsd, flip) => {
      const problems: string[] = [];
      if (nsd.rcode !== flip.rcode) problems.push(`rcode ${flip.rcode}, NSD ${nsd.rcode}`);
      if (nsd.flags.aa !== flip.flags.aa) problems.push(`AA ${flip.flags.aa}, NSD ${nsd.flags.aa}`);
      return problems;
    },
  },
];

/** Queries whose answers differed but an allowance accepted them, by allowance id (printed at the end). */
const allowedUses = new Map<string, string[]>();

/** What is compared when no allowance applies: everything but the ID (checked separately). */
function comparable(n: NormalizedResponse) {
  return {
    opcode: n.opcode,
    rcode: n.rcode,
    flags: { qr: n.flags.qr, aa: n.flags.aa, tc: n.flags.tc, rd: n.flags.rd, ra: n.flags.ra },
    question: n.question,
    answer: n.answer,
    authority: n.authority,
    additional: n.additional,
    edns: n.edns,
    optCount: n.optCount,
  };
}

function describeQuery(p: Pair): string {
  const q = p.query;
  const edns = p.transport === 'udp-edns' || q.edns ? ` edns=${JSON.stringify(q.edns ?? { payload: 1232 })}` : '';
  return `${q.name} ${q.class && q.class !== 'IN' ? q.class + ' ' : ''}${q.type ?? 'A'} over ${p.transport}${q.rd ? ' rd' : ''}${edns}`;
}

/** Problems with flipdns's answer relative to NSD's, as text; empty when they agree. */
function comparePair(p: Pair): string[] {
  const problems: string[] = [];
  if (!p.flip.packet) return [`flipdns response does not decode: ${p.flip.decodeError?.message} (${p.flip.raw.toString('hex')})`];
  if (!p.nsd.packet) return [`NSD response does not decode: ${p.nsd.decodeError?.message}`];
  // The ID and the question, byte for byte (case included), must be echoed.
  if (p.flip.raw.readUInt16BE(0) !== p.sent.readUInt16BE(0)) problems.push('flipdns did not echo the message ID');
  const sentQ = rawQuestionName(p.sent);
  const nsdQ = rawQuestionName(p.nsd.raw);
  const flipQ = rawQuestionName(p.flip.raw);
  if (nsdQ.equals(sentQ) && !flipQ.equals(sentQ)) {
    problems.push(`question name not echoed as sent: sent ${JSON.stringify(sentQ.toString('latin1'))}, got ${JSON.stringify(flipQ.toString('latin1'))}`);
  }
  const n = normalize(p.nsd);
  const f = normalize(p.flip);
  const allowance = ALLOWED.find((a) => a.applies(p, n, f));
  if (allowance) {
    problems.push(...allowance.check(p, n, f).map((x) => `[allowed ${allowance.id}, but] ${x}`));
    if (JSON.stringify(comparable(n)) !== JSON.stringify(comparable(f))) {
      const used = allowedUses.get(allowance.id) ?? [];
      used.push(describeQuery(p));
      allowedUses.set(allowance.id, used);
    }
  } else {
    const a = comparable(n);
    const b = comparable(f);
    for (const key of Object.keys(a) as Array<keyof typeof a>) {
      if (JSON.stringify(a[key]) === JSON.stringify(b[key])) continue;
      // Small fields in full; the sections are shown below.
      const small = !['answer', 'authority', 'additional'].includes(key);
      problems.push(small ? `${key} differs (NSD ${JSON.stringify(a[key])}, flipdns ${JSON.stringify(b[key])})` : `${key} differs`);
    }
  }
  if (problems.length === 0) return [];
  return [
    `${describeQuery(p)}: ${problems.join('; ')}\n` +
      `  NSD:\n${indent(formatNormalized(n), 4)}\n` +
      `  flipdns:\n${indent(formatNormalized(f), 4)}`,
  ];
}

function indent(s: string, n: number): string {
  return s
    .split('\n')
    .map((l) => ' '.repeat(n) + l)
    .join('\n');
}

// ---------------------------------------------------------------------------
// Servers

interface FlipdnsHandle {
  port: number;
  httpPort: number;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

async function startFlipdns(zonesDir: string, port: number, httpPort: number): Promise<FlipdnsHandle> {
  if (!existsSync(BUILT_CLI)) {
    throw new Error(`flipdns is not built: ${BUILT_CLI} is missing. Run \`npm run build\` (npm test does it first).`);
  }
  const args = [CLI, 'serve', '--zones', zonesDir, '--host', '127.0.0.1', '--port', String(port), '--http-port', String(httpPort)];
  // No --admin-token: the generated one goes to a temp file, not the repository's .flipdns/.
  const env = { ...process.env, FLIPDNS_ADMIN_TOKEN_FILE: scratchAdminTokenFile() };
  const child: ChildProcess = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      process.kill(child.pid, 'SIGTERM');
      const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
      if (!done && child.exitCode === null) {
        process.kill(child.pid, 'SIGKILL');
        await exited;
      }
    }
  };
  const deadline = Date.now() + 30_000;
  let last = '';
  for (;;) {
    // A zone file flipdns rejects would make every comparison in it fail: say so once, clearly.
    if (/"failedFiles"/.test(out)) {
      await stop();
      throw new Error(`flipdns rejected zone files that NSD serves (node ${args.join(' ')}):\n${out}`);
    }
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`flipdns exited during startup (code ${child.exitCode}, signal ${child.signalCode}): node ${args.join(' ')}\n${out}`);
    }
    try {
      const r = await queryUdp(port, { name: 'rules.test', type: 'SOA' }, { timeoutMs: 300, retries: 0 });
      if (r.packet && normalize(r).rcode === 'NOERROR') break;
      last = r.packet ? normalize(r).rcode : 'undecodable response';
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`flipdns did not answer SOA rules.test on 127.0.0.1:${port} within 30 s (${last}):\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, httpPort, pid: child.pid!, output: () => out, stop };
}

let nsd: NsdHandle | undefined;
let flip: FlipdnsHandle | undefined;
let zonesDir = '';

async function ask(port: number, transport: Transport, sent: Buffer): Promise<DnsResult> {
  return transport === 'tcp' ? queryTcp(port, sent, { timeoutMs: 3000 }) : queryUdp(port, sent, { timeoutMs: 2000, retries: 2 });
}

let nextId = 1;

function queryBytes(q: CompareQuery, transport: Transport): Buffer {
  let edns: QueryOptions['edns'];
  if (q.edns !== undefined) edns = q.edns === false ? undefined : q.edns;
  else if (transport === 'udp-edns') edns = { payload: 1232 };
  return buildQuery({ name: q.name, type: q.type ?? 'A', class: q.class ?? 'IN', rd: q.rd ?? false, opcode: q.opcode, edns, id: nextId++ & 0xffff });
}

/** Sends `q` over each transport to both servers; returns the problems found. */
async function compareQuery(q: CompareQuery): Promise<string[]> {
  const problems: string[] = [];
  for (const transport of q.transports ?? TRANSPORTS) {
    const sent = queryBytes(q, transport);
    const [n, f] = await Promise.all([ask(nsd!.port, transport, sent), ask(flip!.port, transport, sent).catch((err: Error) => err)]);
    if (f instanceof Error) {
      problems.push(`${q.name} ${q.type ?? 'A'} over ${transport}: flipdns gave no answer (${f.message}); NSD:\n${indent(formatNormalized(normalize(n)), 4)}`);
      continue;
    }
    problems.push(...comparePair({ query: q, transport, sent, nsd: n, flip: f }));
  }
  return problems;
}

function failOn(problems: string[]): void {
  if (problems.length) throw new Error(`flipdns differs from NSD:\n\n${problems.join('\n\n')}`);
}

// ---------------------------------------------------------------------------

describe('flipdns answers like NSD', () => {
  beforeAll(async () => {
    findNsd(); // a clear error when NSD is missing
    zonesDir = mkdtempSync(join(tmpdir(), 'flipdns-compare-'));
    // zones/ is copied whole: its zone files $INCLUDE files from subfolders by relative path.
    if (existsSync(EXAMPLES)) cpSync(EXAMPLES, zonesDir, { recursive: true });
    const seen = new Map<string, string>();
    for (const z of ZONES) {
      const name = basename(z.path);
      if (seen.has(name)) throw new Error(`zone file name ${name} is both in ${seen.get(name)} and ${z.path}`);
      seen.set(name, z.path);
      if (z.source === 'fixture') copyFileSync(z.path, join(zonesDir, name));
    }
    const origins = new Set<string>();
    for (const z of ZONES) {
      if (origins.has(z.origin)) throw new Error(`two zone files have origin ${z.origin}`);
      origins.add(z.origin);
    }
    const [nsdPort, flipPort, httpPort] = await getFreePorts(3);
    nsd = await startNsd({ zonesDir, zones: ZONES.map((z) => ({ origin: z.origin, file: basename(z.path) })), port: nsdPort });
    if (process.env.NSD_COMPARE_AGAINST === 'nsd') {
      // Harness self-check: a second NSD in flipdns's place must give no differences.
      const other = await startNsd({ zonesDir, zones: ZONES.map((z) => ({ origin: z.origin, file: basename(z.path) })), port: flipPort });
      flip = { port: other.port, httpPort, pid: other.pid, output: other.log, stop: other.stop };
    } else {
      flip = await startFlipdns(zonesDir, flipPort, httpPort);
    }
  }, 90_000);

  afterAll(async () => {
    for (const [id, qs] of allowedUses) {
      console.log(`allowed difference ${id}: ${qs.length} answer(s) differed from NSD's, e.g.\n  ${qs.slice(0, 5).join('\n  ')}`);
    }
    await flip?.stop();
    await nsd?.stop();
    if (zonesDir) rmSync(zonesDir, { recursive: true, force: true });
  }, 30_000);

  it('serves the fixture zones', () => {
    expect(ZONES.filter((z) => z.source === 'fixture').map((z) => z.origin)).toEqual(['other.test', 'rules.test']);
  });

  it.each(RULE_QUERIES.map((q) => [q.label, q] as const))('rule: %s', async (_label, q) => {
    failOn(await compareQuery(q));
  }, 30_000);

  it.each(RULE_QUERIES.filter((q) => !q.transports).map((q, i) => [q.label, { ...q, name: flipCase(q.name, i + 1), transports: ['udp-edns'] as Transport[] }] as const))(
    'case variant of qname: %s',
    async (_label, q) => {
      failOn(await compareQuery(q));
    },
    30_000,
  );

  describe.each(ZONES.map((z) => [`${z.source} zone ${basename(z.path)}`, z] as const))('%s', (_title, z) => {
    it('answers every name and type like NSD (generated queries)', async () => {
      const qs = generatedQueries(z);
      if ('error' in qs) throw new Error(`nsd-checkzone rejects ${z.path}; flipdns serves it, NSD does not:\n${qs.error}`);
      expect(qs.length).toBeGreaterThan(0);
      const problems: string[] = [];
      for (const q of qs) problems.push(...(await compareQuery(q)));
      failOn(problems);
    }, 300_000);
  });
});
