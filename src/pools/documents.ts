// The pools layer's part of the shared state: run-time pools, run-time records
// and the held members of manual-failback pools, kept in the store as
// documents (health/store.ts). Only this file knows which collection holds what.

import type { HealthStore, StoreSnapshot } from '../health/store.js';
import { type PoolSpec, type RuntimeRecord, poolKey, recordKey } from './model.js';

export function putPool(store: HealthStore, pool: PoolSpec): Promise<void> {
  return store.putDocument('pools', poolKey(pool), pool);
}

export function removePool(store: HealthStore, key: string): Promise<boolean> {
  return store.removeDocument('pools', key);
}

export function putRecord(store: HealthStore, record: RuntimeRecord): Promise<void> {
  return store.putDocument('records', recordKey(record), record);
}

export function removeRecord(store: HealthStore, key: string): Promise<boolean> {
  return store.removeDocument('records', key);
}

/** Sets the members held out of a manual-failback pool; none releases them (no document is the same as none held). */
export async function setHeld(store: HealthStore, key: string, members: string[]): Promise<void> {
  if (members.length > 0) await store.putDocument('held', key, members);
  else await store.removeDocument('held', key);
}

export function storePools(snapshot: StoreSnapshot): PoolSpec[] {
  return Object.values(snapshot.documents.pools) as PoolSpec[];
}

export function storeRecords(snapshot: StoreSnapshot): RuntimeRecord[] {
  return Object.values(snapshot.documents.records) as RuntimeRecord[];
}

export function storeHeld(snapshot: StoreSnapshot): Record<string, string[]> {
  return snapshot.documents.held as Record<string, string[]>;
}
