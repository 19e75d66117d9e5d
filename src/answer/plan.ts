import type { RRset } from '../zone/model.js';


// What to answer, before it is put on the wire. The resolver decides it once per
// (name, type); the wire code encodes it once per EDNS shape and reuses the bytes.

/** Owner value meaning "the question name, exactly as the client wrote it" (RFC 4592 synthesis). */
export const QUESTION_OWNER = null;

export interface SectionEntry {
  /** Owner in wire form as written in the zone, or QUESTION_OWNER. */
  owner: string | typeof QUESTION_OWNER;
  rrset: RRset;
  /** Replaces every record's TTL: the negative-caching TTL of an SOA in authority. */
  ttl?: number;
}

export interface AnswerPlan {
  rcode: number;
  authoritative: boolean;
  answer: SectionEntry[];
  authority: SectionEntry[];
  additional: SectionEntry[];
  /**
   * `authority` is part of the answer (a negative answer's SOA, a referral's NS):
   * it must fit, or the response is truncated. Otherwise (the zone's NS beside a
   * positive answer) it is left out when it does not fit (RFC 2181 §9).
   */
  authorityRequired: boolean;
  /** The glue in `additional` must fit, or the response is truncated (RFC 9471). */
  glueRequired: boolean;
  /** Extended DNS Error info-code (RFC 8914) for EDNS responses. */
  extendedError?: number;
  /** Keys of the pools this answer was built from: it must be rebuilt when their answer changes. */
  pools?: string[];
}

/** RFC 8914 §4.21: the server is not authoritative for the name asked. */
export const EDE_NOT_AUTHORITATIVE = 20;

export function emptyPlan(rcode: number, authoritative: boolean): AnswerPlan {
  return { rcode, authoritative, answer: [], authority: [], additional: [], authorityRequired: false, glueRequired: false };
}
