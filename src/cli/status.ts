import type { Command } from 'commander';
import type { StatusView } from '../api/context.js';
import { type ClientFlags, adminRequest, withClientOptions } from './admin-client.js';
import { EXIT_PROBLEMS } from './exit-codes.js';
import { emit } from './output.js';
import { isUnhealthy, renderStatus } from './render-status.js';

export function registerStatusCommand(program: Command): void {
  withClientOptions(program.command('status').description('pools with their members, nodes with their health; exit 1 when a pool is all down, the store unreachable, or a problem is listed'), { reason: 'none' })
    .action(async (flags: ClientFlags) => {
      const view = (await adminRequest(flags, 'GET', ['status'])) as StatusView;
      emit(flags.json, view, () => renderStatus(view));
      if (isUnhealthy(view)) process.exitCode = EXIT_PROBLEMS;
    });
}
