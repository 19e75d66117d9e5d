// The clients of the client-commanding lab (`commanding.ts`), many in one
// process: each holds a TCP control connection to the survivor and records
// when a "switch ADDRESS PORT" command arrives on it. A few of them (every
// PROBE_STEP-th id, PROBES of them in all; 0: none) also send a real UDP request every PROBE_EVERY ms
// to their current target: the primary's service until the command, then the
// address it names.
//   node commanding-clients.js CONTROL_ADDRESS CONTROL_PORT FIRST_ID COUNT PROBE_STEP PROBES PRIMARY_ADDRESS PRIMARY_PORT PROBE_EVERY
// Lines on stdout: "connected COUNT" once every connection is up (and has said
// "hello ID"), "switched COUNT" once every client got its command, and on
// SIGTERM "result {json}" (a ClientsResult), after which it exits. Times are
// wall-clock ms (performance.timeOrigin + now), the lab's clock.

import { type Socket as UdpSocket, createSocket } from 'node:dgram';
import { type Socket, connect } from 'node:net';

/** A real request: [sent at, the node that answered or null, ms until the answer or null]. */
export type ClientRequest = [number, string | null, number | null];

export interface ClientsResult {
  /** [client id, when its switch command arrived]; clients without one are left out. */
  switches: Array<[number, number]>;
  /** The clients that sent real requests: every request, whatever its outcome. */
  probes: Array<{ id: number; requests: ClientRequest[] }>;
}

interface Client {
  id: number;
  target: { address: string; port: number };
  switchedAt?: number;
  socket?: Socket;
  probe?: { udp: UdpSocket; requests: ClientRequest[]; timer?: NodeJS.Timeout };
}

const now = (): number => performance.timeOrigin + performance.now();
const [controlAddress, controlPortArg, firstArg, countArg, stepArg, probesArg, primaryAddress, primaryPortArg, everyArg] = process.argv.slice(2);
const controlPort = Number(controlPortArg);
const first = Number(firstArg);
const count = Number(countArg);
const step = Number(stepArg);
const probes = Number(probesArg);
const everyMs = Number(everyArg);
const clients: Client[] = Array.from({ length: count }, (_, i) => ({ id: first + i, target: { address: primaryAddress, port: Number(primaryPortArg) } }));
let switched = 0;

function onCommand(client: Client, at: number, line: string): void {
  const [verb, address, port] = line.split(' ');
  if (verb !== 'switch' || client.switchedAt !== undefined) return;
  client.switchedAt = at;
  client.target = { address, port: Number(port) };
  if (++switched === count) process.stdout.write(`switched ${count}\n`);
}

function open(client: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: controlAddress, port: controlPort, noDelay: true }, () => {
      socket.off('error', reject);
      socket.on('error', () => undefined);
      socket.write(`hello ${client.id}\n`);
      resolve();
    });
    socket.once('error', reject);
    socket.setEncoding('utf8');
    let buffered = '';
    socket.on('data', (chunk: string) => {
      // The clock first: the command arrived now, whatever the parsing costs.
      const at = now();
      buffered += chunk;
      for (let end = buffered.indexOf('\n'); end >= 0; end = buffered.indexOf('\n')) {
        onCommand(client, at, buffered.slice(0, end));
        buffered = buffered.slice(end + 1);
      }
    });
    client.socket = socket;
  });
}

function startProbe(client: Client): void {
  const udp = createSocket('udp4');
  const requests: ClientRequest[] = [];
  udp.on('message', (message) => {
    const request = requests[message.readUInt32BE(0)];
    if (request === undefined || request[1] !== null) return;
    request[1] = message.subarray(4).toString();
    request[2] = now() - request[0];
  });
  // An unreachable port or host is a failed request: it stays without an answer.
  udp.on('error', () => undefined);
  client.probe = { udp, requests };
  udp.bind(0, () => {
    client.probe!.timer = setInterval(() => {
      const message = Buffer.alloc(4);
      message.writeUInt32BE(requests.length, 0);
      requests.push([now(), null, null]);
      udp.send(message, client.target.port, client.target.address, () => undefined);
    }, everyMs);
  });
}

// In batches, so that a burst of SYNs never overflows the survivor's backlog.
for (let i = 0; i < clients.length; i += 100) await Promise.all(clients.slice(i, i + 100).map(open));
for (const client of clients) if (step > 0 && client.id % step === 0 && client.id < step * probes) startProbe(client);
process.stdout.write(`connected ${count}\n`);

process.on('SIGTERM', () => {
  for (const client of clients) if (client.probe) clearInterval(client.probe.timer);
  const result: ClientsResult = {
    switches: clients.flatMap((client) => (client.switchedAt === undefined ? [] : [[client.id, client.switchedAt] as [number, number]])),
    probes: clients.flatMap((client) => (client.probe ? [{ id: client.id, requests: client.probe.requests }] : [])),
  };
  process.stdout.write(`result ${JSON.stringify(result)}\n`, () => process.exit(0));
});
