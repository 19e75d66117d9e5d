// Zone files and pool files, loaded together at start and on every reload. A
// file that fails keeps what it served before; the others take effect. What
// failed, and pool-file nodes that differ from the shared definition, stay
// listed as problems until fixed: /healthz reports them.

import { ZoneSet } from '../answer/zoneset.js';
import type { ReloadResult } from '../api/context.js';
import type { HealthStore } from '../health/store.js';
import type { Logger } from '../log/logger.js';
import type { ServerMetrics } from '../metrics/registry.js';
import { type LoadedPoolFiles, type PoolFile, loadPoolFiles } from '../pools/files.js';
import type { PoolOverlay } from '../pools/overlay.js';
import { type LoadedZones, loadZoneDir } from '../zone/load.js';
import { type Zone, formatZoneError } from '../zone/model.js';
import { nameToText } from '../zone/name.js';
import { TYPE } from '../zone/types.js';

export interface ZoneLoad {
  zone: string;
  records: number;
  serial: number;
  /** When its file last loaded, seconds since the epoch. */
  loadedAt: number;
}

export class ConfiguredData {
  private poolFiles = new Map<string, PoolFile>();
  private readonly loadedAt = new Map<string, number>();
  /** The errors of the files that failed at the last reload (their previous version serves). */
  private failures: string[] = [];
  /** Pool-file nodes whose definition differs from the shared one, by node id. */
  private readonly conflicts = new Map<string, string>();

  constructor(
    private readonly dir: string,
    private readonly overlay: PoolOverlay,
    private readonly store: HealthStore,
    private readonly metrics: ServerMetrics,
    private readonly log: Logger,
  ) {}

  reload(current: ZoneSet): ReloadResult {
    const started = performance.now();
    let zones: LoadedZones;
    let pools: LoadedPoolFiles;
    try {
      zones = loadZoneDir(this.dir, current.zones);
      pools = loadPoolFiles(this.dir);
    } catch (err) {
      // The folder itself is unreadable (moved, permissions): keep serving everything as it is.
      const message = `${this.dir}: ${(err as Error).message}`;
      this.log.error({ err }, `reload failed, nothing changed: ${message}`);
      this.metrics.zoneReloads.inc({ result: 'failed' });
      return { zones: current.zones.size, records: current.recordCount, pools: this.overlay.pools().size, errors: [message], failedFiles: [this.dir] };
    }
    for (const warning of zones.warnings) this.log.warn(formatZoneError(warning));
    const errors = [...zones.errors.map(formatZoneError), ...pools.errors];
    for (const error of errors) this.log.error(error);

    const files = new Map(pools.files);
    for (const file of pools.failedFiles) {
      const kept = this.poolFiles.get(file);
      if (kept !== undefined) files.set(file, kept);
    }
    this.poolFiles = files;
    const failedFiles = [...zones.failedFiles, ...pools.failedFiles];
    if (failedFiles.length > 0) {
      for (const file of failedFiles) this.metrics.zoneFileFailures.inc({ file });
      this.log.error({ failedFiles }, 'files failed to load; their previous version (if any) keeps serving');
    }
    this.failures = errors.length > 0 ? errors : failedFiles.map((file) => `${file}: failed to load`);
    const now = Date.now() / 1000;
    for (const zone of zones.zones.values()) if (!zones.failedFiles.includes(zone.file)) this.loadedAt.set(zone.file, now);

    const zoneSet = new ZoneSet(zones.zones);
    this.overlay.setStaticZones(zoneSet);
    this.overlay.setFilePools([...files.values()].flatMap((file) => file.pools));
    void this.registerFileNodes();
    this.metrics.zoneReloads.inc({ result: failedFiles.length > 0 ? 'partial' : 'ok' });
    const result = { zones: zoneSet.zones.size, records: zoneSet.recordCount, pools: this.overlay.pools().size, errors, failedFiles };
    this.log.info({ zones: result.zones, records: result.records, pools: result.pools, ms: Math.round(performance.now() - started) }, 'zone set in place');
    return result;
  }

  /**
   * Adds the nodes of pool files the store does not have yet, and their
   * server-side checks. A node or check the store has is never changed from a
   * file: another instance's file, or an operator's `node update`, may have
   * defined it, and replacing a token would lock its agent out. A difference
   * is reported as a conflict instead (logs, status, /healthz, metrics) until
   * the file and the store agree. Called after each reload and each resync,
   * since the store may have been out of reach.
   */
  async registerFileNodes(): Promise<void> {
    if (!this.store.connected()) return;
    for (const [file, { nodes, checks }] of this.poolFiles) {
      for (const spec of nodes) {
        let differs: string[];
        try {
          const record = await this.store.putNode(spec, { createOnly: true });
          differs = (['tokenHash', 'intervalMs', 'fall', 'rise'] as const).filter((field) => record.spec[field] !== spec[field]).map((field) => (field === 'tokenHash' ? 'token' : field));
          const check = checks.get(spec.id);
          const shared = this.overlay.checkOf(spec.id).check;
          if (check !== undefined && shared === undefined) await this.store.putDocument('checks', spec.id, check);
          else if (check !== undefined && JSON.stringify(check) !== JSON.stringify(shared)) differs.push('check');
        } catch (err) {
          this.log.warn({ err, node: spec.id }, 'could not register a pool file node; will retry on the next resync');
          return;
        }
        const conflict = differs.length === 0 ? undefined : `node ${spec.id}: ${file} differs from the shared definition in ${differs.join(', ')}; the shared one stays (change it with flipdns node update ${spec.id}${differs.includes('check') ? ` or flipdns node check ${spec.id}` : ''})`;
        if (conflict !== undefined && this.conflicts.get(spec.id) !== conflict) this.log.error(conflict);
        if (conflict === undefined) this.conflicts.delete(spec.id);
        else this.conflicts.set(spec.id, conflict);
      }
    }
  }

  /** Nodes whose pool-file definition differs from the shared one. */
  conflictingNodes(): string[] {
    return [...this.conflicts.keys()];
  }

  /** What is not served as the files say: failed files, node definitions in conflict. */
  problems(): string[] {
    return [...this.failures, ...this.conflicts.values()];
  }

  /** Per zone served: records, SOA serial, when its file last loaded. */
  zoneLoads(zones: Iterable<Zone>): ZoneLoad[] {
    return [...zones].map((zone) => ({ zone: nameToText(zone.origin), records: zone.recordCount, serial: soaSerial(zone), loadedAt: this.loadedAt.get(zone.file) ?? 0 }));
  }
}

/** SOA RDATA is MNAME, RNAME (uncompressed wire names), then SERIAL. */
function soaSerial(zone: Zone): number {
  const rdata = zone.apex.rrsets.get(TYPE.SOA)?.rdatas[0];
  if (rdata === undefined) return 0;
  let at = 0;
  for (let name = 0; name < 2; name++) {
    while (rdata.charCodeAt(at) !== 0) at += rdata.charCodeAt(at) + 1;
    at++;
  }
  return Buffer.from(rdata.slice(at, at + 4), 'latin1').readUInt32BE(0);
}
