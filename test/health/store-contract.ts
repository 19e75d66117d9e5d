// The behaviour every HealthStore must have, written once and run against each
// implementation (redis-store.test.ts, embedded-store.test.ts). Waits are long
// enough for a busy machine: a check that something did NOT happen yet always
// has seconds of margin; only "it happened after the deadline" uses short waits.

import { afterEach, expect, it } from 'vitest';
import type { NodeRecord } from '../../src/health/model.js';
import { type HealthStore, type StoreEvent, documentsOf } from '../../src/health/store.js';
import { beat, generationOf, nodeSpec, recordEvents, sampleRecord, samplePool, sleep, tokenHash } from './kit.js';

export interface StoreUnderTest {
  /** A store with no state, started. */
  store: HealthStore;
  /** Another handle on the same state, as a second instance would open it. */
  peer(): Promise<HealthStore>;
}

function nodeIn(records: NodeRecord[], id: string): NodeRecord {
  const found = records.find((r) => r.spec.id === id);
  if (!found) throw new Error(`node ${id} not in the snapshot`);
  return found;
}

function nodeEvents(events: StoreEvent[]) {
  return events.filter((e): e is Extract<StoreEvent, { kind: 'node' }> => e.kind === 'node');
}

/** An event without its generation and time, to compare with what was written. */
function unstamped(event: StoreEvent): object {
  const { generation: _generation, decidedAt: _decidedAt, ...rest } = event as StoreEvent & { generation?: number; decidedAt?: number };
  return rest;
}

export function defineStoreContract(open: () => Promise<StoreUnderTest>): void {
  const opened: HealthStore[] = [];

  async function fresh(): Promise<StoreUnderTest> {
    const underTest = await open();
    opened.push(underTest.store);
    return {
      store: underTest.store,
      peer: async () => {
        const peer = await underTest.peer();
        opened.push(peer);
        return peer;
      },
    };
  }

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((store) => store.close()));
  });

  it('gives every change the next generation and publishes it in order', async () => {
    const { store } = await fresh();
    const log = recordEvents(store);
    const start = (await store.snapshot()).generation;

    await store.putNode(nodeSpec('a'));
    await store.putNode(nodeSpec('b'));
    await store.setAdmin('a', 'drain', 'maintenance', 'alice');
    await beat(store, 'a');
    await store.putDocument('pools', 'app.example.test./A', samplePool('app.example.test.'));
    await store.putDocument('held', 'app.example.test./A', ['web1']);
    await store.putDocument('records', 'txt.example.test./TXT', sampleRecord('txt.example.test.'));
    await store.removeDocument('records', 'txt.example.test./TXT');
    await store.removeDocument('pools', 'app.example.test./A');
    await store.removeNode('b');

    const events = await log.atLeast(10);
    expect(events.map((e) => e.kind)).toEqual(['node', 'node', 'node', 'node', 'document', 'document', 'document', 'document', 'document', 'node-removed']);
    expect(events.map(generationOf)).toEqual(Array.from({ length: 10 }, (_, i) => start + 1 + i));
    for (const event of nodeEvents(events)) expect(event.record.state.generation).toBe(event.generation);
    const decided = events.map((e) => ('decidedAt' in e ? e.decidedAt : NaN));
    expect(decided).toEqual([...decided].sort((x, y) => x - y));
    expect((await store.snapshot()).generation).toBe(start + 10);
  });

  it('publishes nothing and keeps the generation for writes that change nothing', async () => {
    const { store } = await fresh();
    const log = recordEvents(store);
    await store.putNode(nodeSpec('a'));
    await store.setAdmin('a', 'drain', 'why', 'who');
    await store.putDocument('pools', 'app.example.test./A', samplePool('app.example.test.'));
    await store.putDocument('held', 'app.example.test./A', ['web1']);
    await store.putDocument('records', 'txt.example.test./TXT', sampleRecord('txt.example.test.'));
    await log.checkpoint();
    const before = (await store.snapshot()).generation;

    await store.putNode(nodeSpec('a'));
    await store.setAdmin('a', 'drain', 'why', 'who');
    await store.putDocument('pools', 'app.example.test./A', samplePool('app.example.test.'));
    await store.putDocument('held', 'app.example.test./A', ['web1']);
    await store.putDocument('records', 'txt.example.test./TXT', sampleRecord('txt.example.test.'));
    expect(await store.removeNode('missing')).toBe(false);
    expect(await store.removeDocument('pools', 'missing.example.test./A')).toBe(false);
    expect(await store.removeDocument('held', 'other.example.test./A')).toBe(false);
    expect(await store.removeDocument('records', 'missing.example.test./TXT')).toBe(false);
    expect(await store.setAdmin('missing', 'drain', '', '')).toBeUndefined();

    expect((await store.snapshot()).generation).toBe(before);
    expect(await log.settled()).toEqual([]);
  });

  it('adds a node as unknown with a deadline fall × interval away, and keeps its state when the spec changes', async () => {
    const { store } = await fresh();
    const t0 = await store.now();
    const added = await store.putNode(nodeSpec('a', { intervalMs: 1000, fall: 3 }));
    const t1 = await store.now();
    expect(added.state).toMatchObject({ health: 'unknown', streak: 0, admin: 'none' });
    expect(added.state.lastBeatAt).toBeUndefined();
    expect(added.state.deadlineAt).toBeGreaterThanOrEqual(t0 + 3000);
    expect(added.state.deadlineAt).toBeLessThanOrEqual(t1 + 3000);

    const up = await beat(store, 'a');
    if (up.status !== 'ok') throw new Error(up.status);
    const changed = await store.putNode(nodeSpec('a', { intervalMs: 2000, fall: 4 }));
    expect(changed.spec).toEqual(nodeSpec('a', { intervalMs: 2000, fall: 4 }));
    expect(changed.state.health).toBe('up');
    expect(changed.state.changedAt).toBe(up.record.state.changedAt);
    expect(changed.state.deadlineAt).toBe(up.record.state.lastBeatAt! + 8000);
  });

  it('removes a node everywhere', async () => {
    const { store } = await fresh();
    const log = recordEvents(store);
    await store.putNode(nodeSpec('gone', { intervalMs: 50, fall: 1 }));
    expect(await store.removeNode('gone')).toBe(true);
    const events = await log.atLeast(2);
    expect(events[1]).toMatchObject({ kind: 'node-removed', id: 'gone' });
    expect((await store.snapshot()).nodes).toEqual([]);
    expect(await beat(store, 'gone')).toEqual({ status: 'unknown-node' });
    await sleep(150);
    expect((await store.sweep()).downed).toEqual([]);
  });

  it("accepts a heartbeat only with the node's own token, and a refused one changes nothing", async () => {
    const { store } = await fresh();
    await store.putNode(nodeSpec('a'));
    await store.putNode(nodeSpec('b'));
    const before = await store.snapshot();

    expect(await store.heartbeat('a', tokenHash('wrong'))).toEqual({ status: 'bad-token' });
    expect(await store.heartbeat('a', tokenHash('token-b'))).toEqual({ status: 'bad-token' });
    expect(await store.heartbeat('a', 'token-a')).toEqual({ status: 'bad-token' });
    expect(await store.heartbeat('nobody', tokenHash('token-a'))).toEqual({ status: 'unknown-node' });

    const after = await store.snapshot();
    expect(after.generation).toBe(before.generation);
    expect(nodeIn(after.nodes, 'a')).toEqual(nodeIn(before.nodes, 'a'));
  });

  it('brings an unknown node up on its first beat, and publishes nothing for beats that change no health', async () => {
    const { store } = await fresh();
    const log = recordEvents(store);
    await store.putNode(nodeSpec('a', { intervalMs: 1000, fall: 3 }));
    await log.checkpoint();

    const first = await beat(store, 'a');
    if (first.status !== 'ok') throw new Error(first.status);
    const { state } = first.record;
    expect(state.health).toBe('up');
    expect(state.changedAt).toBe(state.lastBeatAt);
    expect(state.deadlineAt).toBe(state.lastBeatAt! + 3000);
    const [event] = await log.atLeast(1);
    expect(event).toMatchObject({ kind: 'node', generation: state.generation, decidedAt: state.lastBeatAt, record: first.record });

    const second = await beat(store, 'a');
    if (second.status !== 'ok') throw new Error(second.status);
    expect(second.record.state).toMatchObject({ health: 'up', generation: state.generation, changedAt: state.changedAt });
    expect(second.record.state.lastBeatAt).toBeGreaterThanOrEqual(state.lastBeatAt!);
    expect(await log.settled()).toHaveLength(1);
  });

  it('marks down, by sweep, every node past its deadline, saying how late', async () => {
    const { store } = await fresh();
    const log = recordEvents(store);
    await store.putNode(nodeSpec('far', { intervalMs: 60_000, fall: 1 }));
    await store.putNode(nodeSpec('beaten', { intervalMs: 100, fall: 2 }));
    await store.putNode(nodeSpec('silent', { intervalMs: 100, fall: 2 }));
    await beat(store, 'beaten');
    await log.checkpoint();

    await sleep(400);
    const { downed, nextDeadlineInMs } = await store.sweep();
    expect(downed.map((d) => d.record.spec.id).sort()).toEqual(['beaten', 'silent']);
    for (const { record, lateMs } of downed) {
      expect(record.state).toMatchObject({ health: 'down', streak: 0, downReason: 'no heartbeat for fall x interval' });
      expect(lateMs).toBeGreaterThanOrEqual(100);
      expect(lateMs).toBeLessThan(60_000);
      expect(record.state.changedAt).toBe(record.state.deadlineAt! + lateMs);
    }
    expect(nextDeadlineInMs).toBeGreaterThan(0);
    expect(nextDeadlineInMs).toBeLessThanOrEqual(60_000);

    const events = nodeEvents(await log.atLeast(2));
    expect(events.map((e) => [e.record, e.lateMs])).toEqual(downed.map((d) => [d.record, d.lateMs]));
    expect(events.map((e) => e.decidedAt)).toEqual(downed.map((d) => d.record.state.changedAt));

    expect((await store.sweep()).downed).toEqual([]);
    expect((await store.snapshot()).nodes.find((n) => n.spec.id === 'far')!.state.health).toBe('unknown');
  });

  it('sets each deadline fall × interval after the last beat and never downs a node before it', async () => {
    const { store } = await fresh();
    await store.putNode(nodeSpec('a', { intervalMs: 1000, fall: 3 }));
    const result = await beat(store, 'a');
    if (result.status !== 'ok') throw new Error(result.status);
    expect(result.record.state.deadlineAt).toBe(result.record.state.lastBeatAt! + 3000);

    const sweep = await store.sweep();
    expect(sweep.downed).toEqual([]);
    expect(sweep.nextDeadlineInMs).toBeGreaterThan(0);
    expect(sweep.nextDeadlineInMs).toBeLessThanOrEqual(3000);
  });

  it('brings a down node up after `rise` beats, each within two intervals of the one before', async () => {
    const { store } = await fresh();
    const log = recordEvents(store);
    await store.putNode(nodeSpec('a', { intervalMs: 50, fall: 1, rise: 3 }));
    await sleep(150);
    expect((await store.sweep()).downed).toHaveLength(1);
    // Longer intervals for the counting, so that back-to-back beats are surely on pace.
    await store.putNode(nodeSpec('a', { intervalMs: 400, fall: 1, rise: 3 }));
    await log.checkpoint();

    const streaks: number[] = [];
    const beatAndNote = async () => {
      const result = await beat(store, 'a');
      if (result.status !== 'ok') throw new Error(result.status);
      streaks.push(result.record.state.streak);
      return result.record;
    };
    await beatAndNote(); // no earlier beat: starts at 1
    await beatAndNote();
    await sleep(1000); // more than 2 × 400 ms: the count starts over
    await beatAndNote();
    await beatAndNote();
    const up = await beatAndNote();

    expect(streaks).toEqual([1, 2, 1, 2, 0]);
    expect(up.state.health).toBe('up');
    expect(up.state.changedAt).toBe(up.state.lastBeatAt);
    const events = await log.settled();
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ kind: 'node', record: up });
  });

  it('keeps flapping within the thresholds: short silences keep an up node up, broken streaks keep a down node down', async () => {
    const { store } = await fresh();
    const log = recordEvents(store);
    // 2 × interval = 400 ms < each 500 ms silence < fall × interval = 2000 ms.
    await store.putNode(nodeSpec('steady', { intervalMs: 200, fall: 10, rise: 3 }));
    await store.putNode(nodeSpec('flaky', { intervalMs: 200, fall: 1, rise: 3 }));
    await beat(store, 'steady');
    await sleep(300);
    expect((await store.sweep()).downed.map((d) => d.record.spec.id)).toEqual(['flaky']);
    await log.checkpoint();

    for (let round = 0; round < 3; round++) {
      for (const id of ['steady', 'steady', 'flaky', 'flaky']) await beat(store, id);
      await sleep(500);
      expect((await store.sweep()).downed).toEqual([]);
    }
    const snapshot = await store.snapshot();
    expect(nodeIn(snapshot.nodes, 'steady').state.health).toBe('up');
    expect(nodeIn(snapshot.nodes, 'flaky').state).toMatchObject({ health: 'down', streak: 2 });
    // The silences mark the steady node late, and its next beats clear that: no health changes.
    for (const event of await log.settled()) expect(event).toMatchObject({ kind: 'node', record: { spec: { id: 'steady' }, state: { health: 'up' } } });

    for (let i = 0; i < 3; i++) await beat(store, 'flaky');
    const after = await store.snapshot();
    expect(nodeIn(after.nodes, 'flaky').state.health).toBe('up');
  });

  it('marks a node late after two silent intervals, publishes it, and clears it on its next beat', async () => {
    const { store } = await fresh();
    const log = recordEvents(store);
    await store.putNode(nodeSpec('a', { intervalMs: 100, fall: 8 }));
    await store.putNode(nodeSpec('short', { intervalMs: 200, fall: 2 }));
    await beat(store, 'a');
    await beat(store, 'short');
    await log.checkpoint();

    await sleep(250);
    const sweep = await store.sweep();
    expect(sweep.downed).toEqual([]);
    // The next thing to decide is the short node's deadline, 400 ms after its beat.
    expect(sweep.nextDeadlineInMs).toBeLessThanOrEqual(200);
    const late = nodeIn((await store.snapshot()).nodes, 'a').state;
    expect(late).toMatchObject({ health: 'up', late: true });
    // With fall 2 there is no room to be late: the next stop is down.
    expect(nodeIn((await store.snapshot()).nodes, 'short').state.late).toBeUndefined();
    const [marked] = nodeEvents(await log.atLeast(1));
    expect(marked.record.state).toMatchObject({ late: true, generation: marked.generation });
    await log.checkpoint();

    await sleep(200);
    expect((await store.sweep()).downed.map((d) => d.record.spec.id)).toEqual(['short']);
    const cleared = await beat(store, 'a');
    if (cleared.status !== 'ok') throw new Error(cleared.status);
    expect(cleared.record.state.late).toBeUndefined();
    await beat(store, 'a');
    const events = nodeEvents(await log.settled());
    expect(events.map((e) => [e.record.spec.id, e.record.state.health, e.record.state.late ?? false])).toEqual([
      ['short', 'down', false],
      ['a', 'up', false],
    ]);
  });

  it('takes a node down at once on its own report, with its token only, and brings it back after `rise` beats', async () => {
    const { store } = await fresh();
    const log = recordEvents(store);
    await store.putNode(nodeSpec('a', { intervalMs: 400, fall: 3, rise: 2 }));
    await beat(store, 'a');
    await log.checkpoint();

    expect(await store.reportDown('a', tokenHash('token-b'), 'check failed')).toEqual({ status: 'bad-token' });
    expect(await store.reportDown('nobody', tokenHash('token-a'), 'check failed')).toEqual({ status: 'unknown-node' });
    expect(await log.settled()).toEqual([]);

    const reported = await store.reportDown('a', tokenHash('token-a'), 'tcp 127.0.0.1:8080: ECONNREFUSED');
    if (reported.status !== 'ok') throw new Error(reported.status);
    expect(reported.record.state).toMatchObject({ health: 'down', streak: 0, downReason: 'tcp 127.0.0.1:8080: ECONNREFUSED' });
    const again = await store.reportDown('a', tokenHash('token-a'), 'still failing');
    expect(again).toMatchObject({ status: 'ok', record: { state: { generation: reported.record.state.generation, downReason: 'tcp 127.0.0.1:8080: ECONNREFUSED' } } });
    const [event] = nodeEvents(await log.settled());
    expect(event).toMatchObject({ record: reported.record, decidedAt: reported.record.state.changedAt });
    expect(event.lateMs).toBeUndefined();
    expect((await store.sweep()).downed).toEqual([]);

    await beat(store, 'a');
    const up = await beat(store, 'a');
    if (up.status !== 'ok') throw new Error(up.status);
    expect(up.record.state.health).toBe('up');
    expect(up.record.state.downReason).toBeUndefined();
  });

  it('keeps admin states with who set them and why, apart from health', async () => {
    const { store } = await fresh();
    const log = recordEvents(store);
    await store.putNode(nodeSpec('a'));
    await log.checkpoint();

    const drained = await store.setAdmin('a', 'drain', 'kernel upgrade', 'alice');
    expect(drained!.state).toMatchObject({ admin: 'drain', adminReason: 'kernel upgrade', adminBy: 'alice', health: 'unknown' });
    const [event] = await log.atLeast(1);
    expect(event).toMatchObject({ kind: 'node', record: drained });

    const afterBeat = await beat(store, 'a');
    expect(afterBeat.status === 'ok' && afterBeat.record.state).toMatchObject({ health: 'up', admin: 'drain', adminBy: 'alice' });
    const respecified = await store.putNode(nodeSpec('a', { intervalMs: 5000 }));
    expect(respecified.state).toMatchObject({ admin: 'drain', adminReason: 'kernel upgrade' });

    for (const admin of ['force-down', 'force-up'] as const) {
      expect((await store.setAdmin('a', admin, 'test', 'bob'))!.state).toMatchObject({ admin, adminBy: 'bob', health: 'up' });
    }
    const cleared = await store.setAdmin('a', 'none', '', '');
    expect(cleared!.state.admin).toBe('none');
    expect(cleared!.state).not.toHaveProperty('adminReason');
    expect(cleared!.state).not.toHaveProperty('adminBy');
    expect(nodeIn((await store.snapshot()).nodes, 'a')).toEqual(cleared);
  });

  it('gives the decider lease to one instance at a time, renewed only by its holder', async () => {
    const { store, peer } = await fresh();
    const other = await peer();

    expect(await store.tryLead('one', 5000)).toBe(true);
    expect(await other.tryLead('two', 5000)).toBe(false);
    expect(await store.tryLead('one', 5000)).toBe(true);
    expect(await other.tryLead('two', 5000)).toBe(false);
    // Renewed with a short lease, which then runs out.
    expect(await store.tryLead('one', 100)).toBe(true);
    await sleep(300);
    expect(await other.tryLead('two', 5000)).toBe(true);
    expect(await store.tryLead('one', 5000)).toBe(false);
    expect(await other.tryLead('two', 5000)).toBe(true);
  });

  it('grace pushes every deadline to at least now + fall × interval and publishes nothing', async () => {
    const { store } = await fresh();
    await store.putNode(nodeSpec('overdue', { intervalMs: 50, fall: 2 }));
    await store.putNode(nodeSpec('far', { intervalMs: 60_000, fall: 1 }));
    await sleep(200);
    const before = await store.snapshot();
    expect(nodeIn(before.nodes, 'overdue').state.deadlineAt).toBeLessThan(before.now);

    await store.graceAll();
    const after = await store.snapshot();
    expect(after.generation).toBe(before.generation);
    expect(nodeIn(after.nodes, 'overdue').state.deadlineAt).toBeGreaterThanOrEqual(before.now + 100);
    expect(nodeIn(after.nodes, 'far').state.deadlineAt).toBeGreaterThanOrEqual(before.now + 60_000);

    // Only a node whose new deadline has passed too may go down (a very slow machine).
    for (const { record } of (await store.sweep()).downed) {
      expect(record.state.changedAt).toBeGreaterThanOrEqual(nodeIn(after.nodes, record.spec.id).state.deadlineAt!);
    }
  });

  it('round-trips documents in every collection, with their events', async () => {
    const { store } = await fresh();
    const log = recordEvents(store);
    const pool = samplePool('App.Example.Test.');
    const record = sampleRecord('txt.example.test.');

    await store.putDocument('pools', 'app.example.test./A', pool);
    await store.putDocument('held', 'app.example.test./A', ['web1', 'web2']);
    await store.putDocument('records', 'txt.example.test./TXT', record);
    let snapshot = await store.snapshot();
    expect(snapshot.documents).toEqual(documentsOf({ pools: { 'app.example.test./A': pool }, held: { 'app.example.test./A': ['web1', 'web2'] }, records: { 'txt.example.test./TXT': record } }));

    const replaced = { ...pool, ttl: 60 };
    await store.putDocument('pools', 'app.example.test./A', replaced);
    expect(await store.removeDocument('held', 'app.example.test./A')).toBe(true);
    snapshot = await store.snapshot();
    expect(snapshot.documents.pools).toEqual({ 'app.example.test./A': replaced });
    expect(snapshot.documents.held).toEqual({});

    expect(await store.removeDocument('pools', 'app.example.test./A')).toBe(true);
    expect(await store.removeDocument('records', 'txt.example.test./TXT')).toBe(true);
    snapshot = await store.snapshot();
    expect(snapshot.documents).toEqual(documentsOf());

    const events = await log.atLeast(7);
    expect(events.map(unstamped)).toEqual([
      { kind: 'document', collection: 'pools', key: 'app.example.test./A', value: pool },
      { kind: 'document', collection: 'held', key: 'app.example.test./A', value: ['web1', 'web2'] },
      { kind: 'document', collection: 'records', key: 'txt.example.test./TXT', value: record },
      { kind: 'document', collection: 'pools', key: 'app.example.test./A', value: replaced },
      { kind: 'document', collection: 'held', key: 'app.example.test./A' },
      { kind: 'document', collection: 'pools', key: 'app.example.test./A' },
      { kind: 'document', collection: 'records', key: 'txt.example.test./TXT' },
    ]);
  });

  it('takes each snapshot at one generation: exactly the changes up to it, even while writes go on', async () => {
    const { store } = await fresh();
    const log = recordEvents(store);
    const start = (await store.snapshot()).generation;
    const names = Array.from({ length: 30 }, (_, i) => `p${i}.example.test.`);

    const snapshots = await Promise.all(
      names.flatMap((name) => [store.putDocument('pools', name, samplePool(name)).then(() => undefined), store.snapshot()]),
    );
    const events = await log.atLeast(names.length);
    for (const snapshot of snapshots) {
      if (!snapshot) continue;
      const expected = events.filter((e) => e.kind === 'document' && e.generation <= snapshot.generation);
      expect(Object.keys(snapshot.documents.pools).sort()).toEqual(expected.map((e) => (e.kind === 'document' ? e.key : '')).sort());
      expect(snapshot.generation - start).toBe(expected.length);
    }
    for (const event of events) expect('decidedAt' in event && event.decidedAt).toBeGreaterThan(0);
  });
}
