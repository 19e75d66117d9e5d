// Per-query counters kept in a typed array: one increment per query, no label
// objects or hashing on the hot path. The Prometheus registry reads them at
// scrape time (registry.ts).

import { rcodeToText, typeToText } from '../zone/types.js';

export const TRANSPORTS = ['udp', 'tcp'] as const;
export type Transport = 0 | 1;
export const UDP: Transport = 0;
export const TCP: Transport = 1;

/** Query types with a label of their own; every other type counts as OTHER, so that labels stay few. */
const LABELLED_TYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 43, 48, 64, 65, 255, 257];
export const TYPE_LABELS = [...LABELLED_TYPES.map(typeToText), 'OTHER'];
const OTHER_SLOT = TYPE_LABELS.length - 1;
const TYPE_SLOT = new Uint8Array(65536).fill(OTHER_SLOT);
LABELLED_TYPES.forEach((type, slot) => (TYPE_SLOT[type] = slot));

export const RCODE_SLOTS = 32;

/** Datagrams in a UDP batch at most (the native module's recvmmsg). */
export const UDP_BATCH_MAX = 64;
/** Slots of QueryStats.udp. The native module counts into them itself, in this order (native/udp.cc). */
export const UDP_AGAIN = 0;
export const UDP_NOBUFS = 1;
export const UDP_SEND_ERROR = 2;
export const UDP_PARTIAL = 3;
export const UDP_OVERSIZED = 4;
export const UDP_COUNTER_SLOTS = 5;

export class QueryStats {
  /** Indexed [transport][type slot][rcode]. */
  readonly queries = new Float64Array(TRANSPORTS.length * TYPE_LABELS.length * RCODE_SLOTS);
  cacheHits = 0;
  cacheMisses = 0;
  /** Packets given no answer: too short to hold a header, or responses. */
  dropped = 0;
  /** UDP batches handed to the handler, by their number of datagrams (the index). */
  readonly udpBatches = new Float64Array(UDP_BATCH_MAX + 1);
  /** What the UDP transports count when sending and receiving: UDP_AGAIN and the other slots. */
  readonly udp = new Float64Array(UDP_COUNTER_SLOTS);

  count(transport: Transport, qtype: number, rcode: number): void {
    this.queries[(transport * TYPE_LABELS.length + TYPE_SLOT[qtype]) * RCODE_SLOTS + (rcode & (RCODE_SLOTS - 1))]++;
  }

  /** Calls `visit` for each non-zero counter. */
  forEachQueryCount(visit: (transport: string, qtype: string, rcode: string, value: number) => void): void {
    const q = this.queries;
    for (let i = 0; i < q.length; i++) {
      if (q[i] === 0) continue;
      const rcode = i % RCODE_SLOTS;
      const slot = Math.floor(i / RCODE_SLOTS);
      visit(TRANSPORTS[Math.floor(slot / TYPE_LABELS.length)], TYPE_LABELS[slot % TYPE_LABELS.length], rcodeToText(rcode), q[i]);
    }
  }
}
