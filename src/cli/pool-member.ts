// `--member id=web1,node=web1,value=192.0.2.1,weight=2,priority=0`

import { InvalidArgumentError } from 'commander';
import type { PoolMember } from '../pools/model.js';

export type MemberArg = Pick<PoolMember, 'id' | 'node' | 'value'> & Partial<Pick<PoolMember, 'weight' | 'priority'>>;

const TEXT_KEYS = ['id', 'node', 'value'] as const;
const NUMBER_KEYS = ['weight', 'priority'] as const;

/** Only what is written goes to the server, so its defaults for weight and priority apply. */
export function parseMember(spec: string): MemberArg {
  const fields: Record<string, string> = {};
  for (const pair of spec.split(',')) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at);
    if (at < 1 || ![...TEXT_KEYS, ...NUMBER_KEYS].includes(key as never)) {
      throw new InvalidArgumentError(`expected id=ID,node=NODE,value=VALUE[,weight=W][,priority=P], got ${JSON.stringify(pair)}`);
    }
    if (key in fields) throw new InvalidArgumentError(`${key} given twice`);
    fields[key] = pair.slice(at + 1);
  }
  const missing = TEXT_KEYS.filter((key) => !fields[key]);
  if (missing.length > 0) throw new InvalidArgumentError(`missing ${missing.join(', ')}`);
  const member: MemberArg = { id: fields.id, node: fields.node, value: fields.value };
  for (const key of NUMBER_KEYS) {
    if (fields[key] === undefined) continue;
    if (!/^\d+$/.test(fields[key])) throw new InvalidArgumentError(`${key} must be a whole number`);
    member[key] = Number(fields[key]);
  }
  return member;
}

export function collectMember(spec: string, previous: MemberArg[] | undefined): MemberArg[] {
  return [...(previous ?? []), parseMember(spec)];
}
