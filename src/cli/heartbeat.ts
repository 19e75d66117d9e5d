import type { Command } from 'commander';
import type { NodeView } from '../api/views.js';
import { request, serverOption } from './admin-client.js';
import { nodeTokenOption } from './node-token-option.js';
import { emit } from './output.js';

export function registerHeartbeatCommand(program: Command): void {
  program
    .command('heartbeat')
    .description("send one heartbeat for NODE, with the node's own token (`flipdns agent` sends them on a schedule)")
    .argument('<node>', 'node id')
    .addOption(nodeTokenOption())
    .addOption(serverOption())
    .option('--json', 'print the server answer as JSON')
    .action(async (node: string, flags: { token: string; server: string; json?: boolean }) => {
      const body = (await request(flags.server, { method: 'POST', path: ['nodes', node, 'heartbeat'], token: flags.token })) as { node: NodeView };
      emit(flags.json, body, () => `${node}: heartbeat taken, health ${body.node.health}\n`);
    });
}
