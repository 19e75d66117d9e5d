// Reads the parts of a query the server needs (header, the one question, the
// OPT record) straight from the datagram, into one reused object: this runs for
// every packet, so it allocates only the folded question name, and only when
// the client sent upper-case letters.

export const HEADER_LENGTH = 12;
const TYPE_OPT = 41;
const MAX_NAME_LENGTH = 255;

/** Header opcodes (RFC 1035 §4.1.1, RFC 1996, RFC 2136) the server tells apart. */
export const OPCODE = {
  QUERY: 0,
  NOTIFY: 4,
} as const;

/** What parseQuery found wrong, beyond a well-formed query. */
export const QueryProblem = {
  None: 0,
  /** Not worth an answer: too short to echo an ID, or a response (answering those would loop). */
  Drop: 1,
  FormErr: 2,
  /** An opcode other than QUERY and NOTIFY; only the header was read. */
  NotImp: 3,
  /** A well-formed NOTIFY (question and OPT read as for a query): we take no zone transfers, so it is refused. */
  Notify: 4,
} as const;
export type QueryProblem = (typeof QueryProblem)[keyof typeof QueryProblem];

export interface ParsedQuery {
  opcode: number;
  /** Folded question name in wire form, as a latin1 string: the lookup key. */
  qkey: string;
  qtype: number;
  qclass: number;
  /** Offset just past the question: the question bytes are [HEADER_LENGTH, questionEnd). */
  questionEnd: number;
  hasEdns: boolean;
  ednsVersion: number;
  /** The DO bit, which the response must copy (RFC 3225 §3). */
  dnssecOk: boolean;
  /** Requestor's UDP payload size, raised to 512 (RFC 6891 §6.2.5). */
  ednsPayload: number;
}

export function newParsedQuery(): ParsedQuery {
  return { opcode: 0, qkey: '', qtype: 0, qclass: 0, questionEnd: 0, hasEdns: false, ednsVersion: 0, dnssecOk: false, ednsPayload: 512 };
}

const foldScratch = Buffer.alloc(MAX_NAME_LENGTH);

export function parseQuery(msg: Buffer, q: ParsedQuery): QueryProblem {
  const length = msg.length;
  if (length < HEADER_LENGTH || (msg[2] & 0x80) !== 0) return QueryProblem.Drop;
  q.opcode = (msg[2] >> 3) & 0x0f;
  q.hasEdns = false;
  q.ednsVersion = 0;
  q.dnssecOk = false;
  q.ednsPayload = 512;
  q.questionEnd = 0;
  if (q.opcode !== OPCODE.QUERY && q.opcode !== OPCODE.NOTIFY) return QueryProblem.NotImp;
  if (msg[4] !== 0 || msg[5] !== 1) return QueryProblem.FormErr;

  let pos = HEADER_LENGTH;
  let upper = false;
  for (;;) {
    if (pos >= length) return QueryProblem.FormErr;
    const len = msg[pos];
    if (len === 0) break;
    // A pointer has nothing earlier to point at in a question; 0x40/0x80 label types are obsolete.
    if (len > 63) return QueryProblem.FormErr;
    const end = pos + 1 + len;
    if (end > length) return QueryProblem.FormErr;
    for (let i = pos + 1; i < end; i++) {
      const c = msg[i];
      if (c >= 0x41 && c <= 0x5a) upper = true;
    }
    pos = end;
  }
  const nameEnd = pos + 1;
  if (nameEnd - HEADER_LENGTH > MAX_NAME_LENGTH || nameEnd + 4 > length) return QueryProblem.FormErr;
  if (upper) {
    for (let i = HEADER_LENGTH; i < nameEnd; i++) {
      const c = msg[i];
      foldScratch[i - HEADER_LENGTH] = c >= 0x41 && c <= 0x5a ? c + 32 : c;
    }
    q.qkey = foldScratch.toString('latin1', 0, nameEnd - HEADER_LENGTH);
  } else {
    q.qkey = msg.toString('latin1', HEADER_LENGTH, nameEnd);
  }
  q.qtype = (msg[nameEnd] << 8) | msg[nameEnd + 1];
  q.qclass = (msg[nameEnd + 2] << 8) | msg[nameEnd + 3];
  q.questionEnd = nameEnd + 4;

  const skipped = ((msg[6] << 8) | msg[7]) + ((msg[8] << 8) | msg[9]);
  const additional = (msg[10] << 8) | msg[11];
  const problem = skipped === 0 && additional === 0 ? QueryProblem.None : readRecords(msg, q, skipped, additional);
  return problem === QueryProblem.None && q.opcode === OPCODE.NOTIFY ? QueryProblem.Notify : problem;
}

/** Walks answer/authority (ignored) and additional, where the OPT record lives. */
function readRecords(msg: Buffer, q: ParsedQuery, skipped: number, additional: number): QueryProblem {
  let pos = q.questionEnd;
  const total = skipped + additional;
  for (let n = 0; n < total; n++) {
    const nameEnd = skipName(msg, pos);
    if (nameEnd < 0 || nameEnd + 10 > msg.length) return QueryProblem.FormErr;
    const type = msg.readUInt16BE(nameEnd);
    const rdEnd = nameEnd + 10 + msg.readUInt16BE(nameEnd + 8);
    if (rdEnd > msg.length) return QueryProblem.FormErr;
    if (type === TYPE_OPT && n >= skipped) {
      // RFC 6891 §6.1.1: more than one OPT, or an OPT not owned by the root, is a format error.
      if (q.hasEdns || nameEnd !== pos + 1) return QueryProblem.FormErr;
      q.hasEdns = true;
      q.ednsPayload = Math.max(512, msg.readUInt16BE(nameEnd + 2));
      q.ednsVersion = msg[nameEnd + 5];
      q.dnssecOk = (msg[nameEnd + 6] & 0x80) !== 0;
    }
    pos = rdEnd;
  }
  return QueryProblem.None;
}

/** Offset past a possibly compressed name, or -1 when it is malformed. */
function skipName(msg: Buffer, pos: number): number {
  for (;;) {
    if (pos >= msg.length) return -1;
    const len = msg[pos];
    if (len === 0) return pos + 1;
    if ((len & 0xc0) === 0xc0) return pos + 2 <= msg.length ? pos + 2 : -1;
    if (len > 63) return -1;
    pos += len + 1;
  }
}
