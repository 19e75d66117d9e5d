// One query in, one response out, for UDP and TCP alike. The hot path is a
// header/question parse, two Map lookups and one buffer copy with the ID, RD/CD
// flags and question spelling patched in; everything else (lookup, encoding)
// happens once per distinct question and is cached.

import { refusedPlan, resolve } from '../answer/lookup.js';
import { type AnswerPlan, emptyPlan } from '../answer/plan.js';
import type { ZoneSet } from '../answer/zoneset.js';
import { type QueryStats, type Transport, UDP } from '../metrics/query-stats.js';
import { ERROR_CLASS, type ResponseClass, classify } from '../rrl/classify.js';
import { DROP, type RateLimitSettings, ResponseRateLimiter, SEND } from '../rrl/limiter.js';
import { CLASS_CH, CLASS_IN } from '../zone/model.js';
import { RCODE, TYPE } from '../zone/types.js';
import { HEADER_LENGTH, OPCODE, type ParsedQuery, QueryProblem, newParsedQuery, parseQuery } from '../wire/query.js';
import { type EdnsReply, MAX_MESSAGE, encodeError, encodeResponse } from '../wire/response.js';
import { AnswerCache, type CachedAnswer, type EdnsShape, type Encoding } from './cache.js';
import { type ServerIdentity, chaosPlan } from './chaos.js';
import type { PoolServed, ServingTap } from './tap.js';

const TYPE_AXFR = 252;
const TYPE_IXFR = 251;
const FLAG_RD = 0x01;
const FLAG_CD = 0x10;
const FLAG_TC = 0x02;

export interface HandlerOptions {
  identity: ServerIdentity;
  /** Our EDNS UDP payload size: advertised, and the cap on UDP responses. */
  ednsPayload: number;
  cacheEntries: number;
  /** Called for a sampled share of queries (0 = none). */
  queryLogSample: number;
  logQuery?: (entry: { qname: string; qtype: number; qclass: number; rcode: number; transport: Transport; cached: boolean }) => void;
  /** Told of every response that carries a pool answer (src/server/tap.ts). */
  tap?: ServingTap;
  /** Response rate limiting of UDP responses (src/rrl/); absent: off. */
  rateLimit?: RateLimitSettings;
}

export class QueryHandler {
  private zones: ZoneSet;
  readonly cache: AnswerCache;
  private readonly query: ParsedQuery = newParsedQuery();
  /** The OPT reply per EDNS shape; index 0, no EDNS, has none. */
  private readonly ednsReplies: Array<EdnsReply | undefined>;
  /** Undefined when response rate limiting is off. */
  readonly limiter: ResponseRateLimiter | undefined;
  /** What the response being built counts as for the limiter. */
  private limitedAs: ResponseClass = ERROR_CLASS;

  constructor(zones: ZoneSet, private readonly options: HandlerOptions, private readonly stats: QueryStats) {
    this.zones = zones;
    this.cache = new AnswerCache(options.cacheEntries);
    this.ednsReplies = [undefined, { payload: options.ednsPayload, dnssecOk: false }, { payload: options.ednsPayload, dnssecOk: true }];
    this.limiter = options.rateLimit === undefined ? undefined : new ResponseRateLimiter(options.rateLimit);
  }

  get zoneSet(): ZoneSet {
    return this.zones;
  }

  /** Swaps in a new zone set; every cached answer may depend on the old one. */
  setZones(zones: ZoneSet): void {
    this.zones = zones;
    this.cache.clear();
  }

  /** Drops the precompiled answers built from a pool whose answer changed. */
  invalidatePool(key: string): number {
    return this.cache.invalidatePool(key);
  }

  /**
   * The response to `msg` from `source` (the client's address), with `prefix`
   * bytes left free in front (2 for TCP's length), or undefined when the packet
   * deserves no answer or response rate limiting drops it (UDP only).
   */
  handle(msg: Buffer, transport: Transport, prefix: number, source = ''): Buffer | undefined {
    const out = this.respond(msg, transport, prefix, source);
    return this.limiter === undefined || transport !== UDP || out === undefined ? out : this.rateLimit(out, source);
  }

  /**
   * Response rate limiting, the one place every UDP response passes (src/rrl/):
   * the response as it is, or cut to its question with TC set (a slip: a real
   * client retries over TCP), or nothing.
   */
  private rateLimit(out: Buffer, source: string): Buffer | undefined {
    const verdict = this.limiter!.check(source, this.limitedAs.kind, this.limitedAs.name);
    if (verdict === SEND) return out;
    if (verdict === DROP) return undefined;
    const questionEnd = this.query.questionEnd;
    const end = questionEnd > HEADER_LENGTH && questionEnd <= out.length ? questionEnd : HEADER_LENGTH;
    out[2] |= FLAG_TC;
    out.writeUInt16BE(end > HEADER_LENGTH ? 1 : 0, 4);
    out.fill(0, 6, HEADER_LENGTH);
    return out.subarray(0, end);
  }

  private respond(msg: Buffer, transport: Transport, prefix: number, source: string): Buffer | undefined {
    const q = this.query;
    const problem = parseQuery(msg, q);
    if (problem !== QueryProblem.None) return this.reject(msg, problem, transport, prefix);

    const limit = transport !== UDP ? MAX_MESSAGE : q.hasEdns ? Math.min(q.ednsPayload, this.options.ednsPayload) : 512;
    const shape: EdnsShape = q.hasEdns ? (q.dnssecOk ? 2 : 1) : 0;
    if (q.hasEdns && q.ednsVersion > 0) {
      this.limitedAs = ERROR_CLASS;
      return this.finish(msg, this.encode(emptyPlan(RCODE.BADVERS, false), shape, limit), RCODE.BADVERS, transport, prefix, false);
    }

    const typeAndClass = (q.qclass << 16) | q.qtype;
    let entry = this.cache.get(shape, typeAndClass, q.qkey);
    const cached = entry !== undefined;
    if (entry === undefined) {
      this.stats.cacheMisses++;
      entry = this.compile(this.plan(q), shape);
      this.cache.set(shape, typeAndClass, q.qkey, entry, entry.choices[0].plan.pools);
    } else {
      this.stats.cacheHits++;
    }
    const choice = entry.choices.length === 1 ? entry.choices[0] : pickChoice(entry);
    const bytes = choice.full.length <= limit ? choice.full : this.truncatedFor(choice, shape, limit);
    if (entry.served !== undefined) this.options.tap?.served(source, entry.served);
    this.limitedAs = entry.limitedAs;
    return this.finish(msg, bytes, entry.rcode, transport, prefix, cached);
  }

  private plan(q: ParsedQuery): AnswerPlan {
    if (q.qclass === CLASS_CH) return chaosPlan(q.qkey, q.qtype, this.options.identity);
    // Zone transfers are not offered: secondaries are fed by the shared store, not AXFR.
    if (q.qclass !== CLASS_IN || q.qtype === TYPE_AXFR || q.qtype === TYPE_IXFR) return refusedPlan();
    if (q.qtype === TYPE.OPT) return emptyPlan(RCODE.FORMERR, false);
    return resolve(this.zones, q.qkey, q.qtype);
  }

  /** Encodes the plan once per variant of the pool answer in it (once when there is none). */
  private compile(plan: AnswerPlan, shape: EdnsShape): CachedAnswer {
    const served = this.options.tap === undefined ? undefined : poolsAnswered(plan);
    const limitedAs = classify(plan, this.query.qkey, this.zones.findZone(this.query.qkey)?.key);
    const index = plan.answer.findIndex((entry) => (entry.rrset.pool?.variants.length ?? 0) > 1);
    if (index < 0) return { rcode: plan.rcode, choices: [{ full: this.encode(plan, shape, MAX_MESSAGE), plan }], served, limitedAs, turn: 0 };
    const varying = plan.answer[index];
    const pool = varying.rrset.pool!;
    const choices = pool.variants.map((rdatas) => {
      const answer = [...plan.answer];
      answer[index] = { ...varying, rrset: { ...varying.rrset, rdatas, ttls: rdatas.map(() => varying.rrset.ttls[0]) } };
      const variant = { ...plan, answer };
      return { full: this.encode(variant, shape, MAX_MESSAGE), plan: variant };
    });
    return { rcode: plan.rcode, choices, cumulativeWeights: pool.cumulativeWeights, served, limitedAs, turn: 0 };
  }

  private encode(plan: AnswerPlan, shape: EdnsShape, limit: number): Buffer {
    const q = this.query;
    return encodeResponse(plan, { wire: q.qkey, qtype: q.qtype, qclass: q.qclass }, this.ednsReplies[shape], limit);
  }

  private truncatedFor(choice: Encoding, shape: EdnsShape, limit: number): Buffer {
    choice.truncated ??= new Map();
    let bytes = choice.truncated.get(limit);
    if (bytes === undefined) {
      bytes = this.encode(choice.plan, shape, limit);
      choice.truncated.set(limit, bytes);
    }
    return bytes;
  }

  private finish(msg: Buffer, bytes: Buffer, rcode: number, transport: Transport, prefix: number, cached: boolean): Buffer {
    const q = this.query;
    const out = Buffer.allocUnsafe(prefix + bytes.length);
    bytes.copy(out, prefix);
    if (prefix !== 0) out.writeUInt16BE(bytes.length, 0);
    out[prefix] = msg[0];
    out[prefix + 1] = msg[1];
    out[prefix + 2] |= msg[2] & FLAG_RD;
    out[prefix + 3] |= msg[3] & FLAG_CD;
    // The question goes back as the client spelled it (0x20 case randomisation, RFC 5452 §9.1).
    msg.copy(out, prefix + HEADER_LENGTH, HEADER_LENGTH, q.questionEnd - 4);
    this.stats.count(transport, q.qtype, rcode);
    if (this.options.queryLogSample > 0 && Math.random() < this.options.queryLogSample) {
      this.options.logQuery?.({ qname: q.qkey, qtype: q.qtype, qclass: q.qclass, rcode, transport, cached });
    }
    return out;
  }

  private reject(msg: Buffer, problem: QueryProblem, transport: Transport, prefix: number): Buffer | undefined {
    if (problem === QueryProblem.Drop) {
      this.stats.dropped++;
      return undefined;
    }
    this.limitedAs = ERROR_CLASS;
    const q = this.query;
    const rcode = problem === QueryProblem.NotImp ? RCODE.NOTIMP : problem === QueryProblem.Notify ? this.notifyRcode(q.qkey) : RCODE.FORMERR;
    // Other opcodes get the header alone, as from NSD; a FORMERR to a QUERY echoes the question when it could be read.
    const bytes = encodeError(msg, rcode, q.opcode === OPCODE.QUERY ? q.questionEnd : 0);
    this.stats.count(transport, q.questionEnd > 0 ? q.qtype : 0, rcode);
    if (prefix === 0) return bytes;
    const out = Buffer.allocUnsafe(prefix + bytes.length);
    out.writeUInt16BE(bytes.length, 0);
    bytes.copy(out, prefix);
    return out;
  }

  /**
   * A NOTIFY (RFC 1996) asks a secondary to transfer a zone; we take no
   * transfers. NSD 4.6 without allow-notify answers REFUSED for a zone it serves
   * and NXDOMAIN for any other name; so do we.
   */
  private notifyRcode(qkey: string): number {
    return this.zones.zones.has(qkey) ? RCODE.REFUSED : RCODE.NXDOMAIN;
  }
}

/**
 * The pools whose records a resolver caches as an answer: those in the answer
 * section (a CNAME chain included). Undefined when there are none.
 */
function poolsAnswered(plan: AnswerPlan): PoolServed[] | undefined {
  const served: PoolServed[] = [];
  for (const { rrset } of plan.answer) {
    if (rrset.pool !== undefined) served.push({ key: rrset.pool.key, version: rrset.pool.version, ttl: rrset.ttls[0] ?? 0 });
  }
  return served.length === 0 ? undefined : served;
}

/** Weighted pools pick by weight, others rotate, so each variant gets its share of queries. */
function pickChoice(entry: CachedAnswer): Encoding {
  const weights = entry.cumulativeWeights;
  if (weights === undefined) {
    entry.turn = entry.turn + 1 === entry.choices.length ? 0 : entry.turn + 1;
    return entry.choices[entry.turn];
  }
  const point = Math.random() * weights[weights.length - 1];
  let i = 0;
  while (weights[i] <= point) i++;
  return entry.choices[i];
}
