import { describe, expect, it } from 'vitest';
import type { PoolSpec } from '../../src/pools/model.js';
import { type MemberView, selectPool } from '../../src/pools/select.js';
import { parsePoolSpec } from '../../src/pools/spec.js';

function pool(overrides: Record<string, unknown> = {}): PoolSpec {
  return parsePoolSpec({
    name: 'app.example.test',
    type: 'A',
    policy: 'failover',
    members: [
      { id: 'primary', value: '192.0.2.1', priority: 0 },
      { id: 'backup', value: '192.0.2.2', priority: 1 },
      { id: 'backup2', value: '192.0.2.3', priority: 1 },
    ],
    ...overrides,
  });
}

function views(spec: PoolSpec, state: Record<string, Partial<MemberView>>): MemberView[] {
  return spec.members.map((member) => ({ member, available: true, held: false, adminOut: false, unknown: false, ...state[member.id] }));
}

describe('selectPool: failover', () => {
  it('answers the available members of the best priority level', () => {
    const spec = pool();
    expect(selectPool(spec, views(spec, {})).variants).toEqual([['192.0.2.1']]);
    expect(selectPool(spec, views(spec, { primary: { available: false } })).variants).toEqual([['192.0.2.2', '192.0.2.3']]);
    expect(selectPool(spec, views(spec, { primary: { available: false }, backup: { available: false } })).variants).toEqual([['192.0.2.3']]);
  });

  it('keeps a held member out while another is available, and uses it when none is', () => {
    const spec = pool();
    expect(selectPool(spec, views(spec, { primary: { held: true } })).variants).toEqual([['192.0.2.2', '192.0.2.3']]);
    const onlyHeld = views(spec, { primary: { held: true }, backup: { available: false }, backup2: { available: false } });
    expect(selectPool(spec, onlyHeld)).toMatchObject({ variants: [['192.0.2.1']], allDown: false });
  });

  it('says which members the answer was chosen among: a held member is not one while another is available', () => {
    const spec = pool();
    expect(selectPool(spec, views(spec, { primary: { held: true } })).eligible).toEqual(['backup', 'backup2']);
    expect(selectPool(spec, views(spec, { primary: { held: true }, backup: { available: false }, backup2: { available: false } })).eligible).toEqual(['primary']);
  });
});

describe('selectPool: all members down', () => {
  const allDown = (spec: PoolSpec, extra: Record<string, Partial<MemberView>> = {}) =>
    views(spec, { primary: { available: false, downSince: 100, ...extra.primary }, backup: { available: false, downSince: 300 }, backup2: { available: false, downSince: 200 } });

  it('all: fails open, as if every member were up, except those an operator took out', () => {
    expect(selectPool(pool(), allDown(pool()))).toMatchObject({ variants: [['192.0.2.1']], allDown: true, outcome: 'answer' });
    expect(selectPool(pool(), allDown(pool(), { primary: { adminOut: true } })).variants).toEqual([['192.0.2.2', '192.0.2.3']]);
  });

  it('answers NODATA when an operator took every member out (drain or force down), whatever allDown says', () => {
    for (const allDownRule of ['all', 'last-known', 'servfail']) {
      const spec = pool({ allDown: allDownRule });
      const out = spec.members.map((member) => ({ member, available: false, held: false, adminOut: true, unknown: false }));
      expect(selectPool(spec, out)).toEqual({ variants: [[]], allDown: true, allDownCause: 'operator', outcome: 'nodata', eligible: [] });
    }
  });

  it('with startup assume-down, answers SERVFAIL while no member is known yet, not the fail-open answer', () => {
    const spec = pool({ startup: 'assume-down' });
    const unknown = spec.members.map((member) => ({ member, available: false, held: false, adminOut: false, unknown: true }));
    expect(selectPool(spec, unknown)).toMatchObject({ variants: [[]], allDown: true, allDownCause: 'unknown', outcome: 'servfail' });
    // Once each member is known (down here), the allDown rule decides again.
    expect(selectPool(spec, allDown(spec))).toMatchObject({ variants: [['192.0.2.1']], allDownCause: 'down', outcome: 'answer' });
  });

  it('last-known: the members that went down last', () => {
    const spec = pool({ allDown: 'last-known' });
    expect(selectPool(spec, allDown(spec)).variants).toEqual([['192.0.2.2']]);
  });

  it('fallback, nodata and servfail', () => {
    const fallback = pool({ allDown: 'fallback', fallback: ['198.51.100.99'] });
    expect(selectPool(fallback, allDown(fallback))).toMatchObject({ variants: [['198.51.100.99']], outcome: 'answer' });
    expect(selectPool(pool({ allDown: 'nodata' }), allDown(pool()))).toMatchObject({ outcome: 'nodata', allDown: true });
    expect(selectPool(pool({ allDown: 'servfail' }), allDown(pool()))).toMatchObject({ outcome: 'servfail', allDown: true });
  });
});

describe('selectPool: multivalue and weighted', () => {
  it('multivalue rotates the available members, up to the limit', () => {
    const spec = pool({ policy: 'multivalue', limit: 2 });
    expect(selectPool(spec, views(spec, {})).variants).toEqual([
      ['192.0.2.1', '192.0.2.2'],
      ['192.0.2.2', '192.0.2.3'],
      ['192.0.2.3', '192.0.2.1'],
    ]);
    expect(selectPool(spec, views(spec, { backup: { available: false } })).variants).toEqual([
      ['192.0.2.1', '192.0.2.3'],
      ['192.0.2.3', '192.0.2.1'],
    ]);
  });

  it('weighted gives each available member a variant and a cumulative weight', () => {
    const spec = parsePoolSpec({
      name: 'w.example.test',
      type: 'A',
      policy: 'weighted',
      members: [
        { id: 'a', value: '192.0.2.1', weight: 3 },
        { id: 'b', value: '192.0.2.2', weight: 1 },
        { id: 'c', value: '192.0.2.3', weight: 0 },
      ],
    });
    expect(selectPool(spec, views(spec, {}))).toMatchObject({ variants: [['192.0.2.1'], ['192.0.2.2']], cumulativeWeights: [3, 4] });
    expect(selectPool(spec, views(spec, { a: { available: false } }))).toMatchObject({ variants: [['192.0.2.2']] });
  });
});

describe('parsePoolSpec', () => {
  it('fills defaults: TTL 5, fail open, assume-up, automatic failback', () => {
    expect(pool()).toMatchObject({ name: 'app.example.test.', ttl: 5, allDown: 'all', startup: 'assume-up', failback: 'auto', limit: 8 });
  });

  it('says what is wrong, and where', () => {
    expect(() => pool({ policy: 'random' })).toThrow('pool app.example.test.: policy: must be one of failover, multivalue, weighted');
    expect(() => pool({ members: [{ id: 'x', value: '300.1.1.1' }] })).toThrow('members[0]: value: must be an IPv4 address');
    expect(() => pool({ allDown: 'fallback' })).toThrow('allDown "fallback" needs fallback values');
    expect(() => pool({ colour: 'red' })).toThrow('unknown field "colour"');
    expect(() => pool({ members: [{ id: 'x', value: '192.0.2.1' }, { id: 'x', value: '192.0.2.2' }] })).toThrow('member id "x" is used twice');
  });
});
