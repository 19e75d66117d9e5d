// DNS over TCP (RFC 7766): two-byte length prefixes, any number of queries
// pipelined on one connection and answered in order, an idle timeout and a cap
// on connections.

import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log/logger.js';
import { TCP } from '../metrics/query-stats.js';
import type { QueryHandler } from './handler.js';

const LENGTH_PREFIX = 2;

export interface TcpOptions {
  idleTimeoutMs: number;
  maxConnections: number;
}

export async function listenTcp(host: string, port: number, handler: QueryHandler, options: TcpOptions, log: Logger): Promise<Server> {
  const server = createServer({ noDelay: true }, (socket) => serveConnection(socket, handler, options, log));
  server.maxConnections = options.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'TCP server error'));
  return server;
}

function serveConnection(socket: Socket, handler: QueryHandler, options: TcpOptions, log: Logger): void {
  let pending: Buffer | undefined;
  const source = socket.remoteAddress ?? '';
  socket.setTimeout(options.idleTimeoutMs, () => socket.destroy());
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: Buffer) => {
    const data = pending === undefined ? chunk : Buffer.concat([pending, chunk]);
    const responses: Buffer[] = [];
    let pos = 0;
    while (data.length - pos >= LENGTH_PREFIX) {
      const end = pos + LENGTH_PREFIX + data.readUInt16BE(pos);
      if (end > data.length) break;
      try {
        const response = handler.handle(data.subarray(pos + LENGTH_PREFIX, end), TCP, LENGTH_PREFIX, source);
        if (response !== undefined) responses.push(response);
      } catch (err) {
        log.error({ err, peer: socket.remoteAddress }, 'query handling failed');
        socket.destroy();
        return;
      }
      pos = end;
    }
    pending = pos < data.length ? data.subarray(pos) : undefined;
    if (responses.length === 1) socket.write(responses[0]);
    else if (responses.length > 1) socket.write(Buffer.concat(responses));
  });
}
