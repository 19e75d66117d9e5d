import type { Command } from 'commander';
import { renderStaleness } from './render-staleness.js';
import type { StalenessView } from '../measure/ledger/view.js';
import { type ClientFlags, adminRequest, withClientOptions } from './admin-client.js';
import { CliError } from './cli-error.js';
import { EXIT_USAGE } from './exit-codes.js';
import { emit } from './output.js';

export function registerStalenessCommand(program: Command): void {
  withClientOptions(program.command('staleness'), { reason: 'none' })
    .description("after each pool flip: which resolvers may still hold the old answer, until when, and when they asked again (the instance's staleness ledger)")
    .argument('[name]', 'one pool: its owner name')
    .argument('[type]', 'and its type (default A)')
    .action(async (name: string | undefined, type: string | undefined, flags: ClientFlags) => {
      if (name === undefined && type !== undefined) throw new CliError('give the pool name before its type', EXIT_USAGE);
      const path = name === undefined ? ['staleness'] : ['staleness', name, type ?? 'A'];
      const view = (await adminRequest(flags, 'GET', path)) as StalenessView;
      emit(flags.json, view, () => renderStaleness(view));
    });
}
