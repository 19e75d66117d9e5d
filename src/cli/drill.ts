import { type Command, InvalidArgumentError, Option } from 'commander';
import { renderDrill } from './render-drill.js';
import { findBinary } from '../measure/drill/lab.js';
import { ALL_VARIANTS, type ResolverVariant } from '../measure/drill/resolvers.js';
import { runDrill, writeDrill } from '../measure/drill/drill.js';
import type { DrillSettings } from '../measure/drill/trial.js';
import { integerArg } from './arg-parsers.js';
import { CliError } from './cli-error.js';
import { EXIT_USAGE } from './exit-codes.js';

interface DrillFlags {
  ttl: number;
  interval: number;
  fall: number;
  rise: number;
  resolvers?: ResolverVariant[];
  clients: number;
  rate: number;
  trials: number;
  seed: number;
  store: DrillSettings['store'];
  fault: DrillSettings['fault'];
  ttlPolicy: DrillSettings['ttlPolicy'];
  observe: number;
  warmup?: number;
  out?: string;
  json?: boolean;
}

export function registerDrillCommand(program: Command): void {
  program
    .command('drill')
    .description('a reproducible failover on this machine with real resolvers, agents and simulated clients: detection, flip, and who kept sending users to the dead node, for how long')
    .option('--ttl <SECONDS>', 'TTL of the pool', integerArg(0, 3600), 5)
    .option('--interval <MS>', 'heartbeat interval of the nodes (and their agents)', integerArg(10, 60_000), 100)
    .option('--fall <N>', 'missed intervals before a silent node is down', integerArg(1, 100), 3)
    .option('--rise <N>', 'beats before a node is up again', integerArg(1, 100), 2)
    .option('--resolvers <LIST>', `resolvers to start, comma-separated: ${ALL_VARIANTS.join(', ')} (default: all; bind when named is installed)`, variantsArg)
    .option('--clients <N>', 'simulated clients behind each resolver', integerArg(0, 100_000), 500)
    .option('--rate <Q>', 'lookups per second per client (Poisson)', rateArg, 0.02)
    .option('--trials <N>', 'failovers to run; figures are given as mean [min-max]', integerArg(1, 1000), 1)
    .option('--seed <N>', 'seed of the first trial (the next get the following numbers)', integerArg(0, 2 ** 31), 1)
    .addOption(new Option('--store <STORE>', 'embedded: one instance; redis: two instances on a redis-server the drill starts').choices(['embedded', 'redis']).default('embedded'))
    .addOption(new Option('--fault <FAULT>', "check: the primary's service stops and its agent sees it; node: the node vanishes, agent and all").choices(['check', 'node']).default('check'))
    .addOption(new Option('--ttl-policy <POLICY>', "the pool's TTL policy").choices(['static', 'adaptive']).default('static'))
    .option('--observe <SECONDS>', 'how long after the failure to watch', integerArg(1, 3600), 60)
    .option('--warmup <SECONDS>', 'the failure comes at a random moment in this span, so caches are at a random phase (default: the TTL, or 31 s with unbound-clamp)', integerArg(0, 3600))
    .option('--out <DIR>', 'where to write drill.json and drill.svg (default: a new temp dir)')
    .option('--json', 'print the whole report as JSON instead of the table')
    .action(async (flags: DrillFlags) => {
      const resolvers = flags.resolvers ?? defaultVariants();
      for (const binary of new Set(resolvers.map((variant) => (variant === 'bind' ? 'named' : 'unbound')))) {
        try {
          findBinary(binary, binary === 'named' ? 'bind9' : 'unbound');
        } catch (err) {
          throw new CliError((err as Error).message, EXIT_USAGE);
        }
      }
      const settings: DrillSettings = {
        ttl: flags.ttl,
        intervalMs: flags.interval,
        fall: flags.fall,
        rise: flags.rise,
        resolvers,
        clients: flags.clients,
        rate: flags.rate,
        store: flags.store,
        fault: flags.fault,
        ttlPolicy: flags.ttlPolicy,
        observe: flags.observe,
        warmup: flags.warmup ?? (resolvers.includes('unbound-clamp') ? 31 : flags.ttl),
      };
      const report = await runDrill(settings, flags.trials, flags.seed, (line) => process.stderr.write(`drill: ${line}\n`));
      const files = writeDrill(report, flags.out);
      process.stdout.write(flags.json ? JSON.stringify(report, null, 2) + '\n' : renderDrill(report, files));
    });
}

/** Every variant, BIND only when named is installed (it is optional). */
function defaultVariants(): ResolverVariant[] {
  try {
    findBinary('named', 'bind9');
    return ALL_VARIANTS;
  } catch {
    process.stderr.write('drill: named is not installed: running without the BIND forwarder\n');
    return ALL_VARIANTS.filter((variant) => variant !== 'bind');
  }
}

function variantsArg(raw: string): ResolverVariant[] {
  const names = raw.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !ALL_VARIANTS.includes(name as ResolverVariant));
  if (unknown.length > 0 || names.length === 0) throw new InvalidArgumentError(`unknown resolver ${unknown.join(', ')}; known: ${ALL_VARIANTS.join(', ')}`);
  return [...new Set(names)] as ResolverVariant[];
}

function rateArg(raw: string): number {
  const value = Number(raw);
  if (!/^\d+(\.\d+)?$/.test(raw) || value <= 0 || value > 1000) throw new InvalidArgumentError('must be a number of lookups per second, above 0 and at most 1000');
  return value;
}
