// A describe block's development SFU: started once, every room pushed to `rooms` disconnected
// after each test, and no unhandled rejection allowed anywhere in the suite.

import { DevServer } from '../../../lib/dev-server';
import type { Room } from '../../../lib/room/room';

export interface DevServerSuite {
  readonly server: DevServer;
  readonly rooms: Room[];
}

export function devServerSuite(): DevServerSuite {
  let server: DevServer | undefined;
  const rooms: Room[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    server = await DevServer.start({ port: 0 });
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
    get server() {
      if (!server) throw new Error('the dev SFU starts in beforeAll');
      return server;
    },
    rooms,
  };
}
