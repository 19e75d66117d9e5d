// A hand-driven HTTP client for the hostile-HTTP tests: a socket that writes
// what it is told when it is told (slowly, partly, not at all), and records
// what came back and when the server closed it.

import { type Socket, connect } from 'node:net';
import { connect as connectTls } from 'node:tls';

export interface RawConnection {
  socket: Socket;
  /** Everything the server sent so far. */
  received(): string;
  /** Resolves when the server (or an error) closed the connection, with the ms since it opened. */
  closed: Promise<number>;
  /** Writes `text` a piece at a time, `everyMs` apart, until it is all sent or the connection closed. */
  dribble(text: string, everyMs: number, pieceBytes?: number): Promise<void>;
}

export function rawConnect(port: number, { tls }: { tls?: { ca: Buffer } } = {}): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const socket: Socket = tls ? connectTls({ port, host: '127.0.0.1', ca: tls.ca }) : connect({ port, host: '127.0.0.1' });
    let text = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
    // Reset by the server is one way of being closed.
    socket.on('error', () => undefined);
    const closed = new Promise<number>((done) => socket.once('close', () => done(performance.now() - started)));
    const connection: RawConnection = {
      socket,
      received: () => text,
      closed,
      async dribble(data, everyMs, pieceBytes = 1) {
        for (let i = 0; i < data.length && !socket.destroyed && socket.writable; i += pieceBytes) {
          socket.write(data.slice(i, i + pieceBytes));
          await new Promise((wait) => setTimeout(wait, everyMs));
        }
      },
    };
    socket.once(tls ? 'secureConnect' : 'connect', () => resolve(connection));
    socket.once('error', reject);
  });
}

/** The status code of the first response in `text`, or undefined when none came. */
export function statusOf(text: string): number | undefined {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
  return match ? Number(match[1]) : undefined;
}
