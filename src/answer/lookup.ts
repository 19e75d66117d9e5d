// The authoritative lookup of RFC 1034 §4.3.2, with RFC 4592 wildcards, RFC 2308
// negative answers and RFC 8482 minimal ANY. It runs once per distinct question:
// the wire layer caches what it decides, so clarity beats speed here.

import type { RRset, Zone, ZoneNode } from '../zone/model.js';
import { isAtOrBelow } from '../zone/name.js';
import { RCODE, TYPE } from '../zone/types.js';
import { type AnswerPlan, EDE_NOT_AUTHORITATIVE, QUESTION_OWNER, type SectionEntry, emptyPlan } from './plan.js';
import type { ZoneSet } from './zoneset.js';

/** Longest CNAME chain followed; a chain this long is a misconfiguration, not an answer. */
const MAX_CHAIN = 16;
const WILDCARD_LABEL = '\x01*';
const ADDRESS_TYPES = [TYPE.A, TYPE.AAAA];

export function resolve(zones: ZoneSet, qkey: string, qtype: number): AnswerPlan {
  let zone = zones.findZone(qkey);
  if (zone === undefined) return refusedPlan();
  const plan = emptyPlan(RCODE.NOERROR, true);
  let key = qkey;
  // How the name being looked up is spelled on the wire: the question for the
  // first step, then each CNAME target as the zone wrote it.
  let spelling: string | typeof QUESTION_OWNER = QUESTION_OWNER;
  const visited = [qkey];

  for (;;) {
    const cut = findCut(zone, key, qtype);
    if (cut !== undefined) {
      addReferral(plan, zone, cut);
      return plan;
    }
    let node = zone.nodes.get(key);
    let owner: string | typeof QUESTION_OWNER = node?.wire ?? null;
    if (node === undefined) {
      node = findWildcard(zone, key);
      if (node === undefined) {
        plan.rcode = RCODE.NXDOMAIN;
        addNegative(plan, zone);
        return plan;
      }
      owner = spelling;
    }
    if (node.rrsets.size === 0) {
      addNegative(plan, zone);
      return plan;
    }
    if (qtype === TYPE.ANY) {
      // RFC 8482 §4.2: one RRset is enough to show the name exists.
      const rrset = node.rrsets.get(TYPE.SOA) ?? node.rrsets.values().next().value!;
      if (answeredByPoolOutcome(plan, zone, rrset)) return plan;
      add(plan, plan.answer, { owner, rrset });
      addTargetAddresses(plan, zone, rrset);
      return plan;
    }
    const rrset = node.rrsets.get(qtype);
    if (rrset !== undefined) {
      if (answeredByPoolOutcome(plan, zone, rrset)) return plan;
      add(plan, plan.answer, { owner, rrset });
      // DS at a cut is the parent's data about the child: NSD adds nothing to it.
      if (!node.delegation) addPositiveExtras(plan, zone);
      return plan;
    }
    const cname = node.rrsets.get(TYPE.CNAME);
    if (cname === undefined || qtype === TYPE.CNAME) {
      addNegative(plan, zone);
      return plan;
    }
    if (answeredByPoolOutcome(plan, zone, cname)) return plan;
    add(plan, plan.answer, { owner, rrset: cname });
    // A pool whose CNAME target varies per query is not followed: the resolver follows whichever it gets.
    if ((cname.pool?.variants.length ?? 0) > 1) return plan;
    const target = cname.targets![0];
    const next = zones.findZone(target);
    // Outside our zones the resolver follows the chain itself; a loop or an
    // over-long chain ends here with what was found so far.
    if (next === undefined || visited.includes(target) || visited.length > MAX_CHAIN) return plan;
    visited.push(target);
    zone = next;
    key = target;
    spelling = cname.rdatas[0];
  }
}

/**
 * Every RRset enters a plan through here, whatever the section, so that the
 * plan lists each pool it was built from and a flip drops exactly the answers
 * that carry the pool anywhere.
 */
function add(plan: AnswerPlan, section: SectionEntry[], entry: SectionEntry): void {
  notePool(plan, entry.rrset);
  section.push(entry);
}

function notePool(plan: AnswerPlan, rrset: RRset): void {
  const key = rrset.pool?.key;
  if (key === undefined) return;
  plan.pools ??= [];
  if (!plan.pools.includes(key)) plan.pools.push(key);
}

/** Answers for a pool RRset whose members are all down when the pool says NODATA or SERVFAIL. */
function answeredByPoolOutcome(plan: AnswerPlan, zone: Zone, rrset: RRset): boolean {
  if (rrset.pool === undefined) return false;
  notePool(plan, rrset);
  switch (rrset.pool.outcome) {
    case 'answer':
      return false;
    case 'nodata':
      addNegative(plan, zone);
      return true;
    case 'servfail':
      plan.rcode = RCODE.SERVFAIL;
      plan.authoritative = false;
      return true;
  }
}

export function refusedPlan(): AnswerPlan {
  const plan = emptyPlan(RCODE.REFUSED, false);
  plan.extendedError = EDE_NOT_AUTHORITATIVE;
  return plan;
}

/**
 * The highest zone cut between the apex (exclusive) and `key` (inclusive). A DS
 * query at the cut itself belongs to the parent side (RFC 4035 §3.1.4.1).
 */
function findCut(zone: Zone, key: string, qtype: number): ZoneNode | undefined {
  const depth = key.length - zone.key.length;
  if (depth === 0) return undefined;
  const starts: number[] = [];
  for (let i = 0; i < depth; i += key.charCodeAt(i) + 1) starts.push(i);
  for (let j = starts.length - 1; j >= 0; j--) {
    const node = zone.nodes.get(key.slice(starts[j]));
    // Empty non-terminals exist as nodes, so a missing ancestor means nothing is below it.
    if (node === undefined) return undefined;
    if (node.delegation && !(j === 0 && qtype === TYPE.DS)) return node;
  }
  return undefined;
}

/** RFC 4592 §3.3.1: the source of synthesis is `*.` under the closest encloser. */
function findWildcard(zone: Zone, key: string): ZoneNode | undefined {
  let encloser = key;
  do {
    encloser = encloser.slice(encloser.charCodeAt(0) + 1);
  } while (!zone.nodes.has(encloser));
  return zone.nodes.get(WILDCARD_LABEL + encloser);
}

function soaOf(zone: Zone): RRset {
  return zone.apex.rrsets.get(TYPE.SOA)!;
}

function addNegative(plan: AnswerPlan, zone: Zone): void {
  add(plan, plan.authority, { owner: zone.apex.wire, rrset: soaOf(zone), ttl: zone.negativeTtl });
  // Without its SOA a negative answer cannot be cached (RFC 2308 §5).
  plan.authorityRequired = true;
}

function addReferral(plan: AnswerPlan, zone: Zone, cut: ZoneNode): void {
  // A referral reached through an in-zone CNAME keeps AA for the part we own.
  if (plan.answer.length === 0) plan.authoritative = false;
  const ns = cut.rrsets.get(TYPE.NS)!;
  add(plan, plan.authority, { owner: cut.wire, rrset: ns });
  plan.authorityRequired = true;
  plan.glueRequired = addTargetAddresses(plan, zone, ns, cut.key);
}

/** NSD's default (no minimal-responses): the apex NS set in authority, with its addresses. */
function addPositiveExtras(plan: AnswerPlan, zone: Zone): void {
  const last = plan.answer[plan.answer.length - 1].rrset;
  const apexNs = zone.apex.rrsets.get(TYPE.NS)!;
  for (const entry of plan.answer) addTargetAddresses(plan, zone, entry.rrset);
  if (last !== apexNs) {
    add(plan, plan.authority, { owner: zone.apex.wire, rrset: apexNs });
    addTargetAddresses(plan, zone, apexNs);
  }
}

/**
 * Adds the A and AAAA sets of in-zone NS, MX and SRV targets to additional,
 * each once and none already in the answer. Returns whether any of them lies at
 * or below `glueBelow` (in-domain glue).
 */
function addTargetAddresses(plan: AnswerPlan, zone: Zone, rrset: RRset, glueBelow?: string): boolean {
  if (rrset.type !== TYPE.NS && rrset.type !== TYPE.MX && rrset.type !== TYPE.SRV) return false;
  const present = (addresses: RRset): boolean => plan.additional.some((entry) => entry.rrset === addresses) || plan.answer.some((entry) => entry.rrset === addresses);
  let inDomainGlue = false;
  for (const target of rrset.targets!) {
    if (!isAtOrBelow(target, zone.key)) continue;
    const node = zone.nodes.get(target);
    if (node === undefined) continue;
    for (const type of ADDRESS_TYPES) {
      const addresses = node.rrsets.get(type);
      if (addresses === undefined || present(addresses)) continue;
      add(plan, plan.additional, { owner: node.wire, rrset: addresses });
      if (glueBelow !== undefined && isAtOrBelow(target, glueBelow)) inDomainGlue = true;
    }
  }
  return inDomainGlue;
}
