import { DevServer, type DevServerOptions, type TokenGrants } from '../../../lib/dev-server';
import { TestClient, type ConnectOptions } from './client';

export interface Harness {
  server: DevServer;
  /** Connects a TestClient (closed after each test). */
  connect(identity: string, grants?: TokenGrants, opts?: ConnectOptions): Promise<TestClient>;
  /** Connects and waits until its `_data_track` is open. */
  connectReady(identity: string, grants?: TokenGrants, opts?: ConnectOptions): Promise<TestClient>;
  /** Closes this client after the test too. */
  track(c: TestClient): void;
}

/** A fresh DevServer per test, closed (with every client) afterwards. */
export function useDevServer(options: DevServerOptions = {}): Harness {
  const clients: TestClient[] = [];
  const h = {
    server: undefined as unknown as DevServer,
    async connect(identity: string, grants?: TokenGrants, opts?: ConnectOptions) {
      const c = await TestClient.connect(h.server.url, await h.server.token(identity, grants), identity, opts);
      clients.push(c);
      return c;
    },
    async connectReady(identity: string, grants?: TokenGrants, opts?: ConnectOptions) {
      const c = await h.connect(identity, grants, opts);
      await c.waitDataChannel();
      return c;
    },
    track(c: TestClient) {
      clients.push(c);
    },
  };
  beforeEach(async () => {
    h.server = await DevServer.start(options);
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await h.server.close();
  });
  return h;
}
