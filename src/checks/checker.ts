// This instance's part of the server-side checks: it probes every node that has
// a check, applies the check's fall and rise, and writes its verdict to the
// shared state when it changes. Every instance does the same; the pools layer
// combines the verdicts (model.ts `consensus`). Heartbeats prove that a node
// reaches flipdns; these probes prove that the node's service can be reached
// from where flipdns runs.

import type { Logger } from '../log/logger.js';
import type { HealthStore, StoreEvent, StoreSnapshot } from '../health/store.js';
import { type NodeCheck, type Verdict, verdictKey } from './model.js';
import { type Check, probeFor } from './probes.js';

export interface CheckerMetrics {
  countProbe(node: string, ok: boolean): void;
}

interface Running {
  check: NodeCheck;
  probe: Check;
  timer: NodeJS.Timeout;
  /** This instance's verdict: written last, or found in the shared state at start; none before the first probe ends. */
  verdict: Verdict | undefined;
  /** Consecutive probes that disagree with `failing`. */
  streak: number;
  abort: AbortController;
}

export class Checker {
  private readonly running = new Map<string, Running>();
  private stopped = false;

  constructor(
    private readonly store: HealthStore,
    private readonly instanceId: string,
    private readonly metrics: CheckerMetrics,
    private readonly log: Logger,
    /** Wall clock for the verdicts' `since`, shown to operators only. */
    private readonly now: () => number = Date.now,
  ) {}

  applySnapshot(snapshot: StoreSnapshot): void {
    const checks = snapshot.documents.checks as Record<string, NodeCheck>;
    const verdicts = snapshot.documents.verdicts as Record<string, Verdict>;
    for (const node of this.running.keys()) if (!(node in checks)) this.forget(node);
    for (const [node, check] of Object.entries(checks)) this.follow(node, check, verdicts[verdictKey(node, this.instanceId)]);
    for (const [key, verdict] of Object.entries(verdicts)) {
      if (verdict.instance !== this.instanceId) continue;
      // Left behind by an earlier run (a crash) on a check that is gone.
      if (!(verdict.node in checks)) this.write(() => this.store.removeDocument('verdicts', key));
    }
    // A verdict reached while the store was unreachable is written now.
    for (const [node, { verdict }] of this.running) if (verdict && !sameVerdict(verdicts[verdictKey(node, this.instanceId)], verdict)) this.publish(verdict);
  }

  applyEvents(events: ReadonlyArray<Exclude<StoreEvent, { kind: 'resync' }>>): void {
    for (const event of events) {
      if (event.kind !== 'document' || event.collection !== 'checks') continue;
      if (event.value === undefined) this.forget(event.key);
      else this.follow(event.key, event.value as NodeCheck);
    }
  }

  /** Probes this instance runs, by node. */
  checks(): ReadonlyMap<string, NodeCheck> {
    return new Map([...this.running].map(([node, { check }]) => [node, check]));
  }

  /** Stops probing and removes this instance's verdicts: an instance that stops cleanly votes no more. */
  async stop(): Promise<void> {
    this.stopped = true;
    const nodes = [...this.running.keys()];
    for (const node of nodes) this.halt(node);
    await Promise.all(nodes.map((node) => this.store.removeDocument('verdicts', verdictKey(node, this.instanceId)).catch(() => false)));
  }

  /** `earlier`: this instance's verdict found in the shared state (a restart): probes carry on from it rather than from nothing. */
  private follow(node: string, check: NodeCheck, earlier?: Verdict): void {
    if (this.stopped) return;
    const running = this.running.get(node);
    if (running && sameCheck(running.check, check)) return;
    if (running) this.halt(node);
    const state: Running = { check, probe: probeFor(check.url), timer: setInterval(() => void this.probe(node, state), check.intervalMs), verdict: earlier, streak: 0, abort: new AbortController() };
    this.running.set(node, state);
    void this.probe(node, state);
  }

  private forget(node: string): void {
    if (!this.running.has(node)) return;
    this.halt(node);
    this.write(() => this.store.removeDocument('verdicts', verdictKey(node, this.instanceId)));
  }

  private halt(node: string): void {
    const running = this.running.get(node)!;
    clearInterval(running.timer);
    running.abort.abort();
    this.running.delete(node);
  }

  private async probe(node: string, state: Running): Promise<void> {
    const { check } = state;
    const result = await state.probe(AbortSignal.any([state.abort.signal, AbortSignal.timeout(check.timeoutMs)]));
    if (this.running.get(node) !== state) return;
    this.metrics.countProbe(node, result.ok);
    const failing = !result.ok;
    if (state.verdict !== undefined) {
      if (failing === state.verdict.failing) {
        state.streak = 0;
        return;
      }
      // A first verdict needs one probe; a change needs fall failures or rise passes in a row.
      state.streak += 1;
      if (state.streak < (failing ? check.fall : check.rise)) return;
    }
    state.streak = 0;
    state.verdict = { node, instance: this.instanceId, failing, ...(!result.ok && { reason: result.reason }), since: this.now() };
    this.log[failing ? 'warn' : 'info']({ node, url: check.url, reason: state.verdict.reason }, failing ? 'server-side check failing here' : 'server-side check passing here');
    this.publish(state.verdict);
  }

  private publish(verdict: Verdict): void {
    this.write(() => this.store.putDocument('verdicts', verdictKey(verdict.node, this.instanceId), verdict));
  }

  /** A verdict that cannot be written now is written when the shared state is read again (applySnapshot); the store's outage is reported elsewhere. */
  private write(action: () => Promise<unknown>): void {
    action().catch((err: unknown) => this.log.warn({ err }, 'could not write a server-side check verdict to the health store'));
  }
}

function sameVerdict(a: Verdict | undefined, b: Verdict): boolean {
  return a !== undefined && a.failing === b.failing && a.reason === b.reason && a.since === b.since;
}

function sameCheck(a: NodeCheck, b: NodeCheck): boolean {
  return a.url === b.url && a.intervalMs === b.intervalMs && a.timeoutMs === b.timeoutMs && a.fall === b.fall && a.rise === b.rise;
}
