// `flipdns record`: static records added at run time, served as if they were in
// their zone file.

import type { Command } from 'commander';
import type { RuntimeRecord } from '../pools/model.js';
import { type ClientFlags, adminRequest, withClientOptions } from './admin-client.js';
import { wholeNumberArg } from './arg-parsers.js';
import { emit, table } from './output.js';

export function registerRecordCommands(program: Command): void {
  const record = program.command('record').description('run-time static records');

  withClientOptions(record.command('set'), { reason: 'optional' })
    .description('add or replace the records of NAME and TYPE')
    .argument('<name>', 'owner name, e.g. www.example.test.')
    .argument('<type>', 'record type, e.g. A, TXT')
    .argument('<values...>', 'RDATA in zone-file form, one argument per record')
    .option('--ttl <SECONDS>', 'TTL', wholeNumberArg)
    .action(async (name: string, type: string, values: string[], flags: ClientFlags & { ttl?: number }) => {
      const body = await adminRequest(flags, 'PUT', ['records', name, type], { values, ...(flags.ttl === undefined ? {} : { ttl: flags.ttl }) });
      emit(flags.json, body, () => formatRecords([(body as { record: RuntimeRecord }).record]));
    });

  withClientOptions(record.command('rm'), { reason: 'optional' })
    .description('remove the run-time records of NAME and TYPE')
    .argument('<name>')
    .argument('<type>')
    .action(async (name: string, type: string, flags: ClientFlags) => {
      const body = await adminRequest(flags, 'DELETE', ['records', name, type]);
      emit(flags.json, body, () => `removed ${(body as { removed: string }).removed}\n`);
    });

  withClientOptions(record.command('list'), { reason: 'none' })
    .description('list the run-time records (not those of zone files)')
    .action(async (flags: ClientFlags) => {
      const body = (await adminRequest(flags, 'GET', ['records'])) as { records: RuntimeRecord[] };
      emit(flags.json, body, () => (body.records.length === 0 ? 'no run-time records\n' : formatRecords(body.records)));
    });
}

function formatRecords(records: RuntimeRecord[]): string {
  return table(['NAME', 'TTL', 'TYPE', 'VALUE'], records.flatMap((record) => record.values.map((value) => [record.name, String(record.ttl), record.type, value])));
}
