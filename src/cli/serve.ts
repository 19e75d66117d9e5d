import { ConfigError, loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { VERSION } from '../config/version.js';
import { checkHttpSettings } from '../http/settings.js';
import { type Logger, createLogger } from '../log/logger.js';
import { stalenessPlugin } from '../measure/ledger/plugin.js';
import { loadPoolFiles } from '../pools/files.js';
import { isClusterWorker, runPrimary, runWorker, workerConfig } from '../server/cluster.js';
import { startInstance } from '../server/instance.js';
import { checkUdpTransport } from '../server/udp.js';
import { loadZoneDir } from '../zone/load.js';
import { formatZoneError, type Zone } from '../zone/model.js';
import { nameToText } from '../zone/name.js';
import { EXIT_USAGE } from './exit-codes.js';

export async function serveCommand(flags: Record<string, string>): Promise<void> {
  if (isClusterWorker()) {
    const config = workerConfig();
    await runWorker(config, createLogger(config.logLevel, config.id), stalenessPlugin);
    return;
  }
  const { config: file, ...settings } = flags;
  // Commander already folded FLIPDNS_* variables into `flags`; loadConfig sees them again as env, which agrees.
  const config = loadConfig({ flags: settings, file });
  checkUdpTransport(config);
  if (config.httpPort !== 0) checkHttpSettings(config);
  const zones = refuseBrokenFiles(config);
  const log = createLogger(config.logLevel, config.id);
  log.info({ version: VERSION, node: process.version, zonesFolder: config.zones, zones: zones.map((zone) => nameToText(zone.origin)), store: config.store.replace(/\/\/[^@/]*@/, '//***@') }, 'flipdns starting');
  if (config.workers > 1) {
    const { failed } = await runPrimary(config, log, stalenessPlugin);
    if (failed) exitWhenStoreFails(failed, log);
    return;
  }
  const instance = await startInstance(config, log, { serveHttp: true, decide: true, plugin: stalenessPlugin });
  exitWhenStoreFails(instance.failed, log);
  process.on('SIGHUP', () => {
    log.info('SIGHUP: reloading zones');
    instance.reload();
  });
  const stop = (signal: string): void => {
    log.info({ signal }, 'stopping');
    instance.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/**
 * Store settings that cannot work (a Redis database that does not exist) may
 * show only once Redis answers, long after the start: the process stops then,
 * with the same one line and exit status as a refusal at start.
 */
function exitWhenStoreFails(failed: Promise<never>, log: Logger): void {
  failed.catch((err: Error) => {
    log.error({ err }, 'stopping: the health store settings cannot work');
    process.stderr.write(`flipdns: ${err.message}\n`);
    process.exit(EXIT_USAGE);
  });
}

/**
 * A zone or pool file that fails to load stops the start, every problem on
 * stderr: serving without it would answer NXDOMAIN for its names, and
 * resolvers would cache that. (On a reload its previous version keeps serving.)
 */
function refuseBrokenFiles(config: Config): Zone[] {
  let loaded;
  try {
    loaded = { zones: loadZoneDir(config.zones), pools: loadPoolFiles(config.zones) };
  } catch (err) {
    throw new ConfigError(`zones: cannot read the folder ${config.zones}: ${(err as Error).message}`);
  }
  const errors = [...loaded.zones.errors.map(formatZoneError), ...loaded.pools.errors];
  if (errors.length === 0) return [...loaded.zones.zones.values()];
  for (const error of errors) process.stderr.write(`${error}\n`);
  const failed = [...loaded.zones.failedFiles, ...loaded.pools.failedFiles];
  throw new ConfigError(`not starting: ${failed.length} file(s) in ${config.zones} failed to load (${failed.join(', ')}); the errors are above, and flipdns zone check ${config.zones} lists them`);
}
