// The UDP listener: the transport the `udpTransport` setting asks for, both
// feeding the one query handler through DatagramAnswerer (udp-batch.ts).
//   auto    the native module (Linux, built at install) where it loads, else dgram;
//   native  the native module, and no start without it;
//   dgram   Node's dgram.

import { ConfigError } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import type { QueryStats } from '../metrics/query-stats.js';
import type { QueryHandler } from './handler.js';
import { DatagramAnswerer, type UdpTransport } from './udp-batch.js';
import { listenDgram } from './udp-dgram.js';
import { listenNative, loadNativeUdp } from './udp-native.js';

export type UdpSettings = Pick<Config, 'host' | 'port' | 'udpTransport' | 'workers'>;

/** Refuses a start that asks for the native transport where it cannot load, in one line, before anything opens. */
export function checkUdpTransport(config: Pick<Config, 'udpTransport'>): void {
  if (config.udpTransport !== 'native') return;
  const native = loadNativeUdp();
  if ('problem' in native) throw new ConfigError(`udpTransport native: ${native.problem}`);
}

export async function listenUdp(settings: UdpSettings, handler: QueryHandler, stats: QueryStats, log: Logger): Promise<UdpTransport> {
  const answerer = new DatagramAnswerer(handler, stats, log);
  if (settings.udpTransport !== 'dgram') {
    const native = loadNativeUdp();
    // With workers each has a socket of its own on the port, the kernel spreading clients across them.
    if ('binding' in native) return listenNative(native.binding, settings.host, settings.port, settings.workers > 1, answerer, stats, log);
    if (settings.udpTransport === 'native') throw new ConfigError(`udpTransport native: ${native.problem}`);
    log.info({ reason: native.problem }, 'UDP served by Node dgram');
  }
  return listenDgram(settings.host, settings.port, answerer, stats, log);
}
