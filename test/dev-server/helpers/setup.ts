import { DevServer, type DevServerOptions, type TokenGrants } from '../../../lib/dev-server';
import { TestClient, type ConnectOptions } from './client';

export interface Harness {
  server: DevServer;
  /** Connects a TestClient (closed after each test). */
  connect(identity: string, grants?: TokenGrants, opts?: ConnectOptions): Promise<TestClient>;
  /**
   * Connects and waits until its `_data_track` is open on both ends: the SFU has adopted it, so
   * subscriptions are activated right away and packets can reach it.
   */
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
      const adopted = sfuChannelOpen(h.server, identity, grants?.room ?? 'dev-room');
      try {
        const c = await h.connect(identity, grants, opts);
        await Promise.all([c.waitDataChannel(), adopted.promise]);
        return c;
      } finally {
        adopted.cancel();
      }
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

/** Resolves when the SFU has adopted this participant's `_data_track` (listen before connecting). */
export function sfuChannelOpen(server: DevServer, identity: string, room = 'dev-room'): { promise: Promise<void>; cancel(): void } {
  let cancel = () => undefined as void;
  const promise = new Promise<void>((resolve, reject) => {
    const listener = (e: { room: string; identity: string }) => {
      if (e.identity === identity && e.room === room) done(resolve);
    };
    const timer = setTimeout(() => done(() => reject(new Error(`timed out waiting for the SFU to adopt ${identity}'s _data_track`))), 10_000);
    const done = (settle: () => void) => {
      clearTimeout(timer);
      server.off('dataChannelOpen', listener);
      settle();
    };
    cancel = () => done(() => undefined);
    server.on('dataChannelOpen', listener);
  });
  return { promise, cancel };
}
