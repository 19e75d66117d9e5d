import { describe, expect, it } from 'vitest';
import { refusedPlan, resolve } from '../../src/answer/lookup.js';
import { KIND, KIND_NAMES, type ResponseClass, classify, nameHash } from '../../src/rrl/classify.js';
import { ROOT_WIRE, foldCase, textToName } from '../../src/zone/name.js';
import { typeFromText } from '../../src/zone/types.js';
import { RULES_FILES, zoneSetOf } from '../helpers/zones.js';

const zones = zoneSetOf(RULES_FILES);
const key = (name: string): string => foldCase(textToName(name, ROOT_WIRE));

function classOf(name: string, type = 'A'): ResponseClass {
  const qkey = key(name);
  return classify(resolve(zones, qkey, typeFromText(type)!), qkey, zones.findZone(qkey)?.key);
}

const ZONE = nameHash(key('example.test'));

describe('classify', () => {
  it('counts a positive answer per question name', () => {
    expect(classOf('www.example.test')).toEqual({ kind: KIND.answer, name: nameHash(key('www.example.test')) });
    expect(classOf('chain.example.test')).toEqual({ kind: KIND.answer, name: nameHash(key('chain.example.test')) });
    expect(classOf('mail.example.test', 'MX').name).not.toBe(classOf('www.example.test').name);
  });

  it('counts what an attacker can vary without end per zone: NXDOMAIN, NODATA, wildcard answers', () => {
    expect(classOf('nothere.example.test')).toEqual({ kind: KIND.nxdomain, name: ZONE });
    expect(classOf('random-1234.example.test')).toEqual({ kind: KIND.nxdomain, name: ZONE });
    expect(classOf('www.example.test', 'TXT')).toEqual({ kind: KIND.nodata, name: ZONE });
    expect(classOf('a.wild.example.test')).toEqual({ kind: KIND.wildcard, name: ZONE });
    expect(classOf('zzz.wild.example.test')).toEqual({ kind: KIND.wildcard, name: ZONE });
    expect(classOf('nothere.other.test')).toEqual({ kind: KIND.nxdomain, name: nameHash(key('other.test')) });
  });

  it('counts referrals per zone cut', () => {
    const referral = classOf('host.sub.example.test');
    expect(referral.kind).toBe(KIND.referral);
    expect(classOf('deeper.host.sub.example.test')).toEqual(referral);
  });

  it('counts refusals and other errors as errors, per zone or none', () => {
    expect(classOf('www.example.com')).toEqual({ kind: KIND.error, name: 0 });
    expect(classify(refusedPlan(), key('anything.example.org'), undefined)).toEqual({ kind: KIND.error, name: 0 });
    expect(KIND_NAMES[KIND.referral]).toBe('referral');
  });
});
