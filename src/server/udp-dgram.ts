// UDP through Node's dgram, everywhere: one datagram per 'message' event, so
// batches of one. The fallback when the native module is missing.

import { type RemoteInfo, createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from '../log/logger.js';
import { type QueryStats, UDP_NOBUFS, UDP_SEND_ERROR } from '../metrics/query-stats.js';
import type { DatagramAnswerer, DatagramBatch, UdpTransport } from './udp-batch.js';

/** Kernel receive buffer asked for, so bursts queue instead of being dropped while a worker is busy. */
export const RECEIVE_BUFFER = 4 * 1024 * 1024;

export async function listenDgram(host: string, port: number, answerer: DatagramAnswerer, stats: QueryStats, log: Logger): Promise<UdpTransport> {
  const socket = createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4' });
  // One batch object for every datagram: each is answered before the next event.
  let message = Buffer.alloc(0);
  let peer: RemoteInfo | undefined;
  const batch: DatagramBatch = {
    size: 1,
    message: () => message,
    source: () => peer!.address,
    reply: (_i, response) => socket.send(response, peer!.port, peer!.address),
  };
  socket.on('message', (msg, from) => {
    message = msg;
    peer = from;
    answerer.answer(batch);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (err: NodeJS.ErrnoException) => {
    // libuv queues what the socket cannot take yet (no EAGAIN here): a send error is an answer lost.
    if (err.syscall === 'send') stats.udp[err.code === 'ENOBUFS' ? UDP_NOBUFS : UDP_SEND_ERROR]++;
    log.error({ err }, 'UDP socket error');
  });
  try {
    socket.setRecvBufferSize(RECEIVE_BUFFER);
  } catch (err) {
    log.warn({ err }, 'could not enlarge the UDP receive buffer');
  }
  return { kind: 'dgram', close: () => new Promise<void>((resolve) => socket.close(() => resolve())) };
}
