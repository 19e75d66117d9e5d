// Puts pools and run-time records into the zones being served.
//
// Configuration changes (zone reload, pool or record added or removed) rebuild
// the served zone set: the zones that hold pools are shallow-copied, and the
// nodes holding pools or run-time records are copies this overlay owns. Health
// changes are the frequent case and cost much less: the pools on the changed
// node get their answer recomputed, and only when the answer really changed is
// the pool's RRset replaced in its node and the precompiled responses built
// from it dropped.

import { ZoneSet } from '../answer/zoneset.js';
import { type CheckConsensus, type NodeCheck, type Verdict, consensus, verdictNode } from '../checks/model.js';
import type { NodeRecord } from '../health/model.js';
import type { Collection, StoreEvent, StoreSnapshot } from '../health/store.js';
import type { Logger } from '../log/logger.js';
import type { RRset, ZoneNode } from '../zone/model.js';
import { rdataFromText } from '../zone/rdata-text.js';
import { typeFromText } from '../zone/types.js';
import { storeHeld, storePools, storeRecords } from './documents.js';
import { type Problem, layout, withTargets } from './layout.js';
import { type PoolSource, type PoolSpec, type RuntimeRecord, poolKey, recordKey } from './model.js';
import { type MemberView, type PoolSelection, selectPool } from './select.js';

/** What the overlay drives: the query handler. */
export interface OverlayTarget {
  setZones(zones: ZoneSet): void;
  invalidatePool(key: string): number;
}

export interface ServedPool {
  spec: PoolSpec;
  source: PoolSource;
  views: MemberView[];
  selection: PoolSelection;
  /** The TTL its answers carry now: `spec.ttl`, or `spec.shortTtl` while an adaptive pool is unsettled. */
  ttl: number;
}

/** A pool's answer values changed, whatever the cause: health, an operator, a reload, a resync. */
export interface AnswerChange {
  pool: ServedPool;
  previous: PoolSelection;
  /** Answer versions before and after (see `stamp`). */
  from: number;
  to: number;
}

/**
 * Called for every change of a pool's answer values once the shared state has
 * been read (before that nothing is served). Not called for a pool's first
 * placement, nor when only the all-down flag or the TTL changed.
 */
export type AnswerChangeListener = (change: AnswerChange) => void;

interface Placement {
  node: ZoneNode;
  type: number;
  /** What the pool's RRset holds: a change means its precompiled answers must go. */
  content: string;
}

interface AnswerVersion {
  values: string;
  version: number;
  /** When these values replaced others here (this process's clock); -Infinity for a first answer. */
  since: number;
}

export class PoolOverlay {
  private staticZones = new ZoneSet(new Map());
  private readonly filePools = new Map<string, PoolSpec>();
  private readonly storePools = new Map<string, PoolSpec>();
  private readonly records = new Map<string, RuntimeRecord>();
  private readonly nodes = new Map<string, NodeRecord>();
  private readonly held = new Map<string, Set<string>>();
  /** Server-side checks by node, and each instance's verdict on them: node → instance → verdict. */
  private readonly checks = new Map<string, NodeCheck>();
  private readonly verdicts = new Map<string, Map<string, Verdict>>();
  private readonly served = new Map<string, ServedPool>();
  private readonly placements = new Map<string, Placement>();
  private readonly poolsByNode = new Map<string, Set<string>>();
  private readonly encoded = new Map<string, string>();
  /** By poolKey, kept across rebuilds, so a rebuild that leaves a pool's values alone keeps its version. */
  private readonly versions = new Map<string, AnswerVersion>();
  /** Generation of the shared state applied last; 0 until the first snapshot. */
  private generation = 0;
  private synced = false;
  /** Adaptive pools settling after a change, to be evaluated again when they settle. */
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Pools and records that could not be placed, as `name type: why`. */
  problems: string[] = [];

  constructor(
    private readonly target: OverlayTarget,
    private readonly log: Logger,
    private readonly onAnswerChange?: AnswerChangeListener,
    /** Monotonic ms; injectable so that tests control the adaptive TTL's settling. */
    private readonly now: () => number = () => performance.now(),
    /** What pools answer before the shared state is read: SERVFAIL, or each by its startup rule. */
    private readonly withoutState: 'servfail' | 'startup-rule' = 'servfail',
  ) {}

  /** Whether the shared state has been read: until then pools answer as `withoutState` says. */
  get hasState(): boolean {
    return this.synced;
  }

  setStaticZones(zones: ZoneSet): void {
    this.staticZones = zones;
    this.rebuild();
  }

  setFilePools(pools: PoolSpec[]): void {
    this.filePools.clear();
    for (const pool of pools) this.filePools.set(poolKey(pool), pool);
    this.rebuild();
  }

  applySnapshot(snapshot: StoreSnapshot): void {
    this.generation = snapshot.generation;
    this.nodes.clear();
    for (const record of snapshot.nodes) this.nodes.set(record.spec.id, record);
    this.storePools.clear();
    for (const pool of storePools(snapshot)) this.storePools.set(poolKey(pool), pool);
    this.records.clear();
    for (const record of storeRecords(snapshot)) this.records.set(recordKey(record), record);
    this.held.clear();
    for (const [key, members] of Object.entries(storeHeld(snapshot))) this.held.set(key, new Set(members));
    this.checks.clear();
    for (const [node, check] of Object.entries(snapshot.documents.checks)) this.checks.set(node, check as NodeCheck);
    this.verdicts.clear();
    for (const [key, verdict] of Object.entries(snapshot.documents.verdicts)) this.applyDocument('verdicts', key, verdict);
    // The first state read replaces the answers given without one: not a change anyone saw as an answer.
    const first = !this.synced;
    this.synced = true;
    this.rebuild(first);
  }

  applyEvent(event: StoreEvent): void {
    if (event.kind !== 'resync') this.applyEvents([event]);
  }

  /**
   * Changes that came together, applied as one: each pool they touch is
   * evaluated once, after all of them, so that two nodes downed by one sweep
   * make one answer change, not two.
   */
  applyEvents(events: Array<Exclude<StoreEvent, { kind: 'resync' }>>): void {
    const touched = new Set<string>();
    let rebuild = false;
    for (const event of events) {
      this.generation = event.generation;
      switch (event.kind) {
        case 'node':
          this.nodes.set(event.record.spec.id, event.record);
          for (const key of this.poolsByNode.get(event.record.spec.id) ?? []) touched.add(key);
          break;
        case 'node-removed':
          this.nodes.delete(event.id);
          for (const key of this.poolsByNode.get(event.id) ?? []) touched.add(key);
          break;
        case 'document':
          rebuild = this.applyDocument(event.collection, event.key, event.value) || rebuild;
          if (event.collection === 'held') touched.add(event.key);
          if (event.collection === 'verdicts') for (const key of this.poolsByNode.get(verdictNode(event.key)) ?? []) touched.add(key);
          break;
      }
    }
    if (rebuild) this.rebuild();
    else for (const key of touched) this.refresh(key);
  }

  /** Returns whether the change needs a rebuild (a pool or record added, changed or removed). */
  private applyDocument(collection: Collection, key: string, value: unknown): boolean {
    switch (collection) {
      case 'held':
        this.held.set(key, new Set((value as string[] | undefined) ?? []));
        return false;
      case 'pools':
        if (value === undefined) this.storePools.delete(key);
        else this.storePools.set(key, value as PoolSpec);
        return true;
      case 'records':
        if (value === undefined) this.records.delete(key);
        else this.records.set(key, value as RuntimeRecord);
        return true;
      case 'checks':
        if (value === undefined) this.checks.delete(key);
        else this.checks.set(key, value as NodeCheck);
        return false;
      case 'verdicts': {
        const node = verdictNode(key);
        let byInstance = this.verdicts.get(node);
        if (value !== undefined) {
          if (!byInstance) this.verdicts.set(node, (byInstance = new Map()));
          byInstance.set((value as Verdict).instance, value as Verdict);
        } else if (byInstance) {
          byInstance.delete(key.slice(node.length + 1));
          if (byInstance.size === 0) this.verdicts.delete(node);
        }
        return false;
      }
    }
  }

  /** A node's server-side check, if it has one, each instance's verdict on it, and what they conclude together. */
  checkOf(nodeId: string): { check?: NodeCheck; verdicts: Verdict[]; consensus: CheckConsensus } {
    const verdicts = [...(this.verdicts.get(nodeId)?.values() ?? [])];
    return { check: this.checks.get(nodeId), verdicts, consensus: consensus(verdicts) };
  }

  /** Every verdict in the shared state. */
  allVerdicts(): Verdict[] {
    return [...this.verdicts.values()].flatMap((byInstance) => [...byInstance.values()]);
  }

  /**
   * The documents to write when a node goes down: its members in manual-failback
   * pools are held out until an operator releases the pool (health/decider.ts).
   */
  documentsOnDown(nodeId: string): Array<{ collection: Collection; key: string; value: unknown }> {
    const writes: Array<{ collection: Collection; key: string; value: unknown }> = [];
    for (const key of this.poolsByNode.get(nodeId) ?? []) {
      const { spec } = this.served.get(key)!;
      if (spec.failback !== 'manual') continue;
      const held = new Set(this.held.get(key));
      const before = held.size;
      for (const member of spec.members) if (member.node === nodeId) held.add(member.id);
      if (held.size !== before) writes.push({ collection: 'held', key, value: [...held] });
    }
    return writes;
  }

  /** Pools served now, by poolKey. */
  pools(): ReadonlyMap<string, ServedPool> {
    return this.served;
  }

  node(id: string): NodeRecord | undefined {
    return this.nodes.get(id);
  }

  allNodes(): Iterable<NodeRecord> {
    return this.nodes.values();
  }

  private effectivePools(): Map<string, { spec: PoolSpec; source: PoolSource }> {
    const pools = new Map<string, { spec: PoolSpec; source: PoolSource }>();
    for (const [key, spec] of this.filePools) pools.set(key, { spec, source: 'file' });
    // Run-time changes win over the file until they are removed: the operator acted last.
    for (const [key, spec] of this.storePools) pools.set(key, { spec, source: 'store' });
    return pools;
  }

  /** `quiet`: changes of answers are not reported (the first read of the shared state). */
  private rebuild(quiet = false): void {
    const planned = layout(this.staticZones, this.records.values(), [...this.effectivePools()].map(([key, { spec }]) => [key, spec]));
    const before = new Map(this.served);
    const changes: AnswerChange[] = [];
    this.served.clear();
    this.placements.clear();
    this.poolsByNode.clear();
    const pools = this.effectivePools();
    for (const [key, { node, type }] of planned.pools) {
      const { spec, source } = pools.get(key)!;
      const { pool, change } = this.evaluate(key, spec, source, quiet ? undefined : before.get(key)?.selection);
      if (change !== undefined) changes.push(change);
      node.rrsets.set(type, this.rrsetOf(key, pool));
      this.served.set(key, pool);
      this.placements.set(key, { node, type, content: contentOf(pool) });
      for (const member of spec.members) {
        let keys = this.poolsByNode.get(member.node);
        if (keys === undefined) this.poolsByNode.set(member.node, (keys = new Set()));
        keys.add(key);
      }
    }
    const problems = planned.problems.map((problem) => problem.message);
    for (const problem of problems) if (!this.problems.includes(problem)) this.log.error(problem);
    this.problems = problems;
    this.target.setZones(new ZoneSet(planned.zones));
    for (const change of changes) this.onAnswerChange?.(change);
  }

  /**
   * What would be wrong with a run-time pool or record if it were added (or
   * replaced): the first problem the change would cause, to it or to what is
   * served already, or undefined when it would be served as asked.
   */
  problemWith(change: { pool: PoolSpec } | { record: RuntimeRecord }): Problem | undefined {
    const records = new Map(this.records);
    const pools = new Map([...this.effectivePools()].map(([key, { spec }]) => [key, spec]));
    if ('pool' in change) pools.set(poolKey(change.pool), change.pool);
    else records.set(recordKey(change.record), change.record);
    const known = new Set(layout(this.staticZones, this.records.values(), [...this.effectivePools()].map(([key, { spec }]) => [key, spec])).problems.map((p) => p.message));
    const added = layout(this.staticZones, records.values(), pools).problems.filter((problem) => !known.has(problem.message));
    // The change's own problem says it best; else what it would break.
    const key = 'pool' in change ? poolKey(change.pool) : recordKey(change.record);
    return added.find((problem) => problem.key === key && problem.what === ('pool' in change ? 'pool' : 'record')) ?? added[0];
  }

  private refresh(key: string): void {
    const placement = this.placements.get(key);
    const previous = this.served.get(key);
    if (placement === undefined || previous === undefined) return;
    const { pool, change } = this.evaluate(key, previous.spec, previous.source, previous.selection);
    this.served.set(key, pool);
    const content = contentOf(pool);
    if (content === placement.content) return;
    placement.content = content;
    placement.node.rrsets.set(placement.type, this.rrsetOf(key, pool));
    this.target.invalidatePool(key);
    if (change !== undefined) this.onAnswerChange?.(change);
  }

  /**
   * The version of a pool's answer values: the generation of the shared state
   * they were first computed from, so that every instance following the store
   * gives the same answer the same version (a reload that changes values with
   * no new generation takes the next number). Returns the change to report,
   * when values changed after the shared state was read.
   */
  private stamp(key: string, selection: PoolSelection, previous: PoolSelection | undefined): { from: number; to: number } | undefined {
    const values = valuesOf(selection);
    const known = this.versions.get(key);
    if (known?.values === values) return undefined;
    const version = Math.max(this.generation, (known?.version ?? 0) + 1);
    const changed = this.synced && known !== undefined && previous !== undefined;
    // A pool's first answer, and answers before the shared state was read, are not changes anyone saw.
    this.versions.set(key, { values, version, since: changed ? this.now() : -Infinity });
    return changed ? { from: known.version, to: version } : undefined;
  }

  /** A pool as served now: its members' state, its answer (stamped), and the TTL that answer carries. */
  private evaluate(key: string, spec: PoolSpec, source: PoolSource, previous: PoolSelection | undefined): { pool: ServedPool; change?: AnswerChange } {
    const views = this.viewsOf(spec);
    const selection: PoolSelection =
      this.synced || this.withoutState === 'startup-rule' ? selectPool(spec, views) : { variants: [[]], allDown: true, allDownCause: 'unknown', outcome: 'servfail', eligible: [] };
    const stamped = this.stamp(key, selection, previous);
    const pool: ServedPool = { spec, source, views, selection, ttl: this.answerTtl(key, spec, selection) };
    return { pool, change: stamped && previous && { pool, previous, ...stamped } };
  }

  /**
   * `adaptive` pools answer with their short TTL while a member in the answer
   * is late on its heartbeats (its state may change soon), and for one full TTL
   * after their answer changed (until the caches filled before it have
   * drained, a flap back reaches every client quickly); then with their TTL.
   */
  private answerTtl(key: string, spec: PoolSpec, selection: PoolSelection): number {
    if (spec.ttlPolicy !== 'adaptive') return spec.ttl;
    const answered = new Set(selection.variants.flat());
    const late = spec.members.some((member) => answered.has(member.value) && this.nodes.get(member.node)?.state.late === true);
    const settledAt = this.versions.get(key)!.since + spec.ttl * 1000;
    const settling = this.synced && this.now() < settledAt;
    if (settling) this.refreshAt(key, settledAt);
    return late || settling ? spec.shortTtl : spec.ttl;
  }

  private refreshAt(key: string, at: number): void {
    clearTimeout(this.timers.get(key));
    this.timers.set(key, setTimeout(() => (this.timers.delete(key), this.refresh(key)), Math.max(0, at - this.now())).unref());
  }

  private viewsOf(spec: PoolSpec): MemberView[] {
    const held = this.held.get(poolKey(spec));
    return spec.members.map((member): MemberView => {
      const state = this.nodes.get(member.node)?.state;
      const admin = state?.admin ?? 'none';
      const health = state?.health ?? 'unknown';
      const adminOut = admin === 'drain' || admin === 'force-down';
      // Down when heartbeats stop, or when most instances' server-side checks fail (checks/model.ts).
      const checkFailing = this.checkOf(member.node).consensus.failing;
      const healthy = admin === 'force-up' || (!checkFailing && (health === 'up' || (health === 'unknown' && spec.startup === 'assume-up')));
      return {
        member,
        available: healthy && !adminOut,
        held: held?.has(member.id) ?? false,
        adminOut,
        unknown: health === 'unknown' && admin !== 'force-up',
        downSince: health === 'down' ? state?.changedAt : undefined,
      };
    });
  }

  private rrsetOf(key: string, pool: ServedPool): RRset {
    const type = typeFromText(pool.spec.type)!;
    const variants = pool.selection.variants.map((values) => values.map((value) => this.encode(type, value)));
    const rrset: RRset = {
      type,
      ttls: variants[0].map(() => pool.ttl),
      rdatas: variants[0],
      pool: { key, version: this.versions.get(key)!.version, variants, cumulativeWeights: pool.selection.cumulativeWeights, outcome: pool.selection.outcome },
    };
    return withTargets(rrset);
  }

  private encode(type: number, value: string): string {
    const cacheKey = `${type} ${value}`;
    let rdata = this.encoded.get(cacheKey);
    if (rdata === undefined) {
      rdata = rdataFromText(type, value);
      this.encoded.set(cacheKey, rdata);
    }
    return rdata;
  }
}

/** What a pool's answer is made of, as far as clients can tell: its versions change with this. */
function valuesOf(selection: PoolSelection): string {
  return JSON.stringify([selection.outcome, selection.variants]);
}

/** Everything the pool's RRset holds. */
function contentOf(pool: ServedPool): string {
  const { outcome, variants, cumulativeWeights } = pool.selection;
  return JSON.stringify([outcome, variants, cumulativeWeights, pool.ttl]);
}
