// CHAOS-class TXT queries that identify the server (RFC 4892 and BIND's
// conventions): with several instances behind one name, operators need to see
// which one answered.

import { type AnswerPlan, QUESTION_OWNER, emptyPlan } from '../answer/plan.js';
import { RCODE, TYPE } from '../zone/types.js';

export interface ServerIdentity {
  /** Answered to id.server and hostname.bind. */
  id: string;
  /** Answered to version.bind and version.server; refused when unset. */
  version?: string;
}

const ID_NAMES = new Set(['\x02id\x06server\x00', '\x08hostname\x04bind\x00']);
const VERSION_NAMES = new Set(['\x07version\x04bind\x00', '\x07version\x06server\x00']);

export function chaosPlan(qkey: string, qtype: number, identity: ServerIdentity): AnswerPlan {
  const text = ID_NAMES.has(qkey) ? identity.id : VERSION_NAMES.has(qkey) ? identity.version : undefined;
  if (text === undefined) return emptyPlan(RCODE.REFUSED, false);
  const plan = emptyPlan(RCODE.NOERROR, true);
  if (qtype === TYPE.TXT || qtype === TYPE.ANY) {
    plan.answer.push({ owner: QUESTION_OWNER, rrset: { type: TYPE.TXT, ttls: [0], rdatas: [txtRdata(text)] } });
  }
  return plan;
}

function txtRdata(text: string): string {
  const bytes = Buffer.from(text, 'utf8').subarray(0, 255);
  return String.fromCharCode(bytes.length) + bytes.toString('latin1');
}
