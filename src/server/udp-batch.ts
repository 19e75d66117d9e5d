// What every UDP transport shares: it hands over a batch of datagrams, each
// goes through the one synchronous query handler, and the answers go back
// into the batch for the transport to send. Node's dgram hands batches of one,
// the native module up to 64.

import type { Logger } from '../log/logger.js';
import { type QueryStats, UDP } from '../metrics/query-stats.js';
import type { QueryHandler } from './handler.js';

export interface DatagramBatch {
  readonly size: number;
  /** Datagram i; its bytes are only valid until the batch is answered. */
  message(i: number): Buffer;
  /** The address datagram i came from, as text (as Node's dgram gives it). */
  source(i: number): string;
  /** The answer to datagram i, sent to where it came from. */
  reply(i: number, response: Buffer): void;
}

export type UdpTransportKind = 'native' | 'dgram';

export interface UdpTransport {
  readonly kind: UdpTransportKind;
  close(): Promise<void>;
}

export class DatagramAnswerer {
  constructor(
    private readonly handler: QueryHandler,
    private readonly stats: QueryStats,
    private readonly log: Logger,
  ) {}

  answer(batch: DatagramBatch): void {
    this.stats.udpBatches[batch.size]++;
    for (let i = 0; i < batch.size; i++) {
      try {
        const response = this.handler.handle(batch.message(i), UDP, 0, batch.source(i));
        if (response !== undefined) batch.reply(i, response);
      } catch (err) {
        // A bug on one packet must never take the server down with it.
        this.log.error({ err, peer: batch.source(i) }, 'query handling failed');
      }
    }
  }
}
