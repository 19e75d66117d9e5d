// UDP through the native module (native/, Linux): recvmmsg and sendmmsg of up
// to 64 datagrams, one call into JavaScript per batch. The buffers it reads
// into and sends from are allocated here once: the datagrams in `rx`, one slot
// each; their sources in `sources`; the answers in `tx`, at the slot of the
// batch index; offsets and lengths in `meta`.

import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log/logger.js';
import { type QueryStats, UDP_BATCH_MAX, UDP_COUNTER_SLOTS } from '../metrics/query-stats.js';
import type { DatagramAnswerer, DatagramBatch, UdpTransport } from './udp-batch.js';
import { RECEIVE_BUFFER } from './udp-dgram.js';

/** Where the module is looked for; tests point it elsewhere (at a missing file, for the fallback). */
export const MODULE_ENV = 'FLIPDNS_NATIVE_UDP_MODULE';
/** Test-only: the socket's SO_SNDBUF, small enough for sendmmsg to meet a full buffer. */
export const SEND_BUFFER_ENV = 'FLIPDNS_TEST_UDP_SEND_BUFFER';
const BUILT = fileURLToPath(new URL('../../native/build/Release/flipdns_udp.node', import.meta.url));

interface NativeSocketOptions {
  host: string;
  port: number;
  reusePort: boolean;
  receiveBuffer: number;
  sendBuffer: number;
  rx: Buffer;
  tx: Buffer;
  sources: Buffer;
  meta: Uint32Array;
  counters: Float64Array;
  onBatch(size: number): void;
}

interface Binding {
  UdpSocket: new (options: NativeSocketOptions) => { close(): void };
  BATCH: number;
  SLOT: number;
  SOURCE_STRIDE: number;
  META_STRIDE: number;
  COUNTERS: number;
}

let loaded: { binding: Binding } | { problem: string } | undefined;

/** The module, or why it cannot be had here; tried once per process. */
export function loadNativeUdp(): { binding: Binding } | { problem: string } {
  if (loaded !== undefined) return loaded;
  const path = process.env[MODULE_ENV] ?? BUILT;
  if (process.platform !== 'linux') loaded = { problem: 'the native UDP module is Linux-only' };
  else {
    try {
      const binding = createRequire(import.meta.url)(path) as Binding;
      // A module built from another version of this code would count into the wrong slots.
      loaded = binding.COUNTERS === UDP_COUNTER_SLOTS && binding.BATCH <= UDP_BATCH_MAX ? { binding } : { problem: `the native UDP module at ${path} was built from another version of flipdns: run npm ci` };
    } catch (err) {
      loaded = { problem: `the native UDP module does not load (${path}: ${(err as Error).message.split('\n')[0]}); npm ci builds it` };
    }
  }
  return loaded;
}

/** Where the module writes the text of an IPv6 source in its slot (native/udp.cc). */
const TEXT_AT = 24;

class NativeBatch implements DatagramBatch {
  size = 0;
  readonly rx: Buffer;
  readonly tx: Buffer;
  readonly sources: Buffer;
  readonly meta: Uint32Array;
  private readonly words: Uint32Array;
  private readonly slot: number;
  private readonly sourceStride: number;
  private readonly metaStride: number;
  // The last source read, and its text: a batch often holds several queries
  // from one resolver, and a new string per datagram would cost more than the rest.
  private readonly last = new Uint32Array(6);
  private lastText = '';

  constructor(binding: Binding) {
    this.slot = binding.SLOT;
    this.sourceStride = binding.SOURCE_STRIDE;
    this.metaStride = binding.META_STRIDE;
    this.rx = Buffer.alloc(binding.BATCH * binding.SLOT);
    this.tx = Buffer.alloc(binding.BATCH * binding.SLOT);
    this.sources = Buffer.alloc(binding.BATCH * binding.SOURCE_STRIDE);
    this.words = new Uint32Array(this.sources.buffer, this.sources.byteOffset, this.sources.length / 4);
    this.meta = new Uint32Array(binding.BATCH * binding.META_STRIDE);
  }

  message(i: number): Buffer {
    const at = this.meta[i * this.metaStride];
    return this.rx.subarray(at, at + this.meta[i * this.metaStride + 1]);
  }

  source(i: number): string {
    const at = i * this.sourceStride;
    const w = this.words;
    const last = this.last;
    // Words 0 to 5: family (and text length), address, IPv6 scope.
    const word = at / 4;
    if (w[word] === last[0] && w[word + 1] === last[1] && w[word + 2] === last[2] && w[word + 3] === last[3] && w[word + 4] === last[4] && w[word + 5] === last[5]) return this.lastText;
    const s = this.sources;
    this.lastText = s[at] === 4 ? `${s[at + 4]}.${s[at + 5]}.${s[at + 6]}.${s[at + 7]}` : s.toString('latin1', at + TEXT_AT, at + TEXT_AT + s[at + 1]);
    last.set(w.subarray(word, word + 6));
    return this.lastText;
  }

  reply(i: number, response: Buffer): void {
    // Cannot happen (ednsPayload is at most 4096, an error answer no longer than its query), and must not overrun the next slot.
    if (response.length > this.slot) throw new Error(`a UDP answer of ${response.length} bytes is longer than ${this.slot}`);
    response.copy(this.tx, i * this.slot);
    this.meta[i * this.metaStride + 2] = response.length;
  }
}

export function listenNative(binding: Binding, host: string, port: number, reusePort: boolean, answerer: DatagramAnswerer, stats: QueryStats, log: Logger): UdpTransport {
  const batch = new NativeBatch(binding);
  const sendBuffer = Number(process.env[SEND_BUFFER_ENV] ?? 0);
  if (sendBuffer > 0) log.warn({ sendBuffer }, `${SEND_BUFFER_ENV} is set: a test-only send buffer size`);
  const socket = new binding.UdpSocket({
    host,
    port,
    reusePort,
    receiveBuffer: RECEIVE_BUFFER,
    sendBuffer,
    rx: batch.rx,
    tx: batch.tx,
    sources: batch.sources,
    meta: batch.meta,
    counters: stats.udp,
    onBatch: (size) => {
      batch.size = size;
      answerer.answer(batch);
    },
  });
  return {
    kind: 'native',
    close: async () => socket.close(),
  };
}
