// The `flipdns` command. Every sub-command fails with one line on stderr and a
// non-zero exit: 1 when the work found problems (or the server said no), 2 for
// bad usage, 3 when the server could not be reached.

import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '../config/load.js';
import { StoreSettingsError } from '../health/create-store.js';
import { CONFIG_FILE_ENV, CONFIG_FILE_FLAG, type ConfigKey, SCHEMA, envFor, flagFor } from '../config/schema.js';
import { VERSION } from '../config/version.js';
import { registerAgentCommand } from './agent.js';
import { registerCompareCommand } from './compare.js';
import { registerDrillCommand } from './drill.js';
import { CliError } from './cli-error.js';
import { EXIT_USAGE } from './exit-codes.js';
import { registerHeartbeatCommand } from './heartbeat.js';
import { registerNodeCommands } from './node.js';
import { registerPoolCommands } from './pool.js';
import { registerProbeCommand } from './probe.js';
import { registerQueryCommand } from './query.js';
import { registerRecordCommands } from './record.js';
import { serveCommand } from './serve.js';
import { registerStalenessCommand } from './staleness.js';
import { registerStatusCommand } from './status.js';
import { zoneCheckCommand } from './zone-check.js';
import { registerZoneReloadCommand } from './zone-reload.js';


export function buildProgram(): Command {
  const program = new Command('flipdns')
    .description('Authoritative DNS server for DNS-based failover')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(message.split('\n')[0] + '\n') });

  const serve = program.command('serve').description('serve the zones over UDP and TCP, with /metrics and /healthz over HTTP');
  serve.addOption(new Option(`${CONFIG_FILE_FLAG} <FILE>`, 'JSON config file with the settings below').env(CONFIG_FILE_ENV));
  for (const key of Object.keys(SCHEMA) as ConfigKey[]) {
    serve.addOption(new Option(`${flagFor(key)} <${SCHEMA[key].arg}>`, SCHEMA[key].description).env(envFor(key)));
  }
  serve.action(async (flags: Record<string, string>) => serveCommand(flags));

  const zone = program.command('zone').description('zone files');
  zone
    .command('check')
    .argument('[path]', 'folder of zone and pool files, or one such file', 'zones')
    .description('load every *.zone and *.pools.json file (or the one named) and print each error as file:line: message')
    .action((path: string) => zoneCheckCommand(path));
  registerZoneReloadCommand(zone);

  registerStatusCommand(program);
  registerRecordCommands(program);
  registerPoolCommands(program);
  registerNodeCommands(program);
  registerHeartbeatCommand(program);
  registerQueryCommand(program);
  registerAgentCommand(program);
  registerStalenessCommand(program);
  registerProbeCommand(program);
  registerDrillCommand(program);
  registerCompareCommand(program);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    if (err instanceof CliError) {
      process.stderr.write(`flipdns: ${err.message.split('\n')[0]}\n`);
      process.exitCode = err.exitCode;
      return;
    }
    if (err instanceof ConfigError || err instanceof StoreSettingsError) {
      process.stderr.write(`flipdns: ${err.message}\n`);
      // A refused start may have opened HTTP already (it answers while the store is awaited): it must not linger.
      process.exit(EXIT_USAGE);
    }
    throw err;
  }
}
