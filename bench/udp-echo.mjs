// The floor of any DNS server on Node's dgram: answers each query with its own
// bytes, QR and AA set, and does no DNS work at all. `npm run bench -- --against
// echo` puts it in flipdns's place, to show what this harness lets Node reach.
//   node bench/udp-echo.mjs PORT

import { createSocket } from 'node:dgram';

const socket = createSocket('udp4');
socket.on('message', (query, peer) => {
  const response = Buffer.allocUnsafe(query.length);
  query.copy(response);
  response[2] |= 0x84;
  socket.send(response, peer.port, peer.address);
});
socket.bind(Number(process.argv[2]), '127.0.0.1');
process.on('SIGTERM', () => socket.close(() => process.exit(0)));
