import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../log/logger.js';
import { UDP } from '../metrics/query-stats.js';
import type { QueryHandler } from './handler.js';

/** Kernel receive buffer asked for, so bursts queue instead of being dropped while a worker is busy. */
const RECEIVE_BUFFER = 4 * 1024 * 1024;

export async function listenUdp(host: string, port: number, handler: QueryHandler, log: Logger): Promise<Socket> {
  const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  socket.on('message', (msg, peer) => {
    let response: Buffer | undefined;
    try {
      response = handler.handle(msg, UDP, 0, peer.address);
    } catch (err) {
      // A bug on one packet must never take the server down with it.
      log.error({ err, peer: peer.address }, 'query handling failed');
      return;
    }
    if (response !== undefined) socket.send(response, peer.port, peer.address);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (err) => log.error({ err }, 'UDP socket error'));
  try {
    socket.setRecvBufferSize(RECEIVE_BUFFER);
  } catch (err) {
    log.warn({ err }, 'could not enlarge the UDP receive buffer');
  }
  return socket;
}
