// Free ports on a loopback address for the DNS servers a lab or a test starts:
// the same number must be free for UDP and TCP, so both are bound to check. The sockets are closed
// before the ports are returned, so another process could still take one in the
// meantime; the servers we start fail loudly on EADDRINUSE if that ever happens.

import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server } from 'node:net';

function bindUdp(port: number, host: string): Promise<UdpSocket> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', (err) => {
      sock.close();
      reject(err);
    });
    sock.bind({ port, address: host, exclusive: true }, () => {
      sock.removeAllListeners('error');
      resolve(sock);
    });
  });
}

function bindTcp(port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err) => {
      srv.close();
      reject(err);
    });
    srv.listen({ port, host, exclusive: true }, () => {
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
 * `count` distinct ports on `host`, each free for both UDP and TCP at the time
 * of the check. All are held bound until every one is found, so the numbers are
 * distinct.
 */
export async function getFreePorts(count: number, host = '127.0.0.1'): Promise<number[]> {
  const held: Array<{ udp: UdpSocket; tcp: Server }> = [];
  try {
    let attempts = 0;
    while (held.length < count) {
      if (++attempts > 200) throw new Error(`no port free for both UDP and TCP on ${host} after 200 tries`);
      // Let the kernel pick a UDP port, then check that TCP can have the same one.
      const udp = await bindUdp(0, host);
      const port = udp.address().port;
      let tcp: Server;
      try {
        tcp = await bindTcp(port, host);
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

/** One port on `host` free for both UDP and TCP. */
export async function getFreePort(host = '127.0.0.1'): Promise<number> {
  const [port] = await getFreePorts(1, host);
  return port;
}
