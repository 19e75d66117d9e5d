import { loadConfig } from '../config/load.js';
import { createLogger } from '../log/logger.js';
import { isClusterWorker, runPrimary, runWorker, workerConfig } from '../server/cluster.js';
import { startInstance } from '../server/instance.js';
import { stalenessPlugin } from '../measure/ledger/plugin.js';

export async function serveCommand(flags: Record<string, string>): Promise<void> {
  if (isClusterWorker()) {
    const config = workerConfig();
    await runWorker(config, createLogger(config.logLevel, config.id), stalenessPlugin);
    return;
  }
  const { config: file, ...settings } = flags;
  // Commander already folded FLIPDNS_* variables into `flags`; loadConfig sees them again as env, which agrees.
  const config = loadConfig({ flags: settings, file });
  const log = createLogger(config.logLevel, config.id);
  if (config.workers > 1) {
    await runPrimary(config, log, stalenessPlugin);
    return;
  }
  const instance = await startInstance(config, log, { serveHttp: true, plugin: stalenessPlugin });
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
