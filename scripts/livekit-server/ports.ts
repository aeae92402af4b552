// Free loopback ports, for servers that cannot be told "port 0" (livekit-server, redis-server) and
// for tests that need a port nothing listens on.

import * as dgram from 'node:dgram';
import * as net from 'node:net';

export function freeTcpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4');
    socket.unref();
    socket.once('error', reject);
    socket.bind(0, host, () => {
      const { port } = socket.address();
      socket.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on host:port; for processes we started ourselves. */
export async function waitForTcp(port: number, opts: { host?: string; timeoutMs: number; exited?: () => string | null }): Promise<void> {
  const host = opts.host ?? '127.0.0.1';
  const end = Date.now() + opts.timeoutMs;
  for (;;) {
    const why = opts.exited?.();
    if (why) throw new Error(why);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, host);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`nothing listened on ${host}:${port} within ${opts.timeoutMs} ms`);
    // A child process binding its port has no event we can wait on from here; poll briefly.
    await new Promise((r) => setTimeout(r, 25));
  }
}
