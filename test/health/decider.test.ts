// The decider and state sync on an embedded store, with the pool overlay they
// drive: deadlines become flips, and manual failback holds a recovered primary.

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { setHeld } from '../../src/pools/documents.js';
import { ZoneSet } from '../../src/answer/zoneset.js';
import { Decider } from '../../src/health/decider.js';
import { EmbeddedStore } from '../../src/health/embedded-store.js';
import { poolKey } from '../../src/pools/model.js';
import { StateSync } from '../../src/health/sync.js';
import { registerHealthMetrics } from '../../src/metrics/health-metrics.js';
import { PoolOverlay } from '../../src/pools/overlay.js';
import { RULES_FILES, zoneSetOf } from '../helpers/zones.js';
import { beat, nodeSpec, samplePool } from './kit.js';
import { waitFor as until } from '../helpers/wait.js';

const INTERVAL_MS = 50;
const log = pino({ level: 'silent' });
const stops: Array<() => void> = [];
afterEach(() => stops.splice(0).forEach((stop) => stop()));

async function setup(failback: 'auto' | 'manual') {
  const store = new EmbeddedStore();
  let zones = zoneSetOf(RULES_FILES);
  const changes: string[][][] = [];
  const overlay = new PoolOverlay({ setZones: (z: ZoneSet) => (zones = z), invalidatePool: () => 0 }, log, (change) => changes.push([change.previous.variants[0], change.pool.selection.variants[0]]));
  overlay.setStaticZones(zones);
  const pool = { ...samplePool('app.example.test.'), failback, allDown: 'all' as const };
  overlay.setFilePools([pool]);
  const metrics = registerHealthMetrics({ members: () => [], nodes: async () => [], leading: () => false, verdicts: () => [], conflicts: () => [] });
  for (const id of ['web1', 'web2']) await store.putNode(nodeSpec(id, { intervalMs: INTERVAL_MS, fall: 2, rise: 2 }));
  const sync = new StateSync(store, overlay, metrics, log);
  await sync.start();
  const decider = new Decider(store, 'test', overlay, metrics, log);
  decider.start();
  stops.push(() => decider.stop(), () => sync.stop());
  const answer = () => overlay.pools().get(poolKey(pool))!.selection.variants[0];
  return { store, overlay, answer, key: poolKey(pool), changes };
}

describe('Decider with the pool overlay', () => {
  it('makes one sweep that downs several nodes one decision: the answer changes once, if at all', async () => {
    const { overlay, key, changes } = await setup('auto');
    // Neither node ever beats: both deadlines pass, and one sweep takes both down.
    await until(() => overlay.pools().get(key)!.selection.allDown, 'the pool all down');
    // Primary down, then everything down and failing open to the primary: no flicker through the backup.
    expect(changes).toEqual([]);
    expect(overlay.pools().get(key)!.selection.variants[0]).toEqual(['192.0.2.1']);
  });

  it('turns a missed deadline into the backup answer, and fails back after rise beats', async () => {
    const { store, answer } = await setup('auto');
    const keepBeating = setInterval(() => void beat(store, 'web2'), INTERVAL_MS / 2);
    stops.push(() => clearInterval(keepBeating));
    await beat(store, 'web1');
    expect(answer()).toEqual(['192.0.2.1']);
    await until(() => answer()[0] === '192.0.2.2', 'the backup');
    await beat(store, 'web1');
    expect(answer()).toEqual(['192.0.2.2']);
    await beat(store, 'web1');
    expect(answer()).toEqual(['192.0.2.1']);
  });

  it('holds a failed member of a manual-failback pool out until the pool is released', async () => {
    const { store, overlay, answer, key } = await setup('manual');
    const keepBeating = setInterval(() => void beat(store, 'web2'), INTERVAL_MS / 2);
    stops.push(() => clearInterval(keepBeating));
    await beat(store, 'web1');
    await until(() => answer()[0] === '192.0.2.2', 'the backup');
    await until(() => overlay.pools().get(key)!.views.find((v) => v.member.id === 'web1')!.held, 'web1 held');
    await beat(store, 'web1');
    await beat(store, 'web1');
    expect(overlay.node('web1')!.state.health).toBe('up');
    expect(answer()).toEqual(['192.0.2.2']);
    await setHeld(store, key, []);
    expect(answer()).toEqual(['192.0.2.1']);
  });
});
