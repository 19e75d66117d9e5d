import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { SCHEMA } from '../config/schema.js';
import { ProbeError, runProbe } from '../measure/probe/probe.js';
import type { Question, Target } from '../measure/probe/observe.js';
import { renderProbe } from './render-probe.js';
import { integerArg, serverArg } from './arg-parsers.js';
import { CliError } from './cli-error.js';
import { EXIT_PROBLEMS, EXIT_UNREACHABLE, EXIT_USAGE } from './exit-codes.js';
import { emit } from './output.js';

interface ProbeFlags {
  resolver?: Array<{ host: string; port: number }>;
  system?: boolean;
  resolvConf: string;
  type: Question['type'];
  duration?: number;
  interval: number;
  authority: { host: string; port: number };
  ttl?: number;
  json?: boolean;
}

const DNS_PORT = 53;

export function registerProbeCommand(program: Command): void {
  program
    .command('probe')
    .description('ask resolvers for NAME at a short interval: what each hands out over time, how it treats our TTL (honours, clamps, serves stale, prefetches), how long it kept an old answer after a flip')
    .argument('<name>', 'the name to ask about, e.g. a pool')
    .option('--resolver <HOST[:PORT]>', 'a resolver to probe; repeat for several', (raw: string, previous: Array<{ host: string; port: number }> = []) => [...previous, serverArg(DNS_PORT)(raw)])
    .option('--system', "also probe this machine's resolvers (the nameserver lines of --resolv-conf)")
    .option('--resolv-conf <FILE>', 'where --system reads nameservers', '/etc/resolv.conf')
    .addOption(new Option('--type <TYPE>', 'record type to ask').choices(['A', 'AAAA', 'CNAME']).default('A'))
    .option('--duration <SECONDS>', 'how long to ask (default: two of our TTLs and 2 s, at least 10 s)', integerArg(1, 86400))
    .option('--interval <MS>', 'ms between two questions to one resolver', integerArg(10, 60000), 100)
    .option('--authority <HOST[:PORT]>', 'the authoritative server, asked alongside for our TTL and the moment of a flip', serverArg(SCHEMA.port.default), { host: '127.0.0.1', port: SCHEMA.port.default })
    .option('--ttl <SECONDS>', "our TTL, when the authority is not to be asked", integerArg(0, 2147483647))
    .option('--json', 'print every figure as JSON')
    .action(async (name: string, flags: ProbeFlags, command: Command) => {
      const resolvers = [...(flags.resolver ?? []), ...(flags.system ? systemResolvers(flags.resolvConf) : [])].map(
        ({ host, port }): Target => ({ label: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`, host, port }),
      );
      if (resolvers.length === 0) throw new CliError('give at least one --resolver HOST[:PORT], or --system', EXIT_USAGE);
      const controller = new AbortController();
      process.once('SIGINT', () => controller.abort());
            // With --ttl and no --authority, no authority is asked: there may be none to ask.
      const authority = flags.ttl !== undefined && command.getOptionValueSource('authority') === 'default' ? undefined : flags.authority;
      const report = await runProbe({
        question: { name, type: flags.type },
        resolvers,
        authority: authority && { label: `${authority.host}:${authority.port}`, ...authority },
        ttl: flags.ttl,
        intervalMs: flags.interval,
        durationMs: flags.duration === undefined ? undefined : flags.duration * 1000,
        signal: controller.signal,
      }).catch((err: unknown) => {
        throw err instanceof ProbeError ? new CliError(err.message, EXIT_UNREACHABLE) : err;
      });
      emit(flags.json, report, () => renderProbe(report));
      const silent = report.resolvers.filter((r) => r.failures === r.queries).map((r) => r.resolver);
      if (silent.length > 0) {
        process.stderr.write(`flipdns: no answer at all from ${silent.join(', ')}\n`);
        process.exitCode = EXIT_PROBLEMS;
      }
    });
}

function systemResolvers(file: string): Array<{ host: string; port: number }> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new CliError(`--system: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, EXIT_USAGE);
  }
  const found = [...text.matchAll(/^\s*nameserver\s+(\S+)/gm)].map((m) => ({ host: m[1].replace(/%.*$/, ''), port: DNS_PORT }));
  if (found.length === 0) throw new CliError(`--system: no nameserver line in ${file}`, EXIT_USAGE);
  return found;
}
