// A node of the client-commanding lab (`commanding.ts`), as a process of its own:
//   node commanding-node.js primary ADDRESS SURVIVOR_ADDRESS HEARTBEAT_PORT INTERVAL
//   node commanding-node.js survivor ADDRESS INTERVAL FALL CLIENTS
// Both answer each UDP request on ADDRESS with their role ("primary" or
// "survivor"), as udp-service.js does, so a client knows which node it reached.
// The primary sends the survivor a heartbeat every INTERVAL ms on a fixed
// schedule (beat k at start + k × INTERVAL) until it is killed. The survivor
// holds the clients' TCP control connections and, once no beat came for
// FALL × INTERVAL ms, writes "switch ADDRESS PORT" to each of them in turn.
// Lines on stdout: "ready {json}" (ports, and the primary's first beat),
// "connected N" (the survivor, once CLIENTS have said hello) and "down {json}"
// (the survivor: when it declared the primary down, the last beat and when
// each command was written). Times are wall-clock ms (performance.timeOrigin +
// now), the same clock in every process of the machine.

import { createSocket } from 'node:dgram';
import { type Socket, createServer } from 'node:net';

/** What the survivor prints after commanding the clients. */
export interface DownReport {
  /** When it declared the primary down: the deadline's timer fired. */
  detectAt: number;
  /** The last beat received: when the primary sent it, when it arrived, its number. */
  lastBeat: { sentAt: number; receivedAt: number; seq: number } | null;
  beats: number;
  /** [client id, when its command's write() returned], in the order written. */
  writes: Array<[number, number]>;
}

const now = (): number => performance.timeOrigin + performance.now();
/** Binding one of its sockets failed (an address not on this machine, a port taken): nothing to measure. */
const fail = (err: Error): void => {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
};
const print = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The node's service: answers with its role, the request's first 4 bytes (its number) first. */
function serve(address: string, role: string): Promise<number> {
  const name = Buffer.from(role);
  const socket = createSocket('udp4');
  socket.on('error', fail);
  socket.on('message', (request, peer) => socket.send(Buffer.concat([request.subarray(0, 4), name]), peer.port, peer.address));
  return new Promise((resolve) => socket.bind(0, address, () => resolve(socket.address().port)));
}

async function primary(address: string, survivor: string, heartbeatPort: number, intervalMs: number): Promise<void> {
  const servicePort = await serve(address, 'primary');
  const socket = createSocket('udp4');
  socket.on('error', fail);
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  const start = Math.ceil(now()) + 20;
  let seq = 0;
  const beat = (): void => {
    const message = Buffer.alloc(12);
    message.writeDoubleBE(now(), 0);
    message.writeUInt32BE(seq, 8);
    socket.send(message, heartbeatPort, survivor);
    seq++;
    // On schedule: a late timer delays one beat, not every later one.
    setTimeout(beat, Math.max(0, start + seq * intervalMs - now()));
  };
  setTimeout(beat, start - now());
  print(`ready ${JSON.stringify({ servicePort, start })}`);
}

async function survivor(address: string, intervalMs: number, fall: number, expected: number): Promise<void> {
  const servicePort = await serve(address, 'survivor');
  const clients: Array<{ id: number; socket: Socket }> = [];
  const control = createServer({ noDelay: true }, (socket) => {
    let buffered = '';
    socket.on('error', () => undefined);
    socket.setEncoding('utf8');
    const onHello = (chunk: string): void => {
      buffered += chunk;
      const end = buffered.indexOf('\n');
      if (end < 0) return;
      socket.off('data', onHello);
      clients.push({ id: Number(buffered.slice(0, end).split(' ')[1]), socket });
      if (clients.length === expected) print(`connected ${expected}`);
    };
    socket.on('data', onHello);
  });
  control.on('error', fail);
  // Every client connects at once: a backlog as long as the kernel allows (somaxconn).
  await new Promise<void>((resolve) => control.listen({ host: address, port: 0, backlog: 65_535 }, resolve));

  const heartbeat = createSocket('udp4');
  heartbeat.on('error', fail);
  let lastBeat: DownReport['lastBeat'] = null;
  let beats = 0;
  let deadline: NodeJS.Timeout | undefined;
  let down = false;
  const line = Buffer.from(`switch ${address} ${servicePort}\n`);
  const declareDown = (): void => {
    const detectAt = now();
    down = true;
    // Unicast, one by one: each write() hands its command to the kernel before the next.
    const writes: Array<[number, number]> = [];
    for (const client of clients) {
      client.socket.write(line);
      writes.push([client.id, now()]);
    }
    const report: DownReport = { detectAt, lastBeat, beats, writes };
    print(`down ${JSON.stringify(report)}`);
  };
  heartbeat.on('message', (message) => {
    const receivedAt = now();
    if (down) return;
    beats++;
    lastBeat = { sentAt: message.readDoubleBE(0), receivedAt, seq: message.readUInt32BE(8) };
    // Down when no beat came for fall × interval: the deadline moves with each beat.
    clearTimeout(deadline);
    deadline = setTimeout(declareDown, fall * intervalMs);
  });
  await new Promise<void>((resolve) => heartbeat.bind(0, address, resolve));

  const controlPort = (control.address() as { port: number }).port;
  print(`ready ${JSON.stringify({ servicePort, heartbeatPort: heartbeat.address().port, controlPort })}`);
}

const [role, ...args] = process.argv.slice(2);
process.on('SIGTERM', () => process.exit(0));
if (role === 'primary') await primary(args[0], args[1], Number(args[2]), Number(args[3]));
else if (role === 'survivor') await survivor(args[0], Number(args[1]), Number(args[2]), Number(args[3]));
else throw new Error(`unknown role ${role}: primary or survivor`);
