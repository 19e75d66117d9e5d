// `flipdns compare`: the four ways to move users off a failed node, measured on
// one failure with the daemons people use (src/measure/compare/README.md).

import { type Command, InvalidArgumentError } from 'commander';
import { findBinary } from '../measure/drill/lab.js';
import { ALL_METHODS, defaultSettings, runCompare, writeCompare } from '../measure/compare/compare.js';
import type { Method } from '../measure/compare/row.js';
import { integerArg } from './arg-parsers.js';
import { CliError } from './cli-error.js';
import { EXIT_USAGE } from './exit-codes.js';
import { renderCompare } from './render-compare.js';

interface CompareFlags {
  methods?: Method[];
  trials: number;
  seed: number;
  short?: boolean;
  ttl?: number;
  interval?: number;
  fall?: number;
  clients?: number;
  advert?: number;
  bfdInterval?: number;
  bfdMultiplier?: number;
  hold?: number;
  out?: string;
  json?: boolean;
}

/** What each method's labs run; checked before anything starts, so a missing package is one line, not a half-run. */
const BINARIES: Record<Method, Array<[string, string]>> = {
  client: [],
  router: [['bird', 'bird2'], ['ip', 'iproute2']],
  garp: [['keepalived', 'keepalived'], ['ip', 'iproute2'], ['tcpdump', 'tcpdump'], ['tc', 'iproute2']],
  dns: [['unbound', 'unbound']],
};

export function registerCompareCommand(program: Command): void {
  program
    .command('compare')
    .description('the four ways to move users off a failed node (client commanding, router commanding, gratuitous ARP, DNS) measured on one failure with real daemons in network namespaces (needs root; without it, only the DNS rows, the client-cache models and client commanding)')
    .option('--methods <LIST>', `methods to run, comma-separated: ${ALL_METHODS.join(', ')} (default: all)`, methodsArg)
    .option('--trials <N>', 'failures per method; figures are mean [min-max]', integerArg(1, 100), 1)
    .option('--seed <N>', 'seed of the random phases', integerArg(0, 2 ** 31), 1)
    .option('--short', 'the short version CI runs: shorter observations, 100 commanded clients, short client neighbour timers')
    .option('--ttl <SECONDS>', 'DNS: TTL of the pool (default 5)', integerArg(1, 3600))
    .option('--interval <MS>', 'DNS and client commanding: heartbeat interval (default 100)', integerArg(10, 60_000))
    .option('--fall <N>', 'DNS and client commanding: missed heartbeats before down (default 3)', integerArg(1, 100))
    .option('--clients <N>', 'client commanding: clients told to switch (default 1000, 100 with --short)', integerArg(1, 20_000))
    .option('--advert <MS>', 'VRRP: advert interval, a multiple of 10 (default 100)', integerArg(10, 40_950))
    .option('--bfd-interval <MS>', 'BGP: BFD interval (default 100)', integerArg(10, 10_000))
    .option('--bfd-multiplier <N>', 'BGP: BFD detection multiplier (default 5)', integerArg(1, 255))
    .option('--hold <SECONDS>', 'BGP without BFD: hold time (default 3, the least BGP allows)', integerArg(3, 65_535))
    .option('--out <DIR>', 'where to write compare.json and compare.svg (default: a new temp dir)')
    .option('--json', 'print the whole report as JSON instead of the table')
    .action(async (flags: CompareFlags) => {
      const settings = defaultSettings(flags.short === true);
      settings.trials = flags.trials;
      settings.seed = flags.seed;
      settings.methods = flags.methods ?? ALL_METHODS;
      settings.dns = { ...settings.dns, ...(flags.ttl !== undefined && { ttl: flags.ttl }), ...(flags.interval !== undefined && { intervalMs: flags.interval }), ...(flags.fall !== undefined && { fall: flags.fall }) };
      settings.commanding = { ...settings.commanding, ...(flags.clients !== undefined && { clients: flags.clients }), ...(flags.interval !== undefined && { intervalMs: flags.interval }), ...(flags.fall !== undefined && { fall: flags.fall }) };
      settings.vrrp = { ...settings.vrrp, ...(flags.advert !== undefined && { advertMs: flags.advert }) };
      settings.bgp = {
        ...settings.bgp,
        ...(flags.bfdInterval !== undefined && { bfdIntervalMs: flags.bfdInterval }),
        ...(flags.bfdMultiplier !== undefined && { bfdMultiplier: flags.bfdMultiplier }),
        ...(flags.hold !== undefined && { holdS: flags.hold, keepaliveS: Math.max(1, Math.floor(flags.hold / 3)) }),
      };
      if (flags.advert !== undefined && flags.advert % 10 !== 0) throw new CliError('--advert: must be a multiple of 10 ms (VRRPv3 counts centiseconds)', EXIT_USAGE);
      const root = process.getuid?.() === 0;
      if (!root) process.stderr.write('compare: not root: the namespace labs (router commanding, gratuitous ARP) do not run; the DNS rows, the client-cache models and client commanding do\n');
      for (const method of settings.methods) {
        if (!root && (method === 'router' || method === 'garp')) continue;
        for (const [binary, debianPackage] of BINARIES[method]) {
          try {
            findBinary(binary, debianPackage);
          } catch (err) {
            throw new CliError((err as Error).message, EXIT_USAGE);
          }
        }
      }
      const report = await runCompare(settings, (line) => process.stderr.write(`compare: ${line}\n`));
      const files = writeCompare(report, flags.out);
      process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : renderCompare(report, files));
    });
}

function methodsArg(raw: string): Method[] {
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !ALL_METHODS.includes(name as Method));
  if (unknown.length > 0) throw new InvalidArgumentError(`unknown method ${unknown.join(', ')}; known: ${ALL_METHODS.join(', ')}`);
  return [...new Set(names)] as Method[];
}
