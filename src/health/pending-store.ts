// The health store of an instance that starts while the store is out of reach:
// every call fails at once as unavailable, as the store itself does during an
// outage, until the real store is attached; then everything goes to it,
// listeners included. So the sync, the decider and the admin API can start at
// once and simply find the store unavailable for a while.

import type { AdminState, NodeRecord, NodeSpec } from './model.js';
import {
  type Collection,
  type HealthStore,
  type HeartbeatResult,
  type StoreEvent,
  type StoreSnapshot,
  StoreUnavailableError,
  type SweepResult,
} from './store.js';

export class PendingStore implements HealthStore {
  private real?: HealthStore;
  private readonly eventListeners: Array<(event: StoreEvent) => void> = [];
  private readonly connectivityListeners: Array<(connected: boolean) => void> = [];
  /** Why the real store is not attached yet, for status and logs. */
  waitingFor = 'the health store has not answered yet';

  constructor(readonly kind: 'redis' | 'embedded') {}

  get attached(): boolean {
    return this.real !== undefined;
  }

  attach(real: HealthStore): void {
    this.real = real;
    for (const listener of this.eventListeners) real.onEvent(listener);
    for (const listener of this.connectivityListeners) real.onConnectivity(listener);
    for (const listener of this.connectivityListeners) listener(real.connected());
  }

  connected(): boolean {
    return this.real?.connected() ?? false;
  }

  onConnectivity(listener: (connected: boolean) => void): void {
    this.connectivityListeners.push(listener);
    this.real?.onConnectivity(listener);
  }

  onEvent(listener: (event: StoreEvent) => void): void {
    this.eventListeners.push(listener);
    this.real?.onEvent(listener);
  }

  async snapshot(): Promise<StoreSnapshot> {
    return this.store().snapshot();
  }

  async now(): Promise<number> {
    return this.store().now();
  }

  async putNode(spec: NodeSpec, options?: { createOnly?: boolean }): Promise<NodeRecord> {
    return this.store().putNode(spec, options);
  }

  async removeNode(id: string): Promise<boolean> {
    return this.store().removeNode(id);
  }

  async setAdmin(id: string, admin: AdminState, reason: string, by: string): Promise<NodeRecord | undefined> {
    return this.store().setAdmin(id, admin, reason, by);
  }

  async heartbeat(id: string, tokenHash: string): Promise<HeartbeatResult> {
    return this.store().heartbeat(id, tokenHash);
  }

  async reportDown(id: string, tokenHash: string, reason: string): Promise<HeartbeatResult> {
    return this.store().reportDown(id, tokenHash, reason);
  }

  async tryLead(instanceId: string, leaseMs: number): Promise<boolean> {
    return this.store().tryLead(instanceId, leaseMs);
  }

  async releaseLead(instanceId: string): Promise<void> {
    return this.store().releaseLead(instanceId);
  }

  async sweep(): Promise<SweepResult> {
    return this.store().sweep();
  }

  async graceAll(): Promise<void> {
    return this.store().graceAll();
  }

  async putDocument(collection: Collection, key: string, value: unknown): Promise<void> {
    return this.store().putDocument(collection, key, value);
  }

  async removeDocument(collection: Collection, key: string): Promise<boolean> {
    return this.store().removeDocument(collection, key);
  }

  async close(): Promise<void> {
    await this.real?.close();
  }

  /** The real store, or a rejection like the store's own during an outage. */
  private store(): HealthStore {
    if (this.real === undefined) throw new StoreUnavailableError(this.waitingFor);
    return this.real;
  }
}
