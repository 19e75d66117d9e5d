// Health decisions are made once, by the instance holding the decider lease
// in the store, and on the store's clock. The holder sweeps for missed
// deadlines often enough to flip within a few milliseconds of one; the other
// instances only follow the events. When a node goes down, the decider also
// writes what the layers above say that entails (held members of
// manual-failback pools), through a small interface: health knows no pools.

import type { Logger } from '../log/logger.js';
import type { HealthMetrics } from '../metrics/health-metrics.js';
import { type Collection, type HealthStore, type StoreEvent, StoreUnavailableError } from './store.js';

/** What the layers above want written when a node goes down (the pools layer: held members of manual-failback pools). */
export interface DownConsequences {
  documentsOnDown(nodeId: string): Array<{ collection: Collection; key: string; value: unknown }>;
}

const LEASE_MS = 3000;
const RENEW_MS = 1000;
/** Upper bound between sweeps, so that a deadline set by a new node is caught quickly too. */
const MAX_SWEEP_GAP_MS = 20;

export class Decider {
  private leading = false;
  private stopped = false;
  private renewTimer: NodeJS.Timeout | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private renewing = false;

  constructor(
    private readonly store: HealthStore,
    private readonly instanceId: string,
    private readonly consequences: DownConsequences,
    private readonly metrics: HealthMetrics,
    private readonly log: Logger,
  ) {}

  get isLeading(): boolean {
    return this.leading;
  }

  start(): void {
    // Members of manual-failback pools are held on any down decision, by a
    // deadline or by a node's own report, whichever instance took the report.
    this.store.onEvent((event) => {
      if (this.leading && !this.stopped && isDownTransition(event)) void this.writeConsequences(event.record.spec.id).catch((err: unknown) => this.log.error({ err }, 'could not write what a node going down entails'));
    });
    // A lease tried before the store was reachable is tried again the moment it is, not a renewal later.
    this.store.onConnectivity((connected) => {
      if (connected && !this.leading && !this.stopped && !this.renewing) {
        clearTimeout(this.renewTimer);
        void this.renew();
      }
    });
    void this.renew();
  }

  /** Stops deciding and gives the lease up, so that on a clean stop another instance decides at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.renewTimer);
    clearTimeout(this.sweepTimer);
    if (!this.leading) return;
    this.leading = false;
    await this.store.releaseLead(this.instanceId).catch((err: unknown) => this.log.warn({ err }, 'could not give the decider lease up; it expires by itself'));
    this.log.info('stopped making the health decisions');
  }

  private async renew(): Promise<void> {
    const was = this.leading;
    this.renewing = true;
    try {
      this.leading = await this.store.tryLead(this.instanceId, LEASE_MS);
      if (this.leading && !was) {
        // Beats could not be recorded while no one decided (store outage, previous decider gone).
        await this.store.graceAll();
        this.log.info('this instance now makes the health decisions');
        this.scheduleSweep(0);
      } else if (!this.leading && was) {
        this.log.info('another instance makes the health decisions now');
      }
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) this.log.error({ err }, 'decider lease renewal failed');
      this.leading = false;
    } finally {
      this.renewing = false;
    }
    if (!this.stopped) this.renewTimer = setTimeout(() => void this.renew(), RENEW_MS);
  }

  private scheduleSweep(delayMs: number): void {
    clearTimeout(this.sweepTimer);
    if (!this.stopped && this.leading) this.sweepTimer = setTimeout(() => void this.sweep(), delayMs);
  }

  private async sweep(): Promise<void> {
    let next = MAX_SWEEP_GAP_MS;
    try {
      const result = await this.store.sweep();
      for (const { lateMs } of result.downed) this.metrics.detection.observe(lateMs / 1000);
      next = Math.max(1, Math.min(result.nextDeadlineInMs ?? MAX_SWEEP_GAP_MS, MAX_SWEEP_GAP_MS));
    } catch (err) {
      // No decisions while the store is out of reach: the lease loop takes over again with a grace period.
      if (!(err instanceof StoreUnavailableError)) this.log.error({ err }, 'sweep failed');
      this.leading = false;
      return;
    }
    this.scheduleSweep(next);
  }

  private async writeConsequences(nodeId: string): Promise<void> {
    for (const { collection, key, value } of this.consequences.documentsOnDown(nodeId)) await this.store.putDocument(collection, key, value);
  }
}

/** A node event that is the decision taking it down (not a later change to a node already down). */
function isDownTransition(event: StoreEvent): event is Extract<StoreEvent, { kind: 'node' }> {
  return event.kind === 'node' && event.record.state.health === 'down' && event.record.state.changedAt === event.decidedAt;
}
