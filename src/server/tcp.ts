// DNS over TCP (RFC 7766): two-byte length prefixes, any number of queries
// pipelined on one connection and answered in order. What a connection may
// hold, how long it may take and how many a client may open are bounded, so
// that no client can grow the server's memory or keep honest clients out:
//
// - Backpressure. Answers are written while the socket takes them; once its
//   buffer is full (the client is not reading) the connection stops reading
//   queries until 'drain'. A connection then holds at most one read of queries,
//   a partial one, and a socket buffer of answers plus one answer.
// - Timeout. From its start and from each query taken, a connection has
//   `idleTimeoutMs` to bring a whole next query. Bytes that trickle in do not
//   extend it (a timer reset by any data would let one byte every few seconds
//   hold a connection for ever), nor does a client that leaves its answers
//   unread. A client that half-closes gets the answers to the queries it sent,
//   then the connection closes.
// - Caps. At most `maxConnectionsPerClient` connections per source address;
//   more are closed at once. At most `maxConnections` in all: a new connection
//   beyond it closes the connection that has gone longest without a query
//   (see `accept`). The count per address is kept only for addresses that
//   hold a connection.
// - Stop. `close` stops listening and taking queries; each connection sends
//   the answers it was given, then its FIN, and closes when the client closes
//   its side, or after `STOP_GRACE_MS` in any case: an open connection, silent
//   or not, does not hold the process for up to a timeout.
//
// Each connection the server closes is counted by reason (`closed`), except at
// a stop.

import { createServer, type Server, type Socket } from 'node:net';
import type { Config } from '../config/schema.js';
import type { Logger } from '../log/logger.js';
import { TCP } from '../metrics/query-stats.js';
import type { QueryHandler } from './handler.js';
import { LENGTH_PREFIX, MessageReader } from './tcp-reader.js';

/**
 * Why the server closed a connection: no byte of a next query within the
 * timeout (`idle`); part of one but not all of it (`incomplete`); answers the
 * client left unread (`unread`); its address already held its share
 * (`client-limit`); room was needed for a new connection (`evicted`).
 */
export type TcpCloseReason = 'idle' | 'incomplete' | 'unread' | 'client-limit' | 'evicted';

export interface TcpOptions {
  /** Time a connection has to send a whole query, from its start or the query before. */
  idleTimeoutMs: number;
  maxConnections: number;
  maxConnectionsPerClient: number;
  /** Counts the connections the server closes (flipdns_tcp_connections_closed_total). */
  closed?: { inc(labels: { reason: TcpCloseReason }): void };
}

export function tcpOptions(config: Pick<Config, 'tcpIdleTimeout' | 'tcpMaxConnections' | 'tcpMaxConnectionsPerClient'>, closed?: TcpOptions['closed']): TcpOptions {
  return { idleTimeoutMs: config.tcpIdleTimeout, maxConnections: config.tcpMaxConnections, maxConnectionsPerClient: config.tcpMaxConnectionsPerClient, closed };
}

interface Connection {
  readonly socket: Socket;
  readonly source: string;
  readonly reader: MessageReader;
  readonly timer: NodeJS.Timeout;
  /** Not reading: the socket holds as many answers as it takes, until 'drain'. */
  blocked: boolean;
  /** The client has sent its FIN: answer what came, then close. */
  ended: boolean;
}

/** How long a stop lets connections send the answers already given and close before it destroys them. */
export const STOP_GRACE_MS = 500;

/** A listening DNS over TCP server. */
export interface TcpServer {
  readonly server: Server;
  /** Open connections. */
  readonly connections: number;
  /** Open connections by source address; an address that holds none has no entry. */
  readonly perClient: ReadonlyMap<string, number>;
  /**
   * Stops listening and taking queries. Each connection sends the answers it
   * was given, then its FIN, and closes when the client closes its side; those
   * left after `graceMs` are destroyed. Resolves once every connection is closed.
   */
  close(graceMs?: number): Promise<void>;
}

export async function listenTcp(host: string, port: number, handler: QueryHandler, options: TcpOptions, log: Logger): Promise<TcpServer> {
  const listener = new TcpListener(handler, options, log);
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket) => listener.accept(socket));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: false }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log.error({ err }, 'TCP server error'));
  return {
    server,
    get connections() {
      return listener.connections;
    },
    perClient: listener.perClient,
    async close(graceMs = STOP_GRACE_MS) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const grace = setTimeout(() => listener.destroyAll(), graceMs);
      await Promise.all([closed, listener.stop()]);
      clearTimeout(grace);
    },
  };
}

class TcpListener {
  /** Open connections, the one that has gone longest without a query first. */
  private readonly open = new Set<Connection>();
  readonly perClient = new Map<string, number>();
  /** Set by `stop`: no connection taken, no query read. */
  private stopping = false;
  /** Resolves the promise `stop` returned, once no connection is left. */
  private stopped?: () => void;

  constructor(
    private readonly handler: QueryHandler,
    private readonly options: TcpOptions,
    private readonly log: Logger,
  ) {}

  accept(socket: Socket): void {
    const source = socket.remoteAddress ?? '';
    if (this.stopping) {
      socket.destroy();
      return;
    }
    if ((this.perClient.get(source) ?? 0) >= this.options.maxConnectionsPerClient) {
      this.options.closed?.inc({ reason: 'client-limit' });
      socket.destroy();
      return;
    }
    // At the cap, NSD stops accepting (new connections wait in the kernel's
    // queue) or, with tcp-reject-overflow, closes the new one: either way those
    // who hold the connections decide who is served, and a thousand silent
    // connections shut TCP out for a whole timeout, again and again. Closing
    // the connection that has gone longest without a query instead costs an
    // honest client at most a reconnection (RFC 7766 §6.2.3: a server may close
    // idle connections, and clients must expect it), while a slot is kept only
    // by sending queries, that is by being a client like any other. The
    // per-address cap above keeps one address from cycling everyone else out.
    if (this.open.size >= this.options.maxConnections) {
      const oldest = this.open.values().next().value;
      if (oldest !== undefined) this.close(oldest, 'evicted');
    }
    // Read again: the connection evicted may have been this address's.
    this.perClient.set(source, (this.perClient.get(source) ?? 0) + 1);
    const connection: Connection = {
      socket,
      source,
      reader: new MessageReader(),
      timer: setTimeout(() => this.timedOut(connection), this.options.idleTimeoutMs).unref(),
      blocked: false,
      ended: false,
    };
    this.open.add(connection);
    socket.on('data', (chunk: Buffer) => {
      if (this.stopping) return;
      connection.reader.push(chunk);
      if (!connection.blocked) this.serve(connection);
    });
    socket.on('drain', () => {
      if (!connection.blocked) return;
      connection.blocked = false;
      this.serve(connection);
    });
    socket.on('end', () => {
      connection.ended = true;
      if (!connection.blocked) this.serve(connection);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.forget(connection));
  }

  get connections(): number {
    return this.open.size;
  }

  /**
   * Takes no more queries. Each connection sends the answers it was given, then
   * its FIN, and closes once the client closes its side (or at `destroyAll`).
   * What comes meanwhile is read and dropped: unread bytes in the kernel would
   * turn the close into a reset that loses the answers not yet sent.
   * Resolves once every connection is closed.
   */
  stop(): Promise<void> {
    this.stopping = true;
    for (const { socket, timer } of this.open) {
      clearTimeout(timer);
      if (!socket.writableEnded) socket.end();
      socket.resume();
    }
    return this.open.size === 0 ? Promise.resolve() : new Promise((resolve) => (this.stopped = resolve));
  }

  /** Closes every connection left at once. */
  destroyAll(): void {
    for (const { socket } of this.open) socket.destroy();
  }

  /** Answers the whole queries received, in order, while the socket takes the answers. */
  private serve(connection: Connection): void {
    if (this.stopping) return;
    const { socket, reader } = connection;
    let taken = false;
    socket.cork();
    for (;;) {
      const query = reader.next();
      if (query === undefined) break;
      taken = true;
      let response: Buffer | undefined;
      try {
        response = this.handler.handle(query, TCP, LENGTH_PREFIX, connection.source);
      } catch (err) {
        this.log.error({ err, peer: socket.remoteAddress }, 'query handling failed');
        socket.destroy();
        return;
      }
      if (response !== undefined && !socket.write(response)) {
        connection.blocked = true;
        break;
      }
    }
    socket.uncork();
    if (taken) {
      connection.timer.refresh();
      this.open.delete(connection);
      this.open.add(connection);
    }
    if (connection.blocked) socket.pause();
    else if (connection.ended) {
      if (!socket.writableEnded) socket.end();
    } else if (socket.isPaused()) socket.resume();
  }

  private timedOut(connection: Connection): void {
    const unread = connection.blocked || connection.socket.writableLength > 0;
    this.close(connection, unread ? 'unread' : connection.reader.pending > 0 ? 'incomplete' : 'idle');
  }

  private close(connection: Connection, reason: TcpCloseReason): void {
    this.options.closed?.inc({ reason });
    connection.socket.destroy();
    this.forget(connection);
  }

  private forget(connection: Connection): void {
    if (!this.open.delete(connection)) return;
    clearTimeout(connection.timer);
    const left = (this.perClient.get(connection.source) ?? 1) - 1;
    if (left > 0) this.perClient.set(connection.source, left);
    else this.perClient.delete(connection.source);
    if (this.open.size === 0) this.stopped?.();
  }
}
