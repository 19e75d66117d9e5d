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
import type { NodeRecord, PoolSpec, RuntimeRecord } from '../health/model.js';
import { poolKey, recordKey } from '../health/model.js';
import type { StoreEvent, StoreSnapshot } from '../health/store.js';
import type { Logger } from '../log/logger.js';
import type { RRset, Zone, ZoneNode } from '../zone/model.js';
import { ROOT_WIRE, foldCase, nameToText, parentOf, textToName } from '../zone/name.js';
import { targetOf } from '../zone/rdata.js';
import { rdataFromText } from '../zone/rdata-text.js';
import { runtimeRdatas } from '../zone/runtime-record.js';
import { TYPE, typeFromText } from '../zone/types.js';
import { type MemberView, type PoolSelection, selectPool } from './select.js';

/** What the overlay drives: the query handler. */
export interface OverlayTarget {
  setZones(zones: ZoneSet): void;
  invalidatePool(key: string): number;
}

export interface ServedPool {
  spec: PoolSpec;
  source: 'file' | 'store';
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
  ) {}

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
    for (const pool of snapshot.pools) this.storePools.set(poolKey(pool), pool);
    this.records.clear();
    for (const record of snapshot.records) this.records.set(recordKey(record), record);
    this.held.clear();
    for (const [key, members] of Object.entries(snapshot.held)) this.held.set(key, new Set(members));
    this.rebuild();
    this.synced = true;
  }

  applyEvent(event: StoreEvent): void {
    if (event.kind !== 'resync') this.generation = event.generation;
    switch (event.kind) {
      case 'node':
        this.nodes.set(event.record.spec.id, event.record);
        this.refreshPoolsOf(event.record.spec.id);
        break;
      case 'node-removed':
        this.nodes.delete(event.id);
        this.refreshPoolsOf(event.id);
        break;
      case 'held':
        this.held.set(event.key, new Set(event.members));
        this.refresh(event.key);
        break;
      case 'pool':
        this.storePools.set(poolKey(event.pool), event.pool);
        this.rebuild();
        break;
      case 'pool-removed':
        this.storePools.delete(event.key);
        this.rebuild();
        break;
      case 'record':
        this.records.set(recordKey(event.record), event.record);
        this.rebuild();
        break;
      case 'record-removed':
        this.records.delete(event.key);
        this.rebuild();
        break;
      case 'resync':
        break;
    }
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

  /** Pools with manual failback that have a member on `nodeId`. */
  manualPoolsOf(nodeId: string): ServedPool[] {
    return [...(this.poolsByNode.get(nodeId) ?? [])].map((key) => this.served.get(key)!).filter((pool) => pool.spec.failback === 'manual');
  }

  heldMembers(key: string): ReadonlySet<string> {
    return this.held.get(key) ?? new Set();
  }

  private effectivePools(): Map<string, { spec: PoolSpec; source: 'file' | 'store' }> {
    const pools = new Map<string, { spec: PoolSpec; source: 'file' | 'store' }>();
    for (const [key, spec] of this.filePools) pools.set(key, { spec, source: 'file' });
    // Run-time changes win over the file until they are removed: the operator acted last.
    for (const [key, spec] of this.storePools) pools.set(key, { spec, source: 'store' });
    return pools;
  }

  private rebuild(): void {
    const zones = new Map(this.staticZones.zones);
    const copies = new Map<string, Zone>();
    const owned = new Set<ZoneNode>();
    const problems: string[] = [];
    const before = new Map(this.served);
    const changes: AnswerChange[] = [];
    this.served.clear();
    this.placements.clear();
    this.poolsByNode.clear();

    const place = (name: string, type: number, what: string): ZoneNode | undefined => {
      const wire = textToName(name, ROOT_WIRE);
      const key = foldCase(wire);
      const zone = this.staticZones.findZone(key);
      if (zone === undefined) {
        problems.push(`${what}: ${name} is in no zone served here`);
        return undefined;
      }
      let copy = copies.get(zone.key);
      if (copy === undefined) {
        copy = { ...zone, nodes: new Map(zone.nodes) };
        copies.set(zone.key, copy);
        zones.set(zone.key, copy);
      }
      for (let above = parentOf(key); above !== undefined && above.length > zone.key.length; above = parentOf(above)) {
        if (copy.nodes.get(above)?.delegation) {
          problems.push(`${what}: ${name} lies below the zone cut at ${nameToText(above)}`);
          return undefined;
        }
      }
      const node = this.ownNode(copy, key, wire, owned);
      const hasCname = node.rrsets.has(TYPE.CNAME) && type !== TYPE.CNAME;
      const cnameBesideOthers = type === TYPE.CNAME && [...node.rrsets.keys()].some((t) => t !== TYPE.CNAME);
      if (hasCname || cnameBesideOthers || node.delegation) {
        problems.push(`${what}: ${name} ${hasCname || cnameBesideOthers ? 'would share its owner with a CNAME' : 'is a zone cut'}`);
        return undefined;
      }
      return node;
    };

    for (const record of this.records.values()) {
      const type = typeFromText(record.type)!;
      const node = place(record.name, type, `record ${record.type}`);
      if (node === undefined) continue;
      const rdatas = runtimeRdatas(record);
      node.rrsets.set(type, withTargets({ type, ttls: rdatas.map(() => record.ttl), rdatas }));
    }
    for (const [key, { spec, source }] of this.effectivePools()) {
      const type = typeFromText(spec.type)!;
      const node = place(spec.name, type, `pool ${spec.type}`);
      if (node === undefined) continue;
      const { pool, change } = this.evaluate(key, spec, source, before.get(key)?.selection);
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
    for (const copy of copies.values()) copy.apex = copy.nodes.get(copy.key)!;

    for (const problem of problems) if (!this.problems.includes(problem)) this.log.error(problem);
    this.problems = problems;
    this.target.setZones(new ZoneSet(zones));
    for (const change of changes) this.onAnswerChange?.(change);
  }

  /** A node of `zone` this overlay may change: a copy of the static one, or a new one with its empty non-terminals. */
  private ownNode(zone: Zone, key: string, wire: string, owned: Set<ZoneNode>): ZoneNode {
    const existing = zone.nodes.get(key);
    if (existing !== undefined && owned.has(existing)) return existing;
    const node: ZoneNode = existing === undefined ? { wire, key, rrsets: new Map(), delegation: false } : { ...existing, rrsets: new Map(existing.rrsets) };
    zone.nodes.set(key, node);
    owned.add(node);
    if (existing === undefined) {
      let above = parentOf(key);
      let aboveWire = parentOf(wire);
      while (above !== undefined && aboveWire !== undefined && !zone.nodes.has(above)) {
        zone.nodes.set(above, { wire: aboveWire, key: above, rrsets: new Map(), delegation: false });
        above = parentOf(above);
        aboveWire = parentOf(aboveWire);
      }
    }
    return node;
  }

  private refreshPoolsOf(nodeId: string): void {
    for (const key of this.poolsByNode.get(nodeId) ?? []) this.refresh(key);
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
  private evaluate(key: string, spec: PoolSpec, source: 'file' | 'store', previous: PoolSelection | undefined): { pool: ServedPool; change?: AnswerChange } {
    const views = this.viewsOf(spec);
    const selection = selectPool(spec, views);
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
      const healthy = admin === 'force-up' || health === 'up' || (health === 'unknown' && spec.startup === 'assume-up');
      return {
        member,
        available: healthy && !adminOut,
        held: held?.has(member.id) ?? false,
        adminOut,
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

function withTargets(rrset: RRset): RRset {
  if (rrset.type === TYPE.CNAME || rrset.type === TYPE.NS || rrset.type === TYPE.MX || rrset.type === TYPE.SRV) {
    rrset.targets = rrset.rdatas.map((rdata) => targetOf(rrset.type, rdata)!);
  }
  return rrset;
}
