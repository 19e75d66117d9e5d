// The staleness ledger on the real query path (handler, overlay, tap) with an
// injected clock, so that bounds, curves and re-query classes are exact.

import { documentsOf } from '../../src/health/store.js';
import dnsPacket from 'dns-packet';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../src/health/model.js';
import { Ledger } from '../../src/measure/ledger/ledger.js';
import type { LedgerReport } from '../../src/measure/ledger/report.js';
import { buildView } from '../../src/measure/ledger/view.js';
import { QueryStats, UDP } from '../../src/metrics/query-stats.js';
import { PoolOverlay } from '../../src/pools/overlay.js';
import { parsePoolSpec } from '../../src/pools/spec.js';
import { QueryHandler } from '../../src/server/handler.js';
import { type PoolServed, type ServingTap, tapChange } from '../../src/server/tap.js';
import { RULES_FILES, zoneSetOf } from '../helpers/zones.js';

const T0 = 1_700_000_000_000;
const KEY = 'app.example.test./A';

function node(id: string, health: 'up' | 'down', generation: number): NodeRecord {
  return { spec: { id, intervalMs: 100, fall: 3, rise: 2, tokenHash: '0'.repeat(64) }, state: { health, streak: 0, admin: 'none', generation, changedAt: generation } };
}

function setup(options: { capacity?: number; watchMs?: number; flipsKept?: number; tap?: ServingTap } = {}) {
  const clock = { now: T0 };
  const ledger = new Ledger({ capacity: options.capacity ?? 100, flipsKept: options.flipsKept ?? 10, watchMs: options.watchMs ?? 60_000, now: () => clock.now });
  const tap = options.tap ?? ledger;
  const handler = new QueryHandler(zoneSetOf(RULES_FILES), { identity: { id: 't' }, ednsPayload: 1232, cacheEntries: 1000, queryLogSample: 0, tap }, new QueryStats());
  const overlay = new PoolOverlay(handler, pino({ level: 'silent' }), (change) => tap.answerChanged(tapChange(change)));
  overlay.setStaticZones(handler.zoneSet);
  overlay.setFilePools([
    parsePoolSpec({
      name: 'app.example.test',
      type: 'A',
      policy: 'failover',
      ttl: 5,
      members: [
        { id: 'web1', value: '192.0.2.101', priority: 0 },
        { id: 'web2', value: '192.0.2.102', priority: 1 },
      ],
    }),
  ]);
  overlay.applySnapshot({ generation: 1, now: 0, nodes: [node('web1', 'up', 1), node('web2', 'up', 1)], documents: documentsOf() });
  let generation = 1;
  const setHealth = (id: string, health: 'up' | 'down') => overlay.applyEvent({ kind: 'node', generation: ++generation, record: node(id, health, generation), decidedAt: 0 });
  /** `source` asks for `name` at `at` ms after T0. */
  const ask = (source: string, at: number, name = 'app.example.test') => {
    clock.now = T0 + at;
    handler.handle(dnsPacket.encode({ id: 1, type: 'query', questions: [{ name, type: 'A' }] }), UDP, 0, source);
  };
  const at = (ms: number) => (clock.now = T0 + ms);
  const view = () => buildView('test', [ledger.report()]);
  return { ledger, ask, at, setHealth, view };
}

describe('staleness ledger', () => {
  it('bounds each resolver\'s stale window at a flip, draws the curve, and classifies re-queries', () => {
    const { ask, at, setHealth, view } = setup();
    ask('127.0.0.5', -2000); // expired before the flip: not stale
    ask('127.0.0.2', 0);
    ask('127.0.0.3', 2000);
    ask('127.0.0.4', 4000);
    ask('127.0.0.6', 4500);
    at(5000);
    setHealth('web1', 'down');

    ask('127.0.0.3', 5200); // 1.8 s before its copy expired: early
    ask('127.0.0.2', 5500); // 0.5 s after: on time
    ask('127.0.0.4', 13_000); // 4 s after: late
    at(20_000);
    const flip = view().pools[0].flips[0];
    expect(flip).toMatchObject({ at: T0 + 5000, from: 2, to: 3, previous: ['192.0.2.101'], values: ['192.0.2.102'], ttl: 5, staleResolvers: 4, lastBound: T0 + 10_500 });
    expect(flip.resolvers.map((w) => [w.resolver, w.lastServed - T0, w.bound - T0, w.class])).toEqual([
      ['127.0.0.6', 4500, 10_500, 'watching'],
      ['127.0.0.4', 4000, 10_000, 'late'],
      ['127.0.0.3', 2000, 8000, 'early'],
      ['127.0.0.2', 0, 6000, 'on-time'],
    ]);
    expect(flip.resolvers.find((w) => w.resolver === '127.0.0.3')!.requery).toEqual({ at: T0 + 5200, delayMs: -1800 });
    expect(flip.curve).toEqual([[0, 4], [1, 3], [3, 2], [5, 1], [5.5, 0]]);
    expect(flip.classes).toEqual({ early: 1, 'on-time': 1, late: 1, watching: 1, none: 0 });
    expect(flip.possiblyStaleNow).toBe(0);
  });

  it('counts a resolver possibly stale until its bound, and one that never asks again as none once the watch ends', () => {
    const { ask, at, setHealth, view } = setup({ watchMs: 30_000 });
    ask('127.0.0.2', 0);
    ask('127.0.0.3', 4000);
    at(5000);
    setHealth('web1', 'down');
    at(5999);
    expect(view().pools[0].flips[0].possiblyStaleNow).toBe(2);
    at(6000);
    expect(view().pools[0].flips[0].possiblyStaleNow).toBe(1);
    at(35_001);
    expect(view().pools[0].flips[0].classes).toMatchObject({ none: 2, watching: 0 });
    ask('127.0.0.2', 36_000); // after the watch: not a re-query any more
    expect(view().pools[0].flips[0].classes).toMatchObject({ none: 2 });
  });

  it('does not count a copy whose values equal the new answer (a flap back)', () => {
    const { ask, at, setHealth, view } = setup();
    ask('127.0.0.2', 0); // holds web1's address
    at(100);
    setHealth('web1', 'down');
    ask('127.0.0.3', 200); // holds web2's address
    at(300);
    setHealth('web1', 'up');
    const [back, away] = view().pools[0].flips;
    expect(away.resolvers.map((w) => w.resolver)).toEqual(['127.0.0.2']);
    expect(back.resolvers.map((w) => w.resolver)).toEqual(['127.0.0.3']);
    expect(back).toMatchObject({ from: 3, to: 4, values: ['192.0.2.101'] });
  });

  it('costs static answers nothing: the tap is never called for them', () => {
    const calls: Array<readonly PoolServed[]> = [];
    const { ask } = setup({ tap: { served: (_source, pools) => calls.push(pools), answerChanged: () => {}, report: () => ({}) } });
    ask('127.0.0.2', 0, 'www.example.test');
    ask('127.0.0.2', 1, 'www.example.test');
    ask('127.0.0.2', 2);
    expect(calls).toEqual([[{ key: KEY, version: 2, ttl: 5 }]]);
  });

  it('evicts the resolver first seen longest ago when full, and counts it', () => {
    const { ask, ledger } = setup({ capacity: 2 });
    ask('127.0.0.2', 0);
    ask('127.0.0.3', 1);
    ask('127.0.0.2', 2);
    ask('127.0.0.4', 3);
    const report = ledger.report();
    expect(report).toMatchObject({ tracked: 2, evictions: 1 });
    expect(report.pools[0].resolvers).toBe(2);
  });

  it('keeps the last flips of each pool only', () => {
    const { at, setHealth, view } = setup({ flipsKept: 2 });
    for (let i = 1; i <= 5; i++) {
      at(i * 100);
      setHealth('web1', i % 2 === 1 ? 'down' : 'up');
    }
    expect(view().pools[0].flips.map((flip) => flip.to)).toEqual([7, 6]);
  });
});

describe('staleness view over several workers', () => {
  const flip = { at: T0, from: 1, to: 2, previous: ['a'], values: ['b'], ttl: 5, watchUntil: T0 + 60_000 };
  const report = (stale: LedgerReport['pools'][0]['flips'][0]['stale'], requeries: Array<[string, number]>, at = T0): LedgerReport => ({
    now: T0 + 20_000,
    capacity: 100,
    tracked: stale.length,
    entries: stale.length,
    evictions: 1,
    requeriesDropped: 0,
    watchMs: 60_000,
    pools: [{ key: KEY, name: 'app.example.test.', type: 'A', version: 2, values: ['b'], resolvers: stale.length, flips: [{ ...flip, at, stale, requeries }] }],
  });

  it('counts a resolver seen by several workers once, with the latest bound and the earliest re-query', () => {
    const a = report([['127.0.0.2', T0 - 4000, 5, 1], ['127.0.0.3', T0 - 1000, 5, 1]], [['127.0.0.2', T0 + 9000]]);
    const b = report([['127.0.0.2', T0 - 2000, 5, 1]], [['127.0.0.2', T0 + 3500], ['127.0.0.3', T0 + 4200]], T0 + 3);
    const view = buildView('merged', [a, b]);
    expect(view).toMatchObject({ processes: 2, tracked: 3, evictions: 2 });
    const merged = view.pools[0].flips[0];
    expect(merged.at).toBe(T0);
    expect(merged.resolvers.map((w) => [w.resolver, w.bound - T0, w.requery!.at - T0, w.class])).toEqual([
      ['127.0.0.3', 5000, 4200, 'on-time'],
      ['127.0.0.2', 4000, 3500, 'on-time'],
    ]);
  });
});
