// The one interface to shared state. Two implementations pass the same contract
// tests (test/health/store-contract.ts): RedisStore, shared by every instance,
// and EmbeddedStore, in process, for a single instance with no Redis.
//
// Rules every implementation keeps:
// - Time is the store's own clock (Redis TIME; the embedded store's monotonic
//   clock). Deadlines are compared with that clock only, never with an
//   instance's, so clock differences between machines cause no false flips.
// - Every change increments one global generation and is published as a
//   StoreEvent carrying it, in order. A listener that sees a gap, or a
//   `resync`, reads `snapshot()` again.
// - Changes that touch several keys are atomic (Lua or MULTI in Redis).
// - While the store is unreachable every call rejects with StoreUnavailableError
//   at once (no queueing), and no health decision is made.

import type { AdminState, NodeRecord, NodeSpec } from './model.js';

/**
 * What the layers above keep in the shared state beside nodes (pools, run-time
 * records, held members, server-side checks and each instance's verdict on
 * them): JSON documents by collection and key. The store gives
 * their changes generations and events like any change, and knows nothing of
 * what they hold.
 */
export type Collection = 'pools' | 'records' | 'held' | 'checks' | 'verdicts';
export const COLLECTIONS: readonly Collection[] = ['pools', 'records', 'held', 'checks', 'verdicts'];

/** A snapshot's documents with every collection, filled from `given`. */
export function documentsOf(given: Partial<Record<Collection, Record<string, unknown>>> = {}): Record<Collection, Record<string, unknown>> {
  return Object.fromEntries(COLLECTIONS.map((collection) => [collection, { ...given[collection] }])) as Record<Collection, Record<string, unknown>>;
}

export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';

  constructor(message = 'the health store is unreachable') {
    super(message);
  }
}

/** The store settings cannot work, whatever is retried: a URL, a Redis database that does not exist. */
export class StoreSettingsError extends Error {
  override name = 'StoreSettingsError';
}

export interface StoreSnapshot {
  generation: number;
  /** Store clock (ms) when the snapshot was taken. */
  now: number;
  nodes: NodeRecord[];
  /** Every document, by collection, then key. */
  documents: Record<Collection, Record<string, unknown>>;
}

export type StoreEvent =
  /** A node was added or changed: health, admin state or spec. `lateMs`: for a down decision, how long after the deadline it was made. */
  | { kind: 'node'; generation: number; record: NodeRecord; decidedAt: number; lateMs?: number }
  | { kind: 'node-removed'; generation: number; id: string; decidedAt: number }
  /** A document was written (`value`) or removed (no `value`). */
  | { kind: 'document'; generation: number; collection: Collection; key: string; value?: unknown; decidedAt: number }
  /** Connection regained (or events may have been missed): read snapshot() again. */
  | { kind: 'resync' };

export type HeartbeatResult =
  | { status: 'ok'; record: NodeRecord }
  | { status: 'unknown-node' }
  | { status: 'bad-token' };

export interface SweepResult {
  /** Nodes marked down by this sweep, with how late each decision was. */
  downed: Array<{ record: NodeRecord; lateMs: number }>;
  /** Store-clock ms until a sweep next has something to decide (a node turning late or down), if any. */
  nextDeadlineInMs?: number;
}

export interface HealthStore {
  readonly kind: 'redis' | 'embedded';
  /** Whether calls can reach the store now. */
  connected(): boolean;
  /** Called with true/false as the store becomes reachable/unreachable. */
  onConnectivity(listener: (connected: boolean) => void): void;
  onEvent(listener: (event: StoreEvent) => void): void;

  snapshot(): Promise<StoreSnapshot>;
  /** The store clock, ms. */
  now(): Promise<number>;

  /**
   * Adds or replaces a node's spec, keeping its state; a new node starts
   * `unknown` with a deadline fall × interval away. With `createOnly`, a node
   * that exists is left as it is (and returned): adding is atomic.
   */
  putNode(spec: NodeSpec, options?: { createOnly?: boolean }): Promise<NodeRecord>;
  removeNode(id: string): Promise<boolean>;
  setAdmin(id: string, admin: AdminState, reason: string, by: string): Promise<NodeRecord | undefined>;
  /**
   * Records a beat if `tokenHash` matches the node's. First beat of an unknown
   * node: up. Beats of a down node count toward `rise` while each comes within
   * two intervals of the previous; at `rise` the node is up.
   */
  heartbeat(id: string, tokenHash: string): Promise<HeartbeatResult>;
  /**
   * A node's own report that it is down (its agent's local check failed): with
   * the node's token hash, a node that is not down goes down now, with
   * `reason`, as a missed deadline would take it. `rise` beats bring it back.
   */
  reportDown(id: string, tokenHash: string, reason: string): Promise<HeartbeatResult>;

  /**
   * Takes or renews the decider lease for `instanceId`; true while held. Only
   * the holder sweeps, so each decision is made once.
   */
  tryLead(instanceId: string, leaseMs: number): Promise<boolean>;
  /** Gives the lease up, when `instanceId` holds it: a clean stop lets another instance decide at once. */
  releaseLead(instanceId: string): Promise<void>;
  /**
   * Marks down every node whose deadline has passed, and late every node not
   * heard from for LATE_AFTER_INTERVALS intervals (when its fall is larger);
   * store clock. A late node's next accepted beat clears it.
   */
  sweep(): Promise<SweepResult>;
  /**
   * Pushes every deadline to at least now + fall × interval: after an outage of
   * the store (or a new decider taking over) no beat could be recorded, and
   * nodes must not be judged on that silence.
   */
  graceAll(): Promise<void>;

  /** Writes a document; writing what is there already changes nothing and publishes nothing. */
  putDocument(collection: Collection, key: string, value: unknown): Promise<void>;
  /** Removes a document; false when there was none. */
  removeDocument(collection: Collection, key: string): Promise<boolean>;

  close(): Promise<void>;
}
