// Zone files and pool files, loaded together at start and on every reload. A
// file that fails keeps what it served before; the others take effect.

import { ZoneSet } from '../answer/zoneset.js';
import type { ReloadResult } from '../api/context.js';
import type { HealthStore } from '../health/store.js';
import type { Logger } from '../log/logger.js';
import type { ServerMetrics } from '../metrics/registry.js';
import { type LoadedPoolFiles, type PoolFile, loadPoolFiles } from '../pools/files.js';
import type { PoolOverlay } from '../pools/overlay.js';
import { type LoadedZones, loadZoneDir } from '../zone/load.js';
import { formatZoneError } from '../zone/model.js';

export class ConfiguredData {
  private poolFiles = new Map<string, PoolFile>();

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
      this.metrics.zoneFileFailures.inc(failedFiles.length);
      this.log.error({ failedFiles }, 'files failed to load; their previous version (if any) keeps serving');
    }

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
   * Nodes declared in pool files go into the store (which keeps their health if
   * it knows them already). Called after each reload and each resync, since the
   * store may have been out of reach at the time.
   */
  async registerFileNodes(): Promise<void> {
    if (!this.store.connected()) return;
    for (const file of this.poolFiles.values()) {
      for (const spec of file.nodes) {
        const known = this.overlay.node(spec.id)?.spec;
        if (known !== undefined && JSON.stringify(known) === JSON.stringify(spec)) continue;
        try {
          await this.store.putNode(spec);
        } catch (err) {
          this.log.warn({ err, node: spec.id }, 'could not register a pool file node; will retry on the next resync');
          return;
        }
      }
    }
  }
}
