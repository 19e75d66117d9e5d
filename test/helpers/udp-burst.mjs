// A client run inside a network namespace (test/server/udp-transport.test.ts),
// where the test process cannot reach: waits until the server on
// 127.0.0.1:PORT answers, sends COUNT queries at once from one socket,
// collects answers for up to 10 s, and prints as JSON the IDs answered and the
// server's /metrics lines that start with flipdns_udp_.
//   node test/helpers/udp-burst.mjs PORT HTTP_PORT COUNT

import { createSocket } from 'node:dgram';

const [port, httpPort, count] = process.argv.slice(2).map(Number);
const NAME = ['www', 'example', 'test'];

/** A query for www.example.test A with this ID. */
function query(id) {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(1, 4);
  const labels = NAME.flatMap((label) => [Buffer.from([label.length]), Buffer.from(label)]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 1, 0, 1])]);
}

const socket = createSocket('udp4');
/** IDs answered; 0 is the readiness probe's, which may be answered more than once. */
const answered = new Set();
let up = false;
let onAnswer = () => {};
socket.on('message', (msg) => {
  const id = msg.readUInt16BE(0);
  if (id === 0) up = true;
  else answered.add(id);
  onAnswer();
});
await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));

const until = (done, ms) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    onAnswer = () => done() && (clearTimeout(timer), resolve());
  });

// Ready: the server answers query 0 (the process may still be starting).
const ready = Date.now() + 15_000;
while (!up && Date.now() < ready) {
  socket.send(query(0), port, '127.0.0.1');
  await until(() => up, 200);
}
for (let id = 1; id <= count; id++) socket.send(query(id), port, '127.0.0.1');
await until(() => answered.size >= count, 10_000);
socket.close();

const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
console.log(JSON.stringify({ answered: [...answered].sort((a, b) => a - b), metrics: metrics.split('\n').filter((line) => line.startsWith('flipdns_udp_')) }));
