import type { Command } from 'commander';
import type { NodeView } from '../api/views.js';
import { caFileOption, request, serverOption } from './admin-client.js';
import { nodeTokenOption } from './node-token-option.js';
import { emit } from './output.js';

export function registerHeartbeatCommand(program: Command): void {
  program
    .command('heartbeat')
    .description("send one heartbeat for NODE, with the node's own token (`flipdns agent` sends them on a schedule)")
    .argument('<node>', 'node id')
    .addOption(nodeTokenOption())
    .addOption(serverOption())
    .addOption(caFileOption())
    .option('--json', 'print the server answer as JSON')
    .action(async (node: string, flags: { token: string; server: string; json?: boolean; caFile?: string }) => {
      const body = (await request(flags.server, { method: 'POST', path: ['nodes', node, 'heartbeat'], token: flags.token, caFile: flags.caFile })) as { node: NodeView };
      emit(flags.json, body, () => `${node}: heartbeat taken, health ${body.node.health}\n`);
    });
}
