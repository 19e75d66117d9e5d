import dnsPacket from 'dns-packet';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { NodeRecord } from '../../src/health/model.js';
import { type PoolSpec, poolKey } from '../../src/pools/model.js';
import { type StoreSnapshot, documentsOf } from '../../src/health/store.js';
import { QueryStats, UDP } from '../../src/metrics/query-stats.js';
import { PoolOverlay } from '../../src/pools/overlay.js';
import { parsePoolSpec } from '../../src/pools/spec.js';
import { QueryHandler } from '../../src/server/handler.js';
import { RULES_FILES, zoneSetOf } from '../helpers/zones.js';

const APP = parsePoolSpec({
  name: 'app.example.test',
  type: 'A',
  policy: 'failover',
  members: [
    { id: 'web1', value: '192.0.2.101', priority: 0 },
    { id: 'web2', value: '192.0.2.102', priority: 1 },
  ],
});

function node(id: string, health: 'up' | 'down' | 'unknown', generation = 1): NodeRecord {
  return { spec: { id, intervalMs: 100, fall: 3, rise: 2, tokenHash: '0'.repeat(64) }, state: { health, streak: 0, admin: 'none', generation, changedAt: generation } };
}

function snapshot(nodes: NodeRecord[], pools: PoolSpec[] = []): StoreSnapshot {
  return { generation: 1, now: 0, nodes, documents: documentsOf({ pools: Object.fromEntries(pools.map((pool) => [poolKey(pool), pool])) }) };
}

function setup(pools: PoolSpec[] = [APP], now?: () => number) {
  const stats = new QueryStats();
  const handler = new QueryHandler(zoneSetOf(RULES_FILES), { identity: { id: 't' }, ednsPayload: 1232, cacheEntries: 1000, queryLogSample: 0 }, stats);
  const invalidated: string[] = [];
  const target = { setZones: (z: Parameters<QueryHandler['setZones']>[0]) => handler.setZones(z), invalidatePool: (key: string) => (invalidated.push(key), handler.invalidatePool(key)) };
  const overlay = new PoolOverlay(target, pino({ level: 'silent' }), undefined, now);
  overlay.setStaticZones(handler.zoneSet);
  overlay.setFilePools(pools);
  const ask = (name: string, type: dnsPacket.RecordType = 'A') => {
    const raw = handler.handle(dnsPacket.encode({ id: 1, type: 'query', questions: [{ name, type }] }), UDP, 0)!;
    return dnsPacket.decode(raw) as dnsPacket.DecodedPacket & { rcode: string };
  };
  const addresses = (name = 'app.example.test') => ask(name).answers!.filter((a) => a.type === 'A').map((a) => (a as { data: string }).data);
  return { handler, overlay, invalidated, ask, addresses, stats };
}

describe('PoolOverlay', () => {
  it('answers a pool name from its members, with the pool TTL, authoritatively', () => {
    const { overlay, ask, addresses } = setup();
    overlay.applySnapshot(snapshot([node('web1', 'up'), node('web2', 'up')]));
    expect(addresses()).toEqual(['192.0.2.101']);
    expect(ask('app.example.test')).toMatchObject({ flag_aa: true, answers: [{ name: 'app.example.test', ttl: 5 }] });
    expect(ask('app.example.test', 'AAAA')).toMatchObject({ rcode: 'NOERROR', answers: [] });
  });

  it('flips at once when the primary goes down, dropping only the answers built from the pool', () => {
    const { overlay, addresses, invalidated, handler } = setup();
    overlay.applySnapshot(snapshot([node('web1', 'up'), node('web2', 'up')]));
    addresses();
    addresses('www.example.test');
    expect(handler.cache.size).toBe(2);
    overlay.applyEvent({ kind: 'node', generation: 2, record: node('web1', 'down', 2), decidedAt: 0 });
    expect(invalidated).toEqual(['app.example.test./A']);
    expect(handler.cache.size).toBe(1);
    expect(addresses()).toEqual(['192.0.2.102']);
  });

  it('leaves the cache alone when a change does not change the answer', () => {
    const { overlay, addresses, invalidated } = setup();
    overlay.applySnapshot(snapshot([node('web1', 'up'), node('web2', 'up')]));
    addresses();
    overlay.applyEvent({ kind: 'node', generation: 2, record: node('web2', 'down', 2), decidedAt: 0 });
    expect(invalidated).toEqual([]);
  });

  it('follows a CNAME into a pool, and drops that answer too when the pool flips', () => {
    const alias = parsePoolSpec({ name: 'alias-to-app.example.test', type: 'CNAME', policy: 'failover', members: [{ id: 'a', node: 'web1', value: 'app.example.test.' }] });
    const { overlay, ask } = setup([APP, alias]);
    overlay.applySnapshot(snapshot([node('web1', 'up'), node('web2', 'up')]));
    expect(ask('alias-to-app.example.test').answers!.map((a) => (a as { data: unknown }).data)).toEqual(['app.example.test', '192.0.2.101']);
    overlay.applyEvent({ kind: 'node', generation: 2, record: node('web1', 'down', 2), decidedAt: 0 });
    // The CNAME pool fails open (its one member is down), the A pool moves to web2.
    expect(ask('alias-to-app.example.test').answers!.map((a) => (a as { data: unknown }).data)).toEqual(['app.example.test', '192.0.2.102']);
  });

  it('treats unknown members by the startup rule', () => {
    const cautious = parsePoolSpec({ ...APP, startup: 'assume-down' });
    const { overlay, addresses } = setup([cautious]);
    overlay.applySnapshot(snapshot([node('web1', 'unknown'), node('web2', 'up')]));
    expect(addresses()).toEqual(['192.0.2.102']);
  });

  it('answers SERVFAIL or NODATA when all are down and the pool says so', () => {
    const { overlay, ask } = setup([parsePoolSpec({ ...APP, allDown: 'servfail' })]);
    overlay.applySnapshot(snapshot([node('web1', 'down'), node('web2', 'down')]));
    expect(ask('app.example.test').rcode).toBe('SERVFAIL');
    const nodata = setup([parsePoolSpec({ ...APP, allDown: 'nodata' })]);
    nodata.overlay.applySnapshot(snapshot([node('web1', 'down'), node('web2', 'down')]));
    expect(nodata.ask('app.example.test')).toMatchObject({ rcode: 'NOERROR', answers: [], authorities: [{ type: 'SOA' }] });
  });

  it('rotates multivalue answers per query from precompiled variants', () => {
    const multi = parsePoolSpec({ ...APP, name: 'multi.example.test', policy: 'multivalue', limit: 1 });
    const { overlay, addresses, stats } = setup([multi]);
    overlay.applySnapshot(snapshot([node('web1', 'up'), node('web2', 'up')]));
    const seen = Array.from({ length: 4 }, () => addresses('multi.example.test')[0]);
    expect(new Set(seen)).toEqual(new Set(['192.0.2.101', '192.0.2.102']));
    expect(stats.cacheMisses).toBe(1);
  });

  it('prefers a pool set at run time over the file\'s of the same name and type', () => {
    const { overlay, addresses } = setup();
    const runtime = parsePoolSpec({ ...APP, members: [{ id: 'web3', value: '192.0.2.103' }] });
    overlay.applySnapshot(snapshot([node('web1', 'up')], [runtime]));
    expect(addresses()).toEqual(['192.0.2.103']);
  });

  it('refuses pools it cannot place, and keeps serving the rest', () => {
    const outside = parsePoolSpec({ ...APP, name: 'app.nowhere.example' });
    const belowCut = parsePoolSpec({ ...APP, name: 'x.sub.example.test' });
    const onCname = parsePoolSpec({ ...APP, name: 'alias.example.test' });
    const { overlay, addresses } = setup([APP, outside, belowCut, onCname]);
    overlay.applySnapshot(snapshot([node('web1', 'up')]));
    expect(overlay.problems).toEqual([
      'pool A: app.nowhere.example. is in no zone served here (zones: example.test., other.test.)',
      'pool A: x.sub.example.test. lies below the zone cut at sub.example.test.',
      'pool A: alias.example.test. has a CNAME, which stands alone at its name',
    ]);
    expect(addresses()).toEqual(['192.0.2.101']);
  });

  it('creates the empty non-terminals above a new pool name, which then blocks wildcards there', () => {
    const deep = parsePoolSpec({ ...APP, name: 'a.b.wild.example.test' });
    const { overlay, ask } = setup([deep]);
    overlay.applySnapshot(snapshot([node('web1', 'up')]));
    expect(ask('b.wild.example.test')).toMatchObject({ rcode: 'NOERROR', answers: [] });
    expect(ask('other.wild.example.test').answers).toHaveLength(1);
  });

  it('adaptive TTL: short while a member in the answer is late, and for one TTL after a change; static pools keep theirs', () => {
    vi.useFakeTimers();
    try {
      const clock = { now: 0 };
      const adaptive = parsePoolSpec({ ...APP, ttl: 30, ttlPolicy: 'adaptive', shortTtl: 2 });
      const fixed = parsePoolSpec({ ...APP, name: 'fixed.example.test', ttl: 30 });
      const { overlay, ask } = setup([adaptive, fixed], () => clock.now);
      const ttlOf = (name = 'app.example.test') => (ask(name).answers![0] as { ttl?: number }).ttl;
      let generation = 1;
      const event = (record: NodeRecord) => overlay.applyEvent({ kind: 'node', generation: ++generation, record: { ...record, state: { ...record.state, generation } }, decidedAt: 0 });
      overlay.applySnapshot(snapshot([node('web1', 'up'), node('web2', 'up')]));
      expect(ttlOf()).toBe(30);

      // web1 (in the answer) misses beats: short TTL until it beats again.
      const late = node('web1', 'up');
      event({ ...late, state: { ...late.state, late: true } });
      expect(ttlOf()).toBe(2);
      expect(ttlOf('fixed.example.test')).toBe(30);
      event(node('web1', 'up'));
      expect(ttlOf()).toBe(30);
      // web2 (not in the answer) being late changes nothing.
      const backup = node('web2', 'up');
      event({ ...backup, state: { ...backup.state, late: true } });
      expect(ttlOf()).toBe(30);
      event(node('web2', 'up'));

      // A flip: the new answer carries the short TTL for one full TTL, then the TTL.
      clock.now = 1000;
      event(node('web1', 'down'));
      expect(ask('app.example.test').answers).toMatchObject([{ data: '192.0.2.102', ttl: 2 }]);
      clock.now = 30_999;
      vi.advanceTimersByTime(29_998);
      expect(ttlOf()).toBe(2);
      clock.now = 31_000;
      vi.advanceTimersByTime(10);
      expect(ask('app.example.test').answers).toMatchObject([{ data: '192.0.2.102', ttl: 30 }]);
    } finally {
      vi.useRealTimers();
    }
  });
});
