// Keeps this instance's view of the shared state current: a full snapshot at
// start and after any gap, then every event in generation order. Events carry
// the new state, so a flip is served as soon as its message arrives. Events
// that arrive together (one sweep downing several nodes) are applied together,
// at the end of the task that delivered them: one decision, one answer change.

import type { Logger } from '../log/logger.js';
import type { HealthMetrics } from '../metrics/health-metrics.js';
import type { NodeRecord } from './model.js';
import { type HealthStore, type StoreEvent, type StoreSnapshot, StoreUnavailableError } from './store.js';

/** Whoever serves from the shared state (the pools layer's overlay): told of the whole state, then of each change. */
export interface StateFollower {
  applySnapshot(snapshot: StoreSnapshot): void;
  /** Changes in generation order, applied as one. */
  applyEvents(events: Array<Exclude<StoreEvent, { kind: 'resync' }>>): void;
  node(id: string): NodeRecord | undefined;
}

const RETRY_MS = 500;
const CLOCK_SAMPLE_MS = 30_000;

export class StateSync {
  private generation = 0;
  /** Store clock minus local monotonic clock, ms: an estimate used only for latency figures. */
  private clockOffset = 0;
  private resyncing: Promise<void> | undefined;
  private readonly pending: StoreEvent[] = [];
  /** Events accepted and not yet applied, and the latest state of each node among them. */
  private batch: Array<Exclude<StoreEvent, { kind: 'resync' }>> = [];
  private readonly batchNodes = new Map<string, NodeRecord['state']>();
  private clockTimer: NodeJS.Timeout | undefined;
  /** Ends a wait between attempts to read the state: the store just became reachable. */
  private wake: (() => void) | undefined;

  constructor(
    private readonly store: HealthStore,
    private readonly overlay: StateFollower,
    private readonly metrics: HealthMetrics,
    private readonly log: Logger,
  ) {}

  get currentGeneration(): number {
    return this.generation;
  }

  /** Store clock now, estimated from the local clock. */
  storeNow(): number {
    return performance.now() + this.clockOffset;
  }

  /** Resolves once the shared state has been read: sockets must not open before. */
  async start(): Promise<void> {
    this.metrics.storeConnected.set(this.store.connected() ? 1 : 0);
    this.store.onConnectivity((connected) => {
      this.metrics.storeConnected.set(connected ? 1 : 0);
      if (connected) this.wake?.();
      if (connected) this.log.info({ store: this.store.kind }, 'health store reachable');
      else this.log.error({ store: this.store.kind }, 'health store unreachable: serving the last known state, making no health decisions');
    });
    this.store.onEvent((event) => this.onEvent(event));
    await this.resyncSoon((attempt) => {
      // Not on the first attempt: a store still opening (the embedded one, at start) is not news.
      if (attempt === 2 || attempt % 20 === 0) this.log.error({ attempt }, 'waiting for the health store to read the shared state: pools are not answered from state not read');
    });
    this.clockTimer = setInterval(() => void this.sampleClock().catch(() => undefined), CLOCK_SAMPLE_MS).unref();
  }

  stop(): void {
    clearInterval(this.clockTimer);
  }

  private onEvent(event: StoreEvent): void {
    if (event.kind === 'resync') {
      void this.resyncSoon();
      return;
    }
    if (this.resyncing !== undefined) {
      this.pending.push(event);
      return;
    }
    if (event.generation <= this.generation) return;
    if (event.generation !== this.generation + 1) {
      this.log.warn({ have: this.generation, got: event.generation }, 'missed state changes: reading the whole state again');
      void this.resyncSoon();
      return;
    }
    this.apply(event);
  }

  private apply(event: Exclude<StoreEvent, { kind: 'resync' }>): void {
    const id = event.kind === 'node' ? event.record.spec.id : undefined;
    const previous = id === undefined ? undefined : (this.batchNodes.get(id) ?? this.overlay.node(id)?.state);
    const before = previous?.health;
    if (event.kind === 'node') this.batchNodes.set(event.record.spec.id, event.record.state);
    this.generation = event.generation;
    if (this.batch.length === 0) queueMicrotask(() => this.flush());
    this.batch.push(event);
    this.metrics.generation.set(this.generation);
    this.metrics.propagation.observe(Math.max(0, this.storeNow() - event.decidedAt) / 1000);
    if (event.kind === 'node' && event.record.state.health !== before) {
      this.metrics.transitions.inc({ node: event.record.spec.id, to: event.record.state.health });
      this.log.info({ node: event.record.spec.id, from: before ?? 'new', to: event.record.state.health, generation: event.generation, lateMs: event.lateMs }, 'node health changed');
    } else if (event.kind === 'node' && event.record.state.late === true && previous?.late !== true) {
      // Not a health change, but how often it happens says whether beats keep their pace.
      this.metrics.transitions.inc({ node: event.record.spec.id, to: 'late' });
    }
  }

  private flush(): void {
    const events = this.batch;
    if (events.length === 0) return;
    this.batch = [];
    this.batchNodes.clear();
    this.overlay.applyEvents(events);
  }

  /** Retries until the store answers; events arriving meanwhile wait in `pending`. */
  private async resyncSoon(onFailedAttempt?: (attempt: number) => void): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.resync();
        return;
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        onFailedAttempt?.(attempt);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, RETRY_MS);
          this.wake = () => (clearTimeout(timer), resolve());
        });
        this.wake = undefined;
      }
    }
  }

  private resync(): Promise<void> {
    this.resyncing ??= (async () => {
      try {
        await this.sampleClock();
        const snapshot = await this.store.snapshot();
        this.flush();
        this.overlay.applySnapshot(snapshot);
        this.generation = snapshot.generation;
        this.metrics.generation.set(this.generation);
        this.metrics.resyncs.inc();
        this.log.info({ generation: snapshot.generation, nodes: snapshot.nodes.length, documents: Object.values(snapshot.documents).reduce((n, c) => n + Object.keys(c).length, 0) }, 'shared state read');
      } finally {
        this.resyncing = undefined;
      }
      const waiting = this.pending.splice(0);
      for (const event of waiting) this.onEvent(event);
    })();
    return this.resyncing;
  }

  private async sampleClock(): Promise<void> {
    const sent = performance.now();
    const storeTime = await this.store.now();
    this.clockOffset = storeTime - (sent + performance.now()) / 2;
  }
}
