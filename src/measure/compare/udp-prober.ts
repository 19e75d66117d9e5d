// A lab client: sends a UDP request to the service address every EVERY ms and
// records, per request, when it went and which node answered (or none within
// TIMEOUT ms). On SIGTERM it writes every record to OUT as JSON and exits.
//   node udp-prober.js ADDRESS PORT EVERY TIMEOUT OUT
// Times are wall-clock ms (performance.timeOrigin + now): the lab's clock too.

import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';

export interface ProbeRecord {
  /** Sent at, wall-clock ms. */
  at: number;
  /** The node that answered, or null for no answer in time. */
  node: string | null;
}

const [address, port, every, timeout, out] = process.argv.slice(2);
const everyMs = Number(every);
const timeoutMs = Number(timeout);
const records: ProbeRecord[] = [];
const waiting = new Map<number, { record: ProbeRecord; timer: NodeJS.Timeout }>();
const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
const now = (): number => performance.timeOrigin + performance.now();
let seq = 0;

socket.on('message', (message) => {
  const id = message.readUInt32BE(0);
  const entry = waiting.get(id);
  if (!entry) return;
  clearTimeout(entry.timer);
  waiting.delete(id);
  entry.record.node = message.subarray(4).toString();
});
// A host or network unreachable error is a failed request, recorded by its timeout.
socket.on('error', () => undefined);

function send(): void {
  const id = seq++;
  const record: ProbeRecord = { at: now(), node: null };
  records.push(record);
  const request = Buffer.alloc(4);
  request.writeUInt32BE(id, 0);
  waiting.set(id, { record, timer: setTimeout(() => waiting.delete(id), timeoutMs) });
  socket.send(request, Number(port), address, () => undefined);
}

socket.bind(() => {
  setInterval(send, everyMs);
  process.stderr.write('probing\n');
});
process.on('SIGTERM', () => {
  writeFileSync(out, JSON.stringify(records));
  process.exit(0);
});
