// A TCP proxy on loopback in front of a server's signal port: the network between clients and the
// server, so tests can cut one participant's signal connection, every connection, or steer new
// connections to another node (a load balancer in front of a cluster). Works the same for every
// server kind, since it never looks past the HTTP upgrade request.

import * as net from 'node:net';

interface Connection {
  client: net.Socket;
  upstream: net.Socket;
  /** The token's subject (the participant identity), once the upgrade request has been read. */
  identity: string | null;
}

export class TcpProxy {
  private readonly connections = new Set<Connection>();
  private server!: net.Server;
  port = 0;

  /** `target()` picks the upstream port for each new connection. */
  private constructor(private readonly target: () => number) {}

  static async start(target: number | (() => number)): Promise<TcpProxy> {
    const proxy = new TcpProxy(typeof target === 'number' ? () => target : target);
    proxy.server = net.createServer((client) => proxy.accept(client));
    await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
    proxy.port = (proxy.server.address() as net.AddressInfo).port;
    return proxy;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  private accept(client: net.Socket): void {
    const upstream = net.connect(this.target(), '127.0.0.1');
    const conn: Connection = { client, upstream, identity: null };
    this.connections.add(conn);
    let head = '';
    const sniff = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (head.includes('\r\n\r\n') || head.length > 64 * 1024) {
        client.off('data', sniff);
        conn.identity = identityOf(head);
      }
    };
    client.on('data', sniff);
    for (const s of [client, upstream]) s.on('error', () => {});
    client.pipe(upstream).pipe(client);
    const close = () => {
      client.destroy();
      upstream.destroy();
      this.connections.delete(conn);
    };
    client.on('close', close);
    upstream.on('close', close);
  }

  /** Cuts (no close frame, no FIN handshake) every connection of `identity`; how many were cut. */
  cut(identity: string): number {
    let n = 0;
    for (const c of [...this.connections]) {
      if (c.identity !== identity) continue;
      c.client.resetAndDestroy();
      c.upstream.destroy();
      n++;
    }
    return n;
  }

  /** Cuts every connection and stops listening: the address refuses from now on. */
  async kill(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of [...this.connections]) {
      c.client.resetAndDestroy();
      c.upstream.destroy();
    }
    await closed;
  }
}

/** The `sub` claim of the access token in an HTTP upgrade request (query or bearer header). */
function identityOf(head: string): string | null {
  const requestLine = head.slice(0, head.indexOf('\r\n'));
  const target = requestLine.split(' ')[1] ?? '';
  let token = new URL(target, 'http://proxy').searchParams.get('access_token');
  token ??= /^authorization:\s*bearer\s+(\S+)/im.exec(head)?.[1] ?? null;
  if (!token) return null;
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof payload.sub === 'string' ? payload.sub : null;
  } catch {
    return null;
  }
}
