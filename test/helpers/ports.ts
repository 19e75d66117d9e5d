// Free ports on 127.0.0.1 for a DNS server under test: the same number must be
// free for UDP and TCP, so both are bound to check. The sockets are closed
// before the ports are returned, so another process could still take one in the
// meantime; the servers we start fail loudly on EADDRINUSE if that ever happens.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

const HOST = '127.0.0.1';

function bindUdp(port: number): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', (err) => {
      sock.close();
      reject(err);
    });
    sock.bind({ port, address: HOST, exclusive: true }, () => {
      sock.removeAllListeners('error');
      resolve(sock);
    });
  });
}

function bindTcp(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err) => {
      srv.close();
      reject(err);
    });
    srv.listen({ port, host: HOST, exclusive: true }, () => {
      srv.removeAllListeners('error');
      resolve(srv);
    });
  });
}

function closeUdp(sock: UdpSocket): Promise<void> {
  return new Promise((resolve) => sock.close(() => resolve()));
}

function closeTcp(srv: Server): Promise<void> {
  return new Promise((resolve) => srv.close(() => resolve()));
}

/**
 * `count` distinct ports on 127.0.0.1, each free for both UDP and TCP at the time
 * of the check. All are held bound until every one is found, so the numbers are
 * distinct.
 */
export async function getFreePorts(count: number): Promise<number[]> {
  const held: Array<{ udp: UdpSocket; tcp: Server }> = [];
  try {
    let attempts = 0;
    while (held.length < count) {
      if (++attempts > 200) throw new Error(`getFreePorts: no port free for both UDP and TCP on ${HOST} after 200 tries`);
      // Let the kernel pick a UDP port, then check that TCP can have the same one.
      const udp = await bindUdp(0);
      const port = udp.address().port;
      let tcp: Server;
      try {
        tcp = await bindTcp(port);
      } catch {
        await closeUdp(udp);
        continue;
      }
      held.push({ udp, tcp });
    }
    return held.map((h) => h.udp.address().port);
  } finally {
    await Promise.all(held.flatMap((h) => [closeUdp(h.udp), closeTcp(h.tcp)]));
  }
}

/** One port on 127.0.0.1 free for both UDP and TCP. */
export async function getFreePort(): Promise<number> {
  const [port] = await getFreePorts(1);
  return port;
}

/** True when `port` can be bound on 127.0.0.1 for both UDP and TCP right now. */
export async function isPortFree(port: number): Promise<boolean> {
  let udp: UdpSocket | undefined;
  let tcp: Server | undefined;
  try {
    udp = await bindUdp(port);
    tcp = await bindTcp(port);
    return true;
  } catch {
    return false;
  } finally {
    if (udp) await closeUdp(udp);
    if (tcp) await closeTcp(tcp);
  }
}
