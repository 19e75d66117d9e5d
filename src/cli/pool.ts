// `flipdns pool`: names whose answer follows the health of their members.

import { type Command, Option } from 'commander';
import type { NodeStatus, PoolStatus } from '../api/context.js';
import type { PoolSpec } from '../pools/model.js';
import { type ClientFlags, adminRequest, withClientOptions } from './admin-client.js';
import { wholeNumberArg } from './arg-parsers.js';
import { EXIT_PROBLEMS } from './exit-codes.js';
import { emit } from './output.js';
import { type MemberArg, collectMember } from './pool-member.js';
import { renderPool } from './render-status.js';

interface CreateFlags extends ClientFlags {
  policy: PoolSpec['policy'];
  member: MemberArg[];
  ttl?: number;
  ttlPolicy?: PoolSpec['ttlPolicy'];
  shortTtl?: number;
  failback?: PoolSpec['failback'];
  limit?: number;
  allDown?: PoolSpec['allDown'];
  fallback?: string[];
  startup?: PoolSpec['startup'];
}

/** Options left out are left to the server's defaults. */
const OPTIONAL_FIELDS = ['ttl', 'ttlPolicy', 'shortTtl', 'failback', 'limit', 'allDown', 'fallback', 'startup'] as const;

export function registerPoolCommands(program: Command): void {
  const pool = program.command('pool').description('pools: answers that follow node health');

  withClientOptions(pool.command('create'), { reason: 'optional' })
    .description('create or replace the pool NAME TYPE (A, AAAA or CNAME)')
    .argument('<name>', 'owner name, e.g. app.example.test.')
    .argument('<type>', 'A, AAAA or CNAME')
    .addOption(new Option('--policy <POLICY>', 'how members are chosen').choices(['failover', 'multivalue', 'weighted']).makeOptionMandatory())
    .requiredOption('--member <SPEC>', 'id=ID,node=NODE,value=VALUE[,weight=W][,priority=P]; repeat for each member', collectMember)
    .option('--ttl <SECONDS>', 'TTL of the answers', wholeNumberArg)
    .addOption(new Option('--ttl-policy <POLICY>', 'adaptive: --short-ttl while a member in the answer is late, and for one TTL after a change').choices(['static', 'adaptive']))
    .option('--short-ttl <SECONDS>', 'the TTL of an adaptive pool while unsettled (default 1)', wholeNumberArg)
    .addOption(new Option('--failback <MODE>', 'failover: return to recovered members by itself or on `pool failback`').choices(['auto', 'manual']))
    .option('--limit <N>', 'multivalue: most addresses per answer; weighted: members per answer', wholeNumberArg)
    .addOption(new Option('--all-down <BEHAVIOUR>', 'answer when no member is available').choices(['all', 'last-known', 'fallback', 'nodata', 'servfail']))
    .option('--fallback <VALUES...>', 'answered when --all-down is fallback')
    .addOption(new Option('--startup <BEHAVIOUR>', 'how members not yet heard from count').choices(['assume-up', 'assume-down']))
    .action(async (name: string, type: string, flags: CreateFlags) => {
      const spec: Record<string, unknown> = { policy: flags.policy, members: flags.member };
      for (const field of OPTIONAL_FIELDS) if (flags[field] !== undefined) spec[field] = flags[field];
      const body = await adminRequest(flags, 'PUT', ['pools', name, type], spec);
      emit(flags.json, body, () => {
        const saved = (body as { pool: PoolSpec }).pool;
        return `pool ${saved.name} ${saved.type} (${saved.policy}): ${saved.members.map((m) => `${m.id}=${m.value}`).join(', ')}\n`;
      });
    });

  withClientOptions(pool.command('rm'), { reason: 'optional' })
    .description('remove a run-time pool')
    .argument('<name>')
    .argument('<type>')
    .action(async (name: string, type: string, flags: ClientFlags) => {
      const body = await adminRequest(flags, 'DELETE', ['pools', name, type]);
      emit(flags.json, body, () => `removed ${(body as { removed: string }).removed}\n`);
    });

  withClientOptions(pool.command('list'), { reason: 'none' })
    .description('every pool, from zone files and run time, with its members')
    .action(async (flags: ClientFlags) => {
      const body = (await adminRequest(flags, 'GET', ['pools'])) as { pools: PoolStatus[] };
      const nodes = flags.json ? [] : await listNodes(flags);
      emit(flags.json, body, () => (body.pools.length === 0 ? 'no pools\n' : body.pools.map((p) => renderPool(p, nodes)).join('\n')));
    });

  withClientOptions(pool.command('show'), { reason: 'none' })
    .description('one pool, its members and their health; exit 1 when all are down')
    .argument('<name>')
    .argument('<type>')
    .action(async (name: string, type: string, flags: ClientFlags) => {
      const body = (await adminRequest(flags, 'GET', ['pools', name, type])) as { pool: PoolStatus; spec?: PoolSpec };
      const nodes = flags.json ? [] : await listNodes(flags);
      emit(flags.json, body, () => renderPool(body.pool, nodes));
      if (body.pool.allDown) process.exitCode = EXIT_PROBLEMS;
    });

  withClientOptions(pool.command('failback'), { reason: 'optional' })
    .description('failback manual: release the members held out after a failure')
    .argument('<name>')
    .argument('<type>')
    .action(async (name: string, type: string, flags: ClientFlags) => {
      const body = (await adminRequest(flags, 'POST', ['pools', name, type, 'failback'])) as { pool: string; released: string[] };
      emit(flags.json, body, () => `${body.pool}: ${body.released.length === 0 ? 'no member was held' : `released ${body.released.join(', ')}`}\n`);
    });
}

async function listNodes(flags: ClientFlags): Promise<NodeStatus[]> {
  return ((await adminRequest(flags, 'GET', ['nodes'])) as { nodes: NodeStatus[] }).nodes;
}
