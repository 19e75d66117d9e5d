// The service of a lab node: answers each UDP request with the node's name, so
// a client knows which node it reached. Run inside the node's namespace:
//   node udp-service.js ADDRESS PORT NAME [any]   (any: bind the wildcard address)

import { createSocket } from 'node:dgram';

const [address, port, name] = process.argv.slice(2);
const nodeName = Buffer.from(name);
const socket = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4', reuseAddr: true });
// The request's first 4 bytes (its number) come back ahead of the name.
socket.on('message', (request, peer) => socket.send(Buffer.concat([request.subarray(0, 4), nodeName]), peer.port, peer.address));
// The address may not be configured yet (a VIP that arrives with mastership): bind to any.
socket.bind(Number(port), process.argv[5] === 'any' ? undefined : address);
process.on('SIGTERM', () => process.exit(0));
