// The packet fuzzer: valid queries mutated at random, and pure random bytes,
// over UDP; TCP streams carrying the same mutations, with honest and with
// broken framing. Used by bench/fuzz.mjs (the long run, figures in
// docs/benchmarks.md) and by test/e2e/fuzz.test.ts (a short run in CI).
//
// What it watches: the server must never crash, never hang (a valid query on a
// socket of its own is answered within a second after every slice of the run),
// and must answer or drop each packet; it counts the replies by rcode.

import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { prng as seededRandom } from './lib.mjs';

const NAMES = ['example.test', 'www.example.test', 'app.example.test', 'mail.example.test', 'nope.example.test', 'a.b.c.example.test', '2.0.192.in-addr.arpa', 'example.test.example.test'];
const TYPES = [1, 2, 5, 6, 12, 15, 16, 28, 33, 41, 43, 46, 48, 99, 255, 256, 65535];
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];

/** A well-formed query, sometimes with EDNS (options, DO bit, a cookie). */
export function validQuery(random) {
  const labels = pick(random, NAMES).split('.');
  const name = Buffer.concat([...labels.map((label) => Buffer.concat([Buffer.from([label.length]), Buffer.from(randomCase(random, label))])), Buffer.from([0])]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(Math.floor(random() * 65536), 0);
  header.writeUInt16BE(random() < 0.9 ? 0x0100 : Math.floor(random() * 65536) & 0x7fff, 2);
  header.writeUInt16BE(1, 4);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(pick(random, TYPES), 0);
  question.writeUInt16BE(random() < 0.95 ? 1 : pick(random, [3, 4, 254, 255, 42]), 2);
  const parts = [header, name, question];
  if (random() < 0.5) {
    header.writeUInt16BE(1, 10);
    parts.push(opt(random));
  }
  return Buffer.concat(parts);
}

function opt(random) {
  const options = [];
  if (random() < 0.5) options.push(option(10, Buffer.from(Array.from({ length: 8 }, () => Math.floor(random() * 256))))); // cookie
  if (random() < 0.3) options.push(option(8, Buffer.from([0, 1, 24, 0, 192, 0, 2]))); // client subnet
  if (random() < 0.2) options.push(option(Math.floor(random() * 65536), Buffer.alloc(Math.floor(random() * 20))));
  const rdata = Buffer.concat(options);
  const fixed = Buffer.alloc(11);
  fixed.writeUInt16BE(41, 1);
  fixed.writeUInt16BE(pick(random, [512, 1232, 4096, 65535, 0]), 3);
  fixed.writeUInt8(random() < 0.9 ? 0 : Math.floor(random() * 256), 6); // version
  fixed.writeUInt16BE(random() < 0.5 ? 0x8000 : 0, 7); // DO
  fixed.writeUInt16BE(rdata.length, 9);
  return Buffer.concat([fixed, rdata]);
}

function option(code, data) {
  const head = Buffer.alloc(4);
  head.writeUInt16BE(code, 0);
  head.writeUInt16BE(data.length, 2);
  return Buffer.concat([head, data]);
}

const MUTATORS = {
  bitflip(random, packet) {
    const out = Buffer.from(packet);
    for (let i = 1 + Math.floor(random() * 8); i > 0; i--) out[Math.floor(random() * out.length)] ^= 1 << Math.floor(random() * 8);
    return out;
  },
  truncate: (random, packet) => packet.subarray(0, Math.floor(random() * packet.length)),
  extend: (random, packet) => Buffer.concat([packet, randomBytes(random, 1 + Math.floor(random() * 300))]),
  label(random, packet) {
    // A label length byte of the question name set to anything, including the pointer and reserved forms.
    const out = Buffer.from(packet);
    let at = 12;
    const steps = Math.floor(random() * 4);
    for (let i = 0; i < steps && at < out.length && out[at] !== 0 && out[at] < 64; i++) at += out[at] + 1;
    if (at < out.length) out[at] = Math.floor(random() * 256);
    return out;
  },
  pointer(random, packet) {
    // A compression pointer somewhere in the name: backwards, forwards, to itself, past the end.
    const out = Buffer.from(packet);
    const at = 12 + Math.floor(random() * Math.max(1, out.length - 13));
    const target = pick(random, [at, 12, 0, out.length + 10, Math.floor(random() * 0x3fff)]);
    if (at + 1 < out.length) out.writeUInt16BE(0xc000 | (target & 0x3fff), at);
    return out;
  },
  counts(random, packet) {
    const out = Buffer.from(packet);
    if (out.length >= 12) out.writeUInt16BE(pick(random, [0, 2, 3, 255, 65535, Math.floor(random() * 65536)]), 4 + 2 * Math.floor(random() * 4));
    return out;
  },
  edns(random, packet) {
    // An OPT record that lies: its RDLENGTH, its options' lengths, or two of them.
    const withOpt = Buffer.concat([packet, opt(random)]);
    if (withOpt.length >= 12) withOpt.writeUInt16BE((withOpt.readUInt16BE(10) + (random() < 0.3 ? 2 : 1)) & 0xffff, 10);
    const out = Buffer.from(withOpt);
    const rdlength = out.length - 2 - Math.floor(random() * 12);
    if (rdlength > 12 && random() < 0.7) out.writeUInt16BE(Math.floor(random() * 65536), rdlength);
    return random() < 0.3 ? Buffer.concat([out, opt(random)]) : out;
  },
  flags(random, packet) {
    const out = Buffer.from(packet);
    if (out.length >= 4) out.writeUInt16BE(Math.floor(random() * 65536), 2);
    return out;
  },
  random: (random) => randomBytes(random, Math.floor(random() * 600)),
};
export const MUTATION_KINDS = Object.keys(MUTATORS);

export function mutatedPacket(random) {
  const kind = pick(random, MUTATION_KINDS);
  let packet = MUTATORS[kind](random, validQuery(random));
  // Now and then, several mutations at once.
  if (random() < 0.2) packet = MUTATORS[pick(random, MUTATION_KINDS)](random, packet);
  return packet;
}

/** One TCP stream's bytes: framed messages, some framing honest, some not. */
function tcpStream(random) {
  const parts = [];
  for (let i = 1 + Math.floor(random() * 5); i > 0; i--) {
    const message = random() < 0.3 ? validQuery(random) : mutatedPacket(random);
    const length = Buffer.alloc(2);
    const framing = random();
    // Honest; a length that lies (longer, shorter, zero, 65535); or no length at all.
    length.writeUInt16BE(framing < 0.6 ? message.length : framing < 0.7 ? 0 : framing < 0.8 ? 65535 : Math.min(65535, Math.max(0, message.length + Math.floor(random() * 40) - 20)), 0);
    parts.push(framing < 0.95 ? length : Buffer.alloc(0), message);
  }
  return Buffer.concat(parts);
}

/**
 * Sends `packets` UDP packets (a window of `inFlight` outstanding at a time)
 * and `tcpStreams` TCP streams to 127.0.0.1:`port`; checks liveness every
 * `slice` packets. `alive()` says whether the server process still runs.
 */
export async function fuzz({ port, packets, tcpStreams, seed, alive, slice = 10_000, onProgress = () => {} }) {
  const random = seededRandom(seed);
  const stats = { udpSent: 0, udpReplies: 0, rcodes: {}, tcpStreams: 0, tcpReplies: 0, tcpResets: 0, hangs: 0, crashed: false, slowestLivenessMs: 0 };
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.on('message', (reply) => {
    stats.udpReplies++;
    const rcode = reply.length >= 4 ? RCODES[reply[3] & 0x0f] ?? `RCODE${reply[3] & 0x0f}` : 'SHORT';
    stats.rcodes[rcode] = (stats.rcodes[rcode] ?? 0) + 1;
  });
  socket.on('error', () => undefined);
  try {
    const tcpEvery = tcpStreams > 0 ? Math.max(1, Math.floor(packets / tcpStreams)) : Infinity;
    for (let sent = 0; sent < packets; ) {
      const burst = Math.min(200, packets - sent);
      await Promise.all(Array.from({ length: burst }, () => new Promise((resolve) => socket.send(mutatedPacket(random), port, '127.0.0.1', resolve))));
      sent += burst;
      stats.udpSent = sent;
      while (stats.tcpStreams < tcpStreams && stats.tcpStreams * tcpEvery < sent) {
        await sendTcpStream(port, tcpStream(random), stats);
        stats.tcpStreams++;
      }
      // Let the server breathe between bursts, as a real sender would be paced.
      await new Promise((resolve) => setImmediate(resolve));
      if (sent % slice < burst || sent === packets) {
        if (!alive()) {
          stats.crashed = true;
          break;
        }
        const ms = await liveness(port);
        if (ms === undefined) stats.hangs++;
        else stats.slowestLivenessMs = Math.max(stats.slowestLivenessMs, ms);
        onProgress(stats);
      }
    }
    // Replies still in flight.
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    socket.close();
  }
  return stats;
}

function sendTcpStream(port, bytes, stats) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), 300);
    socket.on('connect', () => {
      socket.write(bytes);
      socket.end();
    });
    socket.on('data', () => stats.tcpReplies++);
    socket.on('error', () => stats.tcpResets++);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A valid query on a fresh socket: ms until answered, undefined when not within a second. */
export function liveness(port) {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    const started = performance.now();
    const query = Buffer.from('abcd01000001000000000000076578616d706c6504746573740000060001', 'hex');
    const done = (ms) => {
      clearTimeout(timer);
      socket.close();
      resolve(ms);
    };
    const timer = setTimeout(() => done(undefined), 1000);
    socket.on('message', () => done(performance.now() - started));
    socket.on('error', () => undefined);
    socket.send(query, port, '127.0.0.1');
  });
}

function pick(random, list) {
  return list[Math.floor(random() * list.length)];
}

function randomCase(random, text) {
  return [...text].map((c) => (random() < 0.5 ? c.toUpperCase() : c)).join('');
}

function randomBytes(random, length) {
  return Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
}
