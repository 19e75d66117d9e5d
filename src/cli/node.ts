// `flipdns node`: the nodes whose heartbeats decide pool answers, and operator
// overrides of their health.

import { type Command, Option } from 'commander';
import type { NodeStatus } from '../api/context.js';
import type { NodeView } from '../api/views.js';
import type { NodeCheck } from '../checks/model.js';
import type { AdminState } from '../health/model.js';
import { type ClientFlags, adminRequest, withClientOptions } from './admin-client.js';
import { wholeNumberArg } from './arg-parsers.js';
import { emit } from './output.js';
import { renderNodes } from './render-status.js';

interface CheckFlags extends ClientFlags {
  interval?: number;
  timeout?: number;
  fall?: number;
  rise?: number;
}

interface AddFlags extends ClientFlags {
  interval?: number;
  fall?: number;
  rise?: number;
  nodeToken?: string;
}

export function registerNodeCommands(program: Command): void {
  const node = program.command('node').description('nodes and their health overrides');

  const contractOptions = (command: Command): Command =>
    command
      .argument('<id>', 'node id')
      .option('--interval <MS>', 'ms between the heartbeats the node sends', wholeNumberArg)
      .option('--fall <N>', 'missed intervals before the node is down', wholeNumberArg)
      .option('--rise <N>', 'on-time heartbeats that bring a down node up', wholeNumberArg)
      .addOption(new Option('--node-token <TOKEN>', "the node's heartbeat token (node add without one: a random token, printed once; node update without one: the token stays)"));

  contractOptions(withClientOptions(node.command('add'), { reason: 'optional' }))
    .description('add a node (refused if it exists: use node update); what is not given takes its default')
    .action((id: string, flags: AddFlags) => saveNode(id, flags, 'PUT', { 'if-none-match': '*' }));

  contractOptions(withClientOptions(node.command('update'), { reason: 'optional' }))
    .description("change a node's heartbeat contract or token; what is not given stays as it is")
    .action((id: string, flags: AddFlags) => saveNode(id, flags, 'PATCH', {}));

  withClientOptions(node.command('rm'), { reason: 'optional' })
    .description('remove a node, and its server-side check')
    .argument('<id>', 'node id')
    .action(async (id: string, flags: ClientFlags) => {
      const body = await adminRequest(flags, 'DELETE', ['nodes', id]);
      emit(flags.json, body, () => `removed ${(body as { removed: string }).removed}\n`);
    });

  withClientOptions(node.command('check'), { reason: 'optional' })
    .description("probe the node's service from every flipdns instance; the node is out of answers while most instances' checks fail")
    .argument('<id>', 'node id')
    .argument('<url>', 'tcp://HOST:PORT (a connection opens) or an http(s):// URL (a status below 400)')
    .option('--interval <MS>', 'ms between probes (default 1000)', wholeNumberArg)
    .option('--timeout <MS>', 'ms a probe may take, at most the interval (default 500)', wholeNumberArg)
    .option('--fall <N>', 'failed probes in a row before an instance says the check fails (default 3)', wholeNumberArg)
    .option('--rise <N>', 'passed probes in a row before it says the check passes again (default 2)', wholeNumberArg)
    .action(async (id: string, url: string, flags: CheckFlags) => {
      const check = { url, intervalMs: flags.interval, timeoutMs: flags.timeout, fall: flags.fall, rise: flags.rise };
      const body = (await adminRequest(flags, 'PUT', ['nodes', id, 'check'], check)) as { check: NodeCheck };
      emit(flags.json, body, () => `node ${id}: checked at ${body.check.url} every ${body.check.intervalMs} ms (timeout ${body.check.timeoutMs} ms), failing after ${body.check.fall}, passing after ${body.check.rise}\n`);
    });

  withClientOptions(node.command('uncheck'), { reason: 'optional' })
    .description("stop the node's server-side check: heartbeats alone decide again")
    .argument('<id>', 'node id')
    .action(async (id: string, flags: ClientFlags) => {
      const body = await adminRequest(flags, 'DELETE', ['nodes', id, 'check']);
      emit(flags.json, body, () => `node ${id}: no server-side check\n`);
    });

  withClientOptions(node.command('list'), { reason: 'none' })
    .description('every node with its health')
    .action(async (flags: ClientFlags) => {
      const body = (await adminRequest(flags, 'GET', ['nodes'])) as { nodes: NodeStatus[] };
      emit(flags.json, body, () => renderNodes(body.nodes));
    });

  withClientOptions(node.command('drain'), { reason: 'required' })
    .description('take the node out of answers, whatever its health')
    .argument('<id>', 'node id')
    .action((id: string, flags: ClientFlags) => setAdmin(id, 'drain', flags));

  withClientOptions(node.command('undrain'), { reason: 'optional' })
    .description('end a drain or force: health decides again')
    .argument('<id>', 'node id')
    .action((id: string, flags: ClientFlags) => setAdmin(id, 'none', flags));

  withClientOptions(node.command('force'), { reason: 'required' })
    .description('count the node as up or down, whatever its heartbeats say')
    .argument('<id>', 'node id')
    .addArgument(program.createArgument('<state>', 'up or down').choices(['up', 'down']))
    .action((id: string, state: 'up' | 'down', flags: ClientFlags) => setAdmin(id, state === 'up' ? 'force-up' : 'force-down', flags));
}

async function saveNode(id: string, flags: AddFlags, method: 'PUT' | 'PATCH', headers: Record<string, string>): Promise<void> {
  const contract = { intervalMs: flags.interval, fall: flags.fall, rise: flags.rise, token: flags.nodeToken };
  const body = (await adminRequest(flags, method, ['nodes', id], contract, headers)) as { node: NodeView; token?: string };
  emit(flags.json, body, () => {
    const { node: saved, token } = body;
    const summary = `node ${saved.id}: every ${saved.intervalMs} ms, down after ${saved.fall} missed, up after ${saved.rise}; ${saved.health}\n`;
    return token ? `${summary}token: ${token}\n(shown only now: the server keeps its SHA-256 only)\n` : summary;
  });
}

async function setAdmin(id: string, state: AdminState, flags: ClientFlags): Promise<void> {
  const body = (await adminRequest(flags, 'POST', ['nodes', id, 'admin'], { state, reason: flags.reason ?? '' })) as { node: NodeView };
  emit(flags.json, body, () => `node ${id}: ${state === 'none' ? 'no override' : state}, health ${body.node.health}\n`);
}
