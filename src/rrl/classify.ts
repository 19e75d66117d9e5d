// What a response is limited as: its kind and the name whose responses share a
// bucket, as NSD's RRL classifies them. Positive answers are counted per
// question name, so a resolver asking many names is limited per name; the
// responses an attacker can vary without end (NXDOMAIN and NODATA for random
// names, names under a wildcard, errors) are counted per zone, so that varying
// the name does not escape the limit. Decided once per precompiled answer,
// never per query.

import { type AnswerPlan, QUESTION_OWNER } from '../answer/plan.js';
import { RCODE, TYPE } from '../zone/types.js';

export const KIND = { answer: 0, wildcard: 1, nodata: 2, nxdomain: 3, referral: 4, error: 5 } as const;
export type Kind = (typeof KIND)[keyof typeof KIND];
export const KIND_NAMES = ['answer', 'wildcard', 'nodata', 'nxdomain', 'referral', 'error'] as const;

export interface ResponseClass {
  kind: Kind;
  /** nameHash() of the name the bucket is kept for. */
  name: number;
}

/** The class of every response that is no answer to a question: FORMERR, NOTIMP, BADVERS, NOTIFY's. */
export const ERROR_CLASS: ResponseClass = { kind: KIND.error, name: 0 };

/**
 * `plan` answers `qkey` (folded wire form) in the zone `zoneKey` (folded, or
 * undefined outside our zones).
 */
export function classify(plan: AnswerPlan, qkey: string, zoneKey: string | undefined): ResponseClass {
  const zone = zoneKey === undefined ? 0 : nameHash(zoneKey);
  if (plan.rcode === RCODE.NXDOMAIN) return { kind: KIND.nxdomain, name: zone };
  if (plan.rcode !== RCODE.NOERROR) return { kind: KIND.error, name: zone };
  if (plan.answer.length === 0) {
    // A referral names its zone cut, as the zone spells it (one node, one spelling).
    const cut = plan.authority[0];
    if (cut !== undefined && cut.rrset.type === TYPE.NS) return { kind: KIND.referral, name: nameHash(cut.owner ?? qkey) };
    return { kind: KIND.nodata, name: zone };
  }
  // A first answer owned by the question name as the client wrote it was synthesised from a wildcard (RFC 4592).
  if (plan.answer[0].owner === QUESTION_OWNER) return { kind: KIND.wildcard, name: zone };
  return { kind: KIND.answer, name: nameHash(qkey) };
}

/** FNV-1a over the name's bytes (latin1 characters), unsigned. */
export function nameHash(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}
