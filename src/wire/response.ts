// Encodes an AnswerPlan into a response, with name compression (RFC 1035 §4.1.4)
// and truncation at RRset boundaries (RFC 2181 §9). It runs once per cached
// answer, not per query: the server patches the ID, flags and question of the
// bytes made here.
//
// A name equal to the question name, ignoring case, points at the question, as
// NSD, Knot and BIND do: the server patches the question with the client's
// spelling per query, so such a name reads as the client wrote it (0x20 case
// randomisation survives), and a wildcard-synthesized owner (QUESTION_OWNER) is
// one of them. Any other name points only at a byte-identical earlier name, so
// it keeps the case the zone wrote it with.

import { type AnswerPlan, QUESTION_OWNER, type SectionEntry } from '../answer/plan.js';
import { TYPE } from '../zone/types.js';
import { HEADER_LENGTH } from './query.js';

export const MAX_MESSAGE = 65535;
/** Root owner, type, class, TTL and RDLENGTH of an OPT with no options. */
const OPT_LENGTH = 11;
const QUESTION_POINTER = 0xc000 | HEADER_LENGTH;
/** The opcode and RD bits in the third header byte. */
const OPCODE_MASK = 0x78;
const HEADER_RD = 0x01;
const MAX_POINTER_TARGET = 0x3fff;

export const FLAG_QR = 0x8000;
export const FLAG_AA = 0x0400;
export const FLAG_TC = 0x0200;

export interface Question {
  /** Question name as folded wire bytes (lower-case ASCII); the server overwrites it with the client's spelling. */
  wire: string;
  qtype: number;
  qclass: number;
}

export interface EdnsReply {
  /** Our own UDP payload size, advertised in the OPT CLASS. */
  payload: number;
  /** Copied from the query (RFC 3225 §3). */
  dnssecOk: boolean;
}

const OPTION_EDE = 15;
/** Option code, length and info-code of an Extended DNS Error with no text. */
const EDE_LENGTH = 6;
const FLAG_DO = 0x8000;

// Room for a full message plus one maximal record past it, which is where
// writing stops to check the limit.
const scratch = Buffer.alloc(2 * MAX_MESSAGE + 1024);

class MessageWriter {
  pos = 0;
  private readonly offsets = new Map<string, number>();

  /** `question`: the folded question name, written at HEADER_LENGTH. */
  constructor(private readonly buf: Buffer, private readonly question: string) {}

  u16(value: number): void {
    this.buf.writeUInt16BE(value, this.pos);
    this.pos += 2;
  }

  u32(value: number): void {
    this.buf.writeUInt32BE(value >>> 0, this.pos);
    this.pos += 4;
  }

  raw(bytes: string): void {
    this.pos += this.buf.write(bytes, this.pos, 'latin1');
  }

  /**
   * Writes a name, pointing at the question for the longest suffix equal to the
   * question name ignoring case, or else at the longest byte-identical suffix
   * already written.
   */
  name(wire: string, compress: boolean): void {
    for (let i = 0; wire.charCodeAt(i) !== 0; i += wire.charCodeAt(i) + 1) {
      if (compress && spellsFolded(wire, i, this.question)) {
        this.u16(QUESTION_POINTER);
        return;
      }
      const suffix = i === 0 ? wire : wire.slice(i);
      const earlier = compress ? this.offsets.get(suffix) : undefined;
      if (earlier !== undefined) {
        this.u16(0xc000 | earlier);
        return;
      }
      if (compress && this.pos <= MAX_POINTER_TARGET) this.offsets.set(suffix, this.pos);
      const labelEnd = i + wire.charCodeAt(i) + 1;
      this.raw(wire.slice(i, labelEnd));
    }
    this.buf[this.pos++] = 0;
  }

  /** Undoes everything written past `pos`, including compression targets there. */
  rewind(pos: number): void {
    this.pos = pos;
    for (const [suffix, offset] of this.offsets) if (offset >= pos) this.offsets.delete(suffix);
  }

  rdata(type: number, rdata: string): void {
    const lengthAt = this.pos;
    this.pos += 2;
    switch (type) {
      // RFC 3597 §4: only these well-known types may carry compressed names.
      case TYPE.NS:
      case TYPE.CNAME:
      case TYPE.PTR:
        this.name(rdata, true);
        break;
      case TYPE.MX:
        this.raw(rdata.slice(0, 2));
        this.name(rdata.slice(2), true);
        break;
      case TYPE.SOA: {
        const mnameEnd = nameLength(rdata, 0);
        const rnameEnd = mnameEnd + nameLength(rdata, mnameEnd);
        this.name(rdata.slice(0, mnameEnd), true);
        this.name(rdata.slice(mnameEnd, rnameEnd), true);
        this.raw(rdata.slice(rnameEnd));
        break;
      }
      default:
        this.raw(rdata);
    }
    this.buf.writeUInt16BE(this.pos - lengthAt - 2, lengthAt);
  }

  /** Writes a whole RRset and returns its record count, or -1 once past `room`. */
  rrset(entry: SectionEntry, rclass: number, room: number): number {
    const { rrset, owner, ttl } = entry;
    for (let i = 0; i < rrset.rdatas.length; i++) {
      if (this.pos > room) return -1;
      if (owner === QUESTION_OWNER) this.u16(QUESTION_POINTER);
      else this.name(owner, true);
      this.u16(rrset.type);
      this.u16(rclass);
      this.u32(ttl ?? rrset.ttls[i]);
      this.rdata(rrset.type, rrset.rdatas[i]);
    }
    return this.pos > room ? -1 : rrset.rdatas.length;
  }
}

/** Whether the name at `wire[start..]` is `folded` but for the case of ASCII letters. */
function spellsFolded(wire: string, start: number, folded: string): boolean {
  if (wire.length - start !== folded.length) return false;
  for (let i = 0; i < folded.length; i++) {
    const c = wire.charCodeAt(start + i);
    // Length bytes are at most 63, below 'A', so folding cannot confuse them with letters.
    if ((c >= 0x41 && c <= 0x5a ? c + 32 : c) !== folded.charCodeAt(i)) return false;
  }
  return true;
}

function nameLength(wire: string, start: number): number {
  let i = start;
  while (wire.charCodeAt(i) !== 0) i += wire.charCodeAt(i) + 1;
  return i + 1 - start;
}

/**
 * The response to `question` per `plan`, at most `limit` bytes. ID and RD are
 * zero: the caller patches them per query. With `edns`, an OPT record closes
 * the message and carries the upper bits of an extended RCODE.
 */
export function encodeResponse(plan: AnswerPlan, question: Question, edns: EdnsReply | undefined, limit: number): Buffer {
  const w = new MessageWriter(scratch, question.wire);
  const optLength = edns === undefined ? 0 : OPT_LENGTH + (plan.extendedError === undefined ? 0 : EDE_LENGTH);
  const room = limit - optLength;
  w.pos = HEADER_LENGTH;
  w.raw(question.wire);
  w.u16(question.qtype);
  w.u16(question.qclass);

  // RFC 2181 §9: TC only when data the answer needs does not fit; data that
  // merely helps (the zone's NS beside a positive answer, target addresses) is
  // left out a whole RRset at a time, without TC. Sections are filled in order,
  // so as room runs short additional data goes first, then the zone's NS.
  let truncated = false;
  const counts = [0, 0, 0];
  const sections = [plan.answer, plan.authority, plan.additional];
  // A referral's NS and a negative answer's SOA are the answer (authorityRequired);
  // so is a referral's in-domain glue (RFC 9471).
  const required = [true, plan.authorityRequired, plan.glueRequired];
  for (let s = 0; s < 3 && !truncated; s++) {
    for (const entry of sections[s]) {
      const before = w.pos;
      const written = w.rrset(entry, question.qclass, room);
      if (written >= 0) {
        counts[s] += written;
        continue;
      }
      w.rewind(before);
      if (required[s]) {
        truncated = true;
        break;
      }
    }
  }

  if (edns !== undefined) {
    scratch[w.pos++] = 0;
    w.u16(TYPE.OPT);
    w.u16(edns.payload);
    w.u32(((plan.rcode >> 4) << 24) | (edns.dnssecOk ? FLAG_DO : 0));
    if (plan.extendedError === undefined) {
      w.u16(0);
    } else {
      w.u16(EDE_LENGTH);
      w.u16(OPTION_EDE);
      w.u16(2);
      w.u16(plan.extendedError);
    }
  }
  let flags = FLAG_QR | (plan.rcode & 0x0f);
  if (plan.authoritative) flags |= FLAG_AA;
  if (truncated) flags |= FLAG_TC;
  scratch.writeUInt16BE(0, 0);
  scratch.writeUInt16BE(flags, 2);
  scratch.writeUInt16BE(1, 4);
  scratch.writeUInt16BE(counts[0], 6);
  scratch.writeUInt16BE(counts[1], 8);
  scratch.writeUInt16BE(counts[2] + (edns === undefined ? 0 : 1), 10);
  return Buffer.from(scratch.subarray(0, w.pos));
}

/**
 * A header-only error response (FORMERR, NOTIMP, REFUSED to a NOTIFY) echoing
 * the ID and opcode, and the question when `questionEnd` > 0. Every other flag
 * is cleared, except RD in an answer to a QUERY: RD is defined for that opcode
 * only (RFC 1035 §4.1.1).
 */
export function encodeError(msg: Buffer, rcode: number, questionEnd: number): Buffer {
  const length = questionEnd > 0 ? questionEnd : HEADER_LENGTH;
  const out = Buffer.alloc(length);
  msg.copy(out, 0, 0, length);
  const opcodeBits = msg[2] & OPCODE_MASK;
  out[2] = 0x80 | opcodeBits | (opcodeBits === 0 ? msg[2] & HEADER_RD : 0);
  out[3] = rcode & 0x0f;
  out.writeUInt16BE(questionEnd > 0 ? 1 : 0, 4);
  out.fill(0, 6, 12);
  return out;
}
