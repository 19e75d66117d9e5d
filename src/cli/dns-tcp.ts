// One DNS exchange over TCP (RFC 1035 §4.2.2: two-byte length prefix). dns2's
// own TCP client has no timeout, so a server that accepts and never answers
// would hang the command; this one gives up.

import { connect } from 'node:net';

export function exchangeTcp(host: string, port: number, query: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer from ${host}#${port} within ${timeoutMs} ms`)));
    socket.once('connect', () => {
      const length = Buffer.alloc(2);
      length.writeUInt16BE(query.length);
      socket.write(Buffer.concat([length, query]));
    });
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        socket.end();
        resolve(received.subarray(2, 2 + received.readUInt16BE(0)));
      }
    });
    socket.once('error', (err: NodeJS.ErrnoException) => reject(new Error(`${host}#${port}: ${err.code ?? err.message}`)));
    socket.once('close', () => reject(new Error(`${host}#${port} closed the connection without an answer`)));
  });
}
