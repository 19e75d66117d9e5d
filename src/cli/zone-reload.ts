import type { Command } from 'commander';
import type { ReloadResult } from '../api/context.js';
import { type ClientFlags, adminRequest, withClientOptions } from './admin-client.js';
import { EXIT_PROBLEMS } from './exit-codes.js';
import { emit } from './output.js';

/** `flipdns zone reload`: what SIGHUP does, through the admin API. */
export function registerZoneReloadCommand(zone: Command): void {
  withClientOptions(zone.command('reload'), { reason: 'optional' })
    .description("reload the server's zone and pool files; exit 1 when one failed (its previous version keeps serving)")
    .action(async (flags: ClientFlags) => {
      const result = (await adminRequest(flags, 'POST', ['zones', 'reload'])) as ReloadResult;
      emit(flags.json, result, () => `reloaded: ${result.zones} zones, ${result.records} records, ${result.pools} pools\n`);
      if (result.failedFiles.length > 0) {
        for (const error of result.errors) process.stderr.write(`${error}\n`);
        process.stderr.write(`${result.failedFiles.length} file(s) not loaded (their previous version keeps serving): ${result.failedFiles.join(', ')}\n`);
        process.exitCode = EXIT_PROBLEMS;
      }
    });
}
