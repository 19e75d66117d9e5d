// The health store of a single instance with no Redis: the same rules as
// RedisStore (lua/*.ts), kept in memory, on a monotonic clock. Events go to the
// listeners synchronously, in order, before the call that caused them returns.

import { performance } from 'node:perf_hooks';
import { LATE_AFTER_INTERVALS, MISSED_DEADLINE, type AdminState, type NodeRecord, type NodeSpec } from './model.js';
import { COLLECTIONS, type Collection, documentsOf, type HealthStore, type HeartbeatResult, type StoreEvent, type StoreSnapshot, type SweepResult } from './store.js';

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** An event as the change describes it; publish() adds the generation and time. */
type EventBody = DistributiveOmit<Exclude<StoreEvent, { kind: 'resync' }>, 'generation' | 'decidedAt'>;

export class EmbeddedStore implements HealthStore {
  readonly kind = 'embedded' as const;
  private generation = 0;
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly documents = new Map<Collection, Map<string, unknown>>(COLLECTIONS.map((collection) => [collection, new Map()]));
  private lease?: { holder: string; expiresAt: number };
  private readonly eventListeners: Array<(event: StoreEvent) => void> = [];

  connected(): boolean {
    return true;
  }

  onConnectivity(): void {
    // Always connected: there is never anything to report.
  }

  onEvent(listener: (event: StoreEvent) => void): void {
    this.eventListeners.push(listener);
  }

  async snapshot(): Promise<StoreSnapshot> {
    return structuredClone({
      generation: this.generation,
      now: this.clock(),
      nodes: [...this.nodes.values()],
      documents: documentsOf(Object.fromEntries([...this.documents].map(([collection, documents]) => [collection, Object.fromEntries(documents)]))),
    });
  }

  async now(): Promise<number> {
    return this.clock();
  }

  async putNode(spec: NodeSpec, options: { createOnly?: boolean } = {}): Promise<NodeRecord> {
    const now = this.clock();
    let node = this.nodes.get(spec.id);
    if (node) {
      const old = node.spec;
      if (options.createOnly || (old.intervalMs === spec.intervalMs && old.fall === spec.fall && old.rise === spec.rise && old.tokenHash === spec.tokenHash)) {
        return structuredClone(node);
      }
      // The window keeps its start (the last beat, grace or addition) and takes the new length.
      const windowStart = node.state.deadlineAt! - old.fall * old.intervalMs;
      node.state.deadlineAt = windowStart + spec.fall * spec.intervalMs;
      node.spec = { ...spec };
    } else {
      node = {
        spec: { ...spec },
        state: { health: 'unknown', streak: 0, admin: 'none', deadlineAt: now + spec.fall * spec.intervalMs, generation: 0 },
      };
      this.nodes.set(spec.id, node);
    }
    this.publishNode(node, now);
    return structuredClone(node);
  }

  async removeNode(id: string): Promise<boolean> {
    if (!this.nodes.delete(id)) return false;
    this.publish({ kind: 'node-removed', id }, this.clock());
    return true;
  }

  async setAdmin(id: string, admin: AdminState, reason: string, by: string): Promise<NodeRecord | undefined> {
    const node = this.nodes.get(id);
    if (!node) return undefined;
    const state = node.state;
    const adminReason = reason === '' ? undefined : reason;
    const adminBy = by === '' ? undefined : by;
    if (state.admin !== admin || state.adminReason !== adminReason || state.adminBy !== adminBy) {
      state.admin = admin;
      setOptional(state, 'adminReason', adminReason);
      setOptional(state, 'adminBy', adminBy);
      this.publishNode(node, this.clock());
    }
    return structuredClone(node);
  }

  async heartbeat(id: string, tokenHash: string): Promise<HeartbeatResult> {
    const node = this.nodes.get(id);
    if (!node) return { status: 'unknown-node' };
    if (node.spec.tokenHash !== tokenHash) return { status: 'bad-token' };
    const { spec, state } = node;
    const now = this.clock();
    const previousBeat = state.lastBeatAt;
    state.lastBeatAt = now;
    state.deadlineAt = now + spec.fall * spec.intervalMs;
    let comesUp = state.health === 'unknown';
    if (state.health === 'down') {
      // Only beats that keep the promised pace count toward rise; a late one starts over.
      const onPace = previousBeat !== undefined && now - previousBeat <= 2 * spec.intervalMs;
      state.streak = onPace ? state.streak + 1 : 1;
      comesUp = state.streak >= spec.rise;
    }
    const changed = comesUp || state.late === true;
    if (comesUp) {
      state.health = 'up';
      state.streak = 0;
      state.changedAt = now;
      delete state.downReason;
    }
    if (changed) {
      delete state.late;
      this.publishNode(node, now);
    }
    return { status: 'ok', record: structuredClone(node) };
  }

  async reportDown(id: string, tokenHash: string, reason: string): Promise<HeartbeatResult> {
    const node = this.nodes.get(id);
    if (!node) return { status: 'unknown-node' };
    if (node.spec.tokenHash !== tokenHash) return { status: 'bad-token' };
    if (node.state.health !== 'down') this.markDown(node, this.clock(), reason);
    return { status: 'ok', record: structuredClone(node) };
  }

  async tryLead(instanceId: string, leaseMs: number): Promise<boolean> {
    const now = this.clock();
    if (this.lease && this.lease.expiresAt > now && this.lease.holder !== instanceId) return false;
    this.lease = { holder: instanceId, expiresAt: now + leaseMs };
    return true;
  }

  async releaseLead(instanceId: string): Promise<void> {
    if (this.lease?.holder === instanceId) this.lease = undefined;
  }

  async sweep(): Promise<SweepResult> {
    const now = this.clock();
    const due: NodeRecord[] = [];
    for (const node of this.nodes.values()) if (node.state.health !== 'down' && watchedAt(node) <= now) due.push(node);
    // Earliest first, so that generations follow deadlines as in Redis.
    due.sort((a, b) => watchedAt(a) - watchedAt(b));
    const downed: SweepResult['downed'] = [];
    for (const node of due) {
      if (now >= node.state.deadlineAt!) {
        const lateMs = now - node.state.deadlineAt!;
        this.markDown(node, now, MISSED_DEADLINE, lateMs);
        downed.push({ record: structuredClone(node), lateMs });
      } else {
        node.state.late = true;
        this.publishNode(node, now);
      }
    }
    let next = Infinity;
    for (const node of this.nodes.values()) if (node.state.health !== 'down') next = Math.min(next, watchedAt(node));
    return next === Infinity ? { downed } : { downed, nextDeadlineInMs: next - now };
  }

  async graceAll(): Promise<void> {
    const now = this.clock();
    for (const { spec, state } of this.nodes.values()) {
      if (state.health === 'down') continue;
      state.deadlineAt = Math.max(state.deadlineAt!, now + spec.fall * spec.intervalMs);
    }
  }

  async putDocument(collection: Collection, key: string, value: unknown): Promise<void> {
    const documents = this.documents.get(collection)!;
    if (sameJson(documents.get(key), value)) return;
    documents.set(key, structuredClone(value));
    this.publish({ kind: 'document', collection, key, value: structuredClone(value) }, this.clock());
  }

  async removeDocument(collection: Collection, key: string): Promise<boolean> {
    if (!this.documents.get(collection)!.delete(key)) return false;
    this.publish({ kind: 'document', collection, key }, this.clock());
    return true;
  }

  async close(): Promise<void> {
    this.eventListeners.length = 0;
  }

  private markDown(node: NodeRecord, now: number, reason: string, lateMs?: number): void {
    const { state } = node;
    state.health = 'down';
    state.streak = 0;
    state.changedAt = now;
    state.downReason = reason;
    delete state.late;
    this.publishNode(node, now, lateMs);
  }

  /** Monotonic ms, offset to read like the wall clock at start. */
  private clock(): number {
    return Math.floor(performance.timeOrigin + performance.now());
  }

  private publishNode(node: NodeRecord, now: number, lateMs?: number): void {
    // The generation publish() is about to give the event is the node's too.
    node.state.generation = this.generation + 1;
    const event = { kind: 'node', record: structuredClone(node) } as const;
    this.publish(lateMs === undefined ? event : { ...event, lateMs }, now);
  }

  private publish(body: EventBody, decidedAt: number): void {
    this.generation += 1;
    const event = { ...body, generation: this.generation, decidedAt } as StoreEvent;
    for (const listener of this.eventListeners) listener(event);
  }
}

/** When a sweep must next look at a node that is not down: when it turns late, else its deadline (as lua/prelude.ts). */
function watchedAt({ spec, state }: NodeRecord): number {
  if (state.late || spec.fall <= LATE_AFTER_INTERVALS) return state.deadlineAt!;
  return state.deadlineAt! - (spec.fall - LATE_AFTER_INTERVALS) * spec.intervalMs;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Sets or deletes, so that absent fields stay absent (as in Redis). */
function setOptional<K extends 'adminReason' | 'adminBy'>(state: NodeRecord['state'], field: K, value: string | undefined): void {
  if (value === undefined) delete state[field];
  else state[field] = value;
}
