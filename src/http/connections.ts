// A cap on the HTTP listener's connections, so that HTTP can never take every
// file descriptor the process has: DNS over TCP, the store and the listener
// itself need theirs. At the cap a new connection is not refused: a
// connection that holds no request goes for it, one that has not sent a
// request yet first (oldest first), then the one idle longest. Only when every
// connection is in the middle of a request is the new one closed. Silent
// connections go after `firstRequestMs` anyway.
//
// So heartbeats and /healthz get through a flood of silent connections: each
// new connection takes the place of a silent one, and a request once started
// is not cut short.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export type ClosedReason = 'evicted' | 'full' | 'silent';

interface Tracked {
  socket: Socket;
  peer: string;
  /** fresh: no request yet; active: requests in progress; idle: between requests (keep-alive). */
  state: 'fresh' | 'active' | 'idle';
  requests: number;
  idleSince: number;
  timer?: NodeJS.Timeout;
}

export interface ConnectionEvents {
  closed?(reason: ClosedReason): void;
  /** The number open now, after every change. */
  open?(count: number): void;
}

export class ConnectionCap {
  /** In the order they came: the first fresh one found is the oldest. */
  private readonly tracked = new Map<Socket, Tracked>();
  /** By remote address and port: a TLS request's socket is not the one accepted, but has the same peer. */
  private readonly byPeer = new Map<string, Tracked>();

  constructor(
    readonly max: number,
    private readonly firstRequestMs: number,
    private readonly events: ConnectionEvents = {},
  ) {}

  get size(): number {
    return this.tracked.size;
  }

  /** A new connection (the server's `connection` event). */
  accept(socket: Socket): void {
    if (this.tracked.size >= this.max && !this.evictOne()) {
      socket.destroy();
      this.events.closed?.('full');
      return;
    }
    const entry: Tracked = { socket, peer: peerOf(socket), state: 'fresh', requests: 0, idleSince: performance.now() };
    entry.timer = setTimeout(() => {
      if (entry.state !== 'fresh') return;
      this.forget(entry);
      socket.destroy();
      this.events.closed?.('silent');
    }, this.firstRequestMs).unref();
    this.tracked.set(socket, entry);
    this.byPeer.set(entry.peer, entry);
    socket.once('close', () => this.forget(entry));
    this.events.open?.(this.tracked.size);
  }

  /** A request on a connection (the server's `request` event): it is not closed for room until its answer is done. */
  request(req: IncomingMessage, res: ServerResponse): void {
    const entry = this.byPeer.get(peerOf(req.socket));
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.state = 'active';
    entry.requests++;
    res.once('close', () => {
      if (--entry.requests > 0) return;
      entry.state = 'idle';
      entry.idleSince = performance.now();
    });
  }

  /** Closes a connection that holds no request; false when every one does. */
  private evictOne(): boolean {
    let victim: Tracked | undefined;
    for (const entry of this.tracked.values()) {
      if (entry.state === 'fresh') {
        victim = entry;
        break;
      }
      if (entry.state === 'idle' && (victim === undefined || entry.idleSince < victim.idleSince)) victim = entry;
    }
    if (victim === undefined) return false;
    this.forget(victim);
    victim.socket.destroy();
    this.events.closed?.('evicted');
    return true;
  }

  private forget(entry: Tracked): void {
    clearTimeout(entry.timer);
    if (!this.tracked.delete(entry.socket)) return;
    if (this.byPeer.get(entry.peer) === entry) this.byPeer.delete(entry.peer);
    this.events.open?.(this.tracked.size);
  }
}

function peerOf(socket: Socket): string {
  return `${socket.remoteAddress}|${socket.remotePort}`;
}
