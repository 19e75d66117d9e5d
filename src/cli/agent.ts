// `flipdns agent`: runs next to a service, checks it locally, and sends its
// node's heartbeats while the check passes. Stops cleanly on SIGTERM or SIGINT.

import { readFileSync } from 'node:fs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { Agent } from '../agent/agent.js';
import { type Check, commandCheck, httpCheck, noCheck, parseHostPort, tcpCheck } from '../checks/probes.js';
import { DEFAULT_SERVER, caFileOption } from './admin-client.js';
import { integerArg, urlArg } from './arg-parsers.js';
import { CliError } from './cli-error.js';
import { EXIT_USAGE } from './exit-codes.js';
import { nodeTokenOption } from './node-token-option.js';

interface AgentFlags {
  node: string;
  token: string;
  server?: string[];
  interval?: number;
  checkCmd?: string;
  checkTcp?: { host: string; port: number };
  checkHttp?: string;
  checkTimeout: number;
  caFile?: string;
}

const CHECKS = ['checkCmd', 'checkTcp', 'checkHttp'];

export function registerAgentCommand(program: Command): void {
  program
    .command('agent')
    .description("send a node's heartbeats every interval while a local check of its service passes")
    .requiredOption('--node <ID>', 'the node this agent speaks for')
    .addOption(nodeTokenOption())
    .addOption(
      new Option('--server <URL>', `admin API of a flipdns instance; repeat (or separate with commas) for redundancy (default ${DEFAULT_SERVER})`)
        .env('FLIPDNS_SERVER')
        .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), ...value.split(',').map(urlArg)]),
    )
    .addOption(caFileOption())
    .option('--interval <MS>', "ms between heartbeats (default: the node's interval, as the server reports it)", integerArg(10, 3_600_000))
    .addOption(new Option('--check-cmd <CMD>', 'healthy while this shell command exits 0').conflicts(others('checkCmd')))
    .addOption(new Option('--check-tcp <HOST:PORT>', 'healthy while a TCP connection opens').argParser(hostPortArg).conflicts(others('checkTcp')))
    .addOption(new Option('--check-http <URL>', 'healthy while the URL answers below 400').argParser(urlArg).conflicts(others('checkHttp')))
    .option('--check-timeout <MS>', 'a check taking longer fails', integerArg(10, 600_000), 1000)
    .action(async (flags: AgentFlags) => {
      const log = pino({ base: { node: flags.node, pid: process.pid } });
      // A CA file that cannot be read is a mistake to say at start, not a server to call unreachable each round.
      if (flags.caFile) {
        try {
          readFileSync(flags.caFile);
        } catch (err) {
          throw new CliError(`cannot read the CA file ${flags.caFile} (--ca-file, FLIPDNS_CA_FILE): ${(err as Error).message}`, EXIT_USAGE);
        }
      }
      const servers = flags.server ?? [DEFAULT_SERVER];
      const { check, description } = checkFrom(flags);
      const agent = new Agent({ node: flags.node, token: flags.token, servers, intervalMs: flags.interval, check, checkTimeoutMs: flags.checkTimeout, log, caFile: flags.caFile });
      log.info({ servers, intervalMs: flags.interval ?? 'from server', check: description }, 'agent started');
      agent.start();
      const signal = await firstSignal('SIGTERM', 'SIGINT');
      await agent.stop();
      log.info({ signal }, 'agent stopped');
    });
}

function firstSignal(...signals: NodeJS.Signals[]): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const received = (signal: NodeJS.Signals): void => {
      for (const name of signals) process.off(name, received);
      resolve(signal);
    };
    for (const name of signals) process.on(name, received);
  });
}

function others(check: string): string[] {
  return CHECKS.filter((name) => name !== check);
}

function hostPortArg(raw: string): { host: string; port: number } {
  try {
    return parseHostPort(raw);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

function checkFrom(flags: AgentFlags): { check: Check; description: string } {
  if (flags.checkCmd !== undefined) return { check: commandCheck(flags.checkCmd), description: `command ${flags.checkCmd}` };
  if (flags.checkTcp) return { check: tcpCheck(flags.checkTcp.host, flags.checkTcp.port), description: `tcp ${flags.checkTcp.host}:${flags.checkTcp.port}` };
  if (flags.checkHttp) return { check: httpCheck(flags.checkHttp), description: `http ${flags.checkHttp}` };
  return { check: noCheck, description: 'none' };
}
