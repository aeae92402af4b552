// A describe block's server: started once, every room pushed to `rooms` disconnected after each
// test, and no unhandled rejection allowed anywhere in the suite.

import type { Room } from '../../lib/room/room';
import { serverKinds, startTestServer, type ServerKind, type StartOptions, type TestServer } from './test-server';

export interface ServerSuite {
  readonly kind: ServerKind;
  readonly server: TestServer;
  readonly rooms: Room[];
}

export function serverSuite(kind: ServerKind, options?: StartOptions): ServerSuite {
  let server: TestServer | undefined;
  const rooms: Room[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await startTestServer(kind, options);
  });
  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
  });
  afterAll(async () => {
    await server?.close();
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  return {
    kind,
    get server() {
      if (!server) throw new Error('the suite server starts in beforeAll');
      return server;
    },
    rooms,
  };
}

/** `describe` once per server kind of this environment, each with its own server. */
export function describeEachServer(title: string, body: (suite: ServerSuite) => void, options?: StartOptions): void {
  describe.each(serverKinds())(`${title} [%s]`, (kind) => body(serverSuite(kind, options)));
}
