// Small pieces the health store tests share: node specs and tokens, sample
// pools and records, and waiting for events (Redis delivers them a little
// after the call returns; the embedded store before).

import { createHash } from 'node:crypto';
import type { NodeSpec } from '../../src/health/model.js';
import type { PoolSpec, RuntimeRecord } from '../../src/pools/model.js';
import type { HealthStore, StoreEvent } from '../../src/health/store.js';

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A node whose token is `token-<id>`. */
export function nodeSpec(id: string, timing: Partial<Pick<NodeSpec, 'intervalMs' | 'fall' | 'rise'>> = {}): NodeSpec {
  return { id, intervalMs: 1000, fall: 3, rise: 2, tokenHash: tokenHash(`token-${id}`), ...timing };
}

export function beat(store: HealthStore, id: string) {
  return store.heartbeat(id, tokenHash(`token-${id}`));
}

export function samplePool(name: string, members = ['web1', 'web2']): PoolSpec {
  return {
    name,
    type: 'A',
    policy: 'failover',
    members: members.map((node, i) => ({ id: node, node, value: `192.0.2.${i + 1}`, weight: 1, priority: i })),
    ttl: 30,
    ttlPolicy: 'static',
    shortTtl: 1,
    failback: 'manual',
    limit: 1,
    allDown: 'last-known',
    fallback: [],
    startup: 'assume-up',
  };
}

export function sampleRecord(name: string, value = 'v=1'): RuntimeRecord {
  return { name, type: 'TXT', ttl: 300, values: [`"${value}"`] };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function eventually(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export interface EventLog {
  readonly events: StoreEvent[];
  /** Waits until at least `count` events have arrived and returns them all. */
  atLeast(count: number): Promise<StoreEvent[]>;
  /** Every event published up to now and only those: waits for a marker change of our own to come back. */
  settled(): Promise<StoreEvent[]>;
  /** Waits for every event published up to now, then forgets them all. */
  checkpoint(): Promise<void>;
}

/**
 * Records a store's events. settled() writes a throwaway runtime record as a
 * marker (events arrive in order, so once it is back all earlier ones are) and
 * leaves it and its event out of what it returns.
 */
export function recordEvents(store: HealthStore): EventLog {
  const events: StoreEvent[] = [];
  let markers = 0;
  store.onEvent((event) => events.push(event));
  const isMarker = (event: StoreEvent) => event.kind === 'document' && event.key.startsWith('marker-');
  return {
    events,
    async atLeast(count) {
      await eventually(() => events.length >= count, `${count} events (have ${events.length})`);
      return [...events];
    },
    async settled() {
      const name = `marker-${++markers}.test.`;
      await store.putDocument('records', name, sampleRecord(name));
      await eventually(() => events.some((e) => e.kind === 'document' && e.key === name), `marker event ${name}`);
      return events.filter((e) => !isMarker(e));
    },
    async checkpoint() {
      await this.settled();
      events.length = 0;
    },
  };
}

/** Generation of an event that has one. */
export function generationOf(event: StoreEvent): number {
  if (event.kind === 'resync') throw new Error('a resync event has no generation');
  return event.generation;
}
