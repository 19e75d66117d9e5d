// The UDP transports' figures (src/server/udp*.ts, native/udp.cc), kept in
// QueryStats' typed arrays on the hot path and copied in at scrape time.

import { Counter } from 'prom-client';
import { counterFrom } from './counter-from.js';
import { type QueryStats, UDP_AGAIN, UDP_NOBUFS, UDP_OVERSIZED, UDP_PARTIAL, UDP_SEND_ERROR } from './query-stats.js';

/** Batch sizes by powers of two: the label of each, and the smallest size it holds. */
const SIZE_CLASSES: Array<[label: string, from: number]> = [
  ['1', 1],
  ['2-3', 2],
  ['4-7', 4],
  ['8-15', 8],
  ['16-31', 16],
  ['32-63', 32],
  ['64', 64],
];

export function registerUdpMetrics(stats: QueryStats): void {
  new Counter({
    name: 'flipdns_udp_batches_total',
    help: 'Batches of UDP datagrams handed to the query handler, by their number of datagrams (1, 2-3, 4-7, 8-15, 16-31, 32-63, 64); Node dgram hands them one at a time.',
    labelNames: ['size'],
    collect() {
      this.reset();
      const batches = stats.udpBatches;
      SIZE_CLASSES.forEach(([size, from], i) => {
        const to = i + 1 < SIZE_CLASSES.length ? SIZE_CLASSES[i + 1][1] : batches.length;
        let count = 0;
        for (let n = from; n < to; n++) count += batches[n];
        if (count > 0) this.inc({ size }, count);
      });
    },
  });
  new Counter({
    name: 'flipdns_udp_send_failures_total',
    help: 'Times the kernel did not take a UDP answer, by reason: again (EAGAIN, the send buffer full: the native transport sends the rest when it drains), nobufs (ENOBUFS: that answer dropped), error (any other error: that answer dropped).',
    labelNames: ['reason'],
    collect() {
      this.reset();
      this.inc({ reason: 'again' }, stats.udp[UDP_AGAIN]);
      this.inc({ reason: 'nobufs' }, stats.udp[UDP_NOBUFS]);
      this.inc({ reason: 'error' }, stats.udp[UDP_SEND_ERROR]);
    },
  });
  counterFrom('flipdns_udp_partial_sends_total', 'sendmmsg calls that sent only part of a batch of answers (the native transport).', () => stats.udp[UDP_PARTIAL]);
  counterFrom('flipdns_udp_oversized_dropped_total', 'UDP datagrams dropped unanswered because longer than 4096 bytes (the native transport).', () => stats.udp[UDP_OVERSIZED]);
}
