// Validation of pool and node definitions, from pool files and from the admin
// API alike, so both accept exactly the same thing and fill the same defaults.

import { isIPv4, isIPv6 } from 'node:net';
import { type NodeCheck, parseNodeCheck } from '../checks/model.js';
import { ID_PATTERN, type NodeSpec } from '../health/model.js';
import { ValidationError, choice, integer, list, object, onlyKeys } from '../validation/fields.js';
import { NameSyntaxError, ROOT_WIRE, nameToText, textToName } from '../zone/name.js';
import type { AllDownBehaviour, PoolMember, PoolPolicy, PoolSpec, PoolType, StartupBehaviour } from './model.js';

export const POOL_DEFAULTS = {
  ttl: 5,
  ttlPolicy: 'static',
  shortTtl: 1,
  failback: 'auto',
  allDown: 'all',
  startup: 'assume-up',
  multivalueLimit: 8,
  weightedLimit: 1,
} as const;

export const NODE_DEFAULTS = { intervalMs: 1000, fall: 3, rise: 2 } as const;

const POOL_TYPES: PoolType[] = ['A', 'AAAA', 'CNAME'];
const POLICIES: PoolPolicy[] = ['failover', 'multivalue', 'weighted'];
const ALL_DOWN: AllDownBehaviour[] = ['all', 'last-known', 'fallback', 'nodata', 'servfail'];
const STARTUP: StartupBehaviour[] = ['assume-up', 'assume-down'];

function id(value: unknown, where: string): string {
  if (typeof value !== 'string' || !ID_PATTERN.test(value)) throw new ValidationError(`${where}: must be 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  return value;
}

/** Absolute presentation form of a domain name; relative names are taken as absolute. */
export function absoluteName(value: unknown, where: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new ValidationError(`${where}: must be a domain name`);
  try {
    return nameToText(textToName(value, ROOT_WIRE));
  } catch (err) {
    if (err instanceof NameSyntaxError) throw new ValidationError(`${where}: ${err.message}`);
    throw err;
  }
}

/** An answer value of a pool of `type`, normalised. */
export function poolValue(type: PoolType, value: unknown, where: string): string {
  if (type === 'CNAME') return absoluteName(value, where);
  const valid = type === 'A' ? isIPv4 : isIPv6;
  if (typeof value !== 'string' || !valid(value)) throw new ValidationError(`${where}: must be an IPv${type === 'A' ? 4 : 6} address`);
  return value;
}

const POOL_FIELDS = ['name', 'type', 'policy', 'members', 'ttl', 'ttlPolicy', 'shortTtl', 'failback', 'limit', 'allDown', 'fallback', 'startup'];
const MEMBER_FIELDS = ['id', 'node', 'value', 'weight', 'priority'];

export function parsePoolSpec(input: unknown, where = 'pool'): PoolSpec {
  const fields = object(input, where);
  onlyKeys(fields, POOL_FIELDS, where);
  const name = absoluteName(fields.name, `${where}: name`);
  const at = `${where} ${name}`;
  const type = choice(fields.type, `${at}: type`, POOL_TYPES);
  const policy = choice(fields.policy, `${at}: policy`, POLICIES);
  if (!Array.isArray(fields.members) || fields.members.length === 0) throw new ValidationError(`${at}: members: must be a non-empty list`);
  const members = fields.members.map((member, i) => parseMember(member, type, `${at}: members[${i}]`));
  const seen = new Set<string>();
  for (const member of members) {
    if (seen.has(member.id)) throw new ValidationError(`${at}: member id "${member.id}" is used twice`);
    seen.add(member.id);
  }
  if (type === 'CNAME' && policy === 'multivalue') throw new ValidationError(`${at}: a CNAME pool answers one target: use failover or weighted`);
  const allDown = choice(fields.allDown, `${at}: allDown`, ALL_DOWN, POOL_DEFAULTS.allDown);
  const fallback = fields.fallback === undefined ? [] : list(fields.fallback, `${at}: fallback`).map((value, i) => poolValue(type, value, `${at}: fallback[${i}]`));
  if (allDown === 'fallback' && fallback.length === 0) throw new ValidationError(`${at}: allDown "fallback" needs fallback values`);
  const defaultLimit = policy === 'weighted' || type === 'CNAME' ? POOL_DEFAULTS.weightedLimit : POOL_DEFAULTS.multivalueLimit;
  const limit = integer(fields.limit, `${at}: limit`, 1, 64, defaultLimit);
  if (type === 'CNAME' && limit !== 1) throw new ValidationError(`${at}: limit: a CNAME pool answers exactly one target`);
  const ttl = integer(fields.ttl, `${at}: ttl`, 0, 86400, POOL_DEFAULTS.ttl);
  return {
    name,
    type,
    policy,
    members,
    ttl,
    ttlPolicy: choice(fields.ttlPolicy, `${at}: ttlPolicy`, ['static', 'adaptive'] as const, POOL_DEFAULTS.ttlPolicy),
    shortTtl: integer(fields.shortTtl, `${at}: shortTtl`, 0, ttl, Math.min(POOL_DEFAULTS.shortTtl, ttl)),
    failback: choice(fields.failback, `${at}: failback`, ['auto', 'manual'] as const, POOL_DEFAULTS.failback),
    limit,
    allDown,
    fallback,
    startup: choice(fields.startup, `${at}: startup`, STARTUP, POOL_DEFAULTS.startup),
  };
}

function parseMember(input: unknown, type: PoolType, where: string): PoolMember {
  const fields = object(input, where);
  onlyKeys(fields, MEMBER_FIELDS, where);
  const memberId = id(fields.id, `${where}: id`);
  return {
    id: memberId,
    node: fields.node === undefined ? memberId : id(fields.node, `${where}: node`),
    value: poolValue(type, fields.value, `${where}: value`),
    weight: integer(fields.weight, `${where}: weight`, 0, 1_000_000, 1),
    priority: integer(fields.priority, `${where}: priority`, 0, 255, 0),
  };
}

const NODE_FIELDS = ['id', 'intervalMs', 'fall', 'rise', 'tokenSha256'];

/** A node as pool files declare it: the token appears only as its SHA-256, so the file can live in git; optionally a server-side check. */
export function parseFileNode(input: unknown, where = 'node'): { spec: NodeSpec; check?: NodeCheck } {
  const { check, ...fields } = object(input, where);
  onlyKeys(fields, NODE_FIELDS, where);
  const spec = parseNodeSpec(fields, where);
  return check === undefined ? { spec } : { spec, check: parseNodeCheck(check, `${where} ${spec.id}: check`) };
}

/** A node's heartbeat contract, from a pool file or the admin API. */
export function parseNodeSpec(input: unknown, where = 'node'): NodeSpec {
  const fields = object(input, where);
  onlyKeys(fields, NODE_FIELDS, where);
  const nodeId = id(fields.id, `${where}: id`);
  const at = `${where} ${nodeId}`;
  if (typeof fields.tokenSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(fields.tokenSha256)) {
    throw new ValidationError(`${at}: tokenSha256: must be the SHA-256 of the node's token, 64 lower-case hex digits (sha256sum)`);
  }
  return {
    id: nodeId,
    intervalMs: integer(fields.intervalMs, `${at}: intervalMs`, 10, 3_600_000, NODE_DEFAULTS.intervalMs),
    fall: integer(fields.fall, `${at}: fall`, 1, 100, NODE_DEFAULTS.fall),
    rise: integer(fields.rise, `${at}: rise`, 1, 100, NODE_DEFAULTS.rise),
    tokenHash: fields.tokenSha256,
  };
}
