// Our SDK against LiveKit's own SDKs, both directions, through the dev SFU and livekit-server:
//   ours -> livekit-client, livekit-client -> ours, ours -> rust-ffi, rust-ffi -> ours.
//
//   npx jest test/interop/matrix.test.ts
//
// livekit-client has no E2EE in Node and no schemas, so those scenarios run against the Rust SDK only;
// livekit-client's E2EE is tested in Chromium (browser.test.ts).

import { serverKinds, startTestServer, type TestServer } from '../servers/test-server';
import { nextReal, primeSubscription, type PeerKind, type PeerSubscription } from './drivers/peer';
import { testedThrough } from './peer-servers';
import { PeerPool, randomPayload, sameBytes, uniqueRoom, deliverFrame, publisherLeaves, type PeerPair } from './helpers';

jest.setTimeout(90_000);


describe.each(serverKinds())('[%s]', (kind) => {
  let server: TestServer;
  const pool = new PeerPool(() => server);

  beforeAll(async () => {
    server = await startTestServer(kind);
  });
  afterEach(() => pool.disconnectAll());
  afterAll(async () => {
    await pool.disconnectAll();
    await server?.close();
  });

  // Against livekit-server, livekit-client is the one in Chromium (browser.test.ts; see peer-servers.ts).
  const THEIRS = (['livekit-client', 'rust-ffi'] as PeerKind[]).filter((peer) => testedThrough(peer, kind));
  /** [publisher kind, subscriber kind]: ours on one side, one of LiveKit's SDKs on the other. */
  const DIRECTIONS: Array<[PeerKind, PeerKind]> = THEIRS.flatMap((k): Array<[PeerKind, PeerKind]> => [
    ['ours', k],
    [k, 'ours'],
  ]);

  type Pair = PeerPair;

  const pair = (pubKind: PeerKind, subKind: PeerKind, name: string, e2eePassphrase?: string): Promise<Pair> =>
    pool.pair(pubKind, subKind, name, { roomPrefix: 'matrix', e2eePassphrase });

  /** Delivers one frame and expects it byte-exact with its timestamp. */
  async function roundTrip(p: Pair, size: number, userTimestamp: bigint | undefined) {
    const payload = randomPayload(size);
    const f = await deliverFrame(p.local, p.sub, payload, userTimestamp);
    expect(f).not.toBeNull();
    expect(f!.payload.byteLength).toBe(size);
    expect(sameBytes(f!.payload, payload)).toBe(true);
    expect(f!.userTimestamp).toBe(userTimestamp);
  }

  describe('interop matrix: our SDK <-> LiveKit SDKs', () => {
    test.each(DIRECTIONS)(
      '%s -> %s: 1 KiB, 196 KiB and 1.5 MB frames byte-exact with user timestamps; identity, name, unpublish',
      async (pubKind, subKind) => {
        const p = await pair(pubKind, subKind, 'matrix/frames');
        expect(p.local.sid).toMatch(/^DTR_/);
        expect(p.remote.sid).toBe(p.local.sid);
        expect(p.remote.name).toBe('matrix/frames');
        expect(p.remote.publisherIdentity).toBe(`pub-${pubKind}`);
        expect(p.remote.usesE2ee).toBe(false);

        await roundTrip(p, 1024, 1n);
        await roundTrip(p, 196 * 1024, 1_700_000_000_123n);
        // livekit-server drops a burst's packets once the subscriber's channel holds more than its
        // latency target; the Rust SDK's receiver drains slowly enough that a 1.5 MB frame never
        // arrives whole through it (test/interop/FINDINGS.md). Our receiver keeps up.
        if (kind === 'dev-sfu' || subKind === 'ours') {
          await roundTrip(p, 1_500_000, (1n << 63n) + 5n); // beyond 2^53 and with the top bit set
        }
        await roundTrip(p, 100, undefined); // no timestamp stays no timestamp
        if (pubKind !== 'livekit-client') {
          await roundTrip(p, 100, 0n); // 0 is a timestamp (livekit-client 2.23.0 cannot send it: it drops falsy ones)
        }

        await p.local.unpublish();
        await p.remote.waitForUnpublish();
        await p.sub.ended();
      },
    );

    test.each(DIRECTIONS)('%s -> %s: the publisher leaving ends its track and the stream', async (pubKind, subKind) => {
      await publisherLeaves(await pair(pubKind, subKind, 'matrix/leave'));
    });

    (THEIRS.length > 1 ? test : test.skip)('a livekit-client and a rust-ffi subscriber on one of our tracks at once', async () => {
      const room = uniqueRoom('matrix');
      const ours = await pool.connect('ours', 'ours-pub', room);
      const theirs = await Promise.all(THEIRS.map((k) => pool.connect(k, `sub-${k}`, room)));
      const local = await ours.publish('fanout');
      const subs: PeerSubscription[] = [];
      for (const peer of theirs) {
        const remote = await peer.waitForRemoteTrack('ours-pub', 'fanout');
        expect(remote.publisherIdentity).toBe('ours-pub');
        const sub = remote.subscribe();
        subs.push(sub);
        await primeSubscription(local, sub);
      }
      for (const size of [1024, 196 * 1024]) {
        const payload = randomPayload(size);
        await local.push(payload, BigInt(size));
        for (const sub of subs) {
          const f = await nextReal(sub);
          expect(sameBytes(f!.payload, payload)).toBe(true);
          expect(f!.userTimestamp).toBe(BigInt(size));
        }
      }
      await local.unpublish();
      await Promise.all(subs.map((s) => s.ended()));
    });

    test.each<[PeerKind, PeerKind]>([
      ['ours', 'rust-ffi'],
      ['rust-ffi', 'ours'],
    ])('%s -> %s with a shared E2EE passphrase; the SFU only sees ciphertext', async (pubKind, subKind) => {
      const p = await pair(pubKind, subKind, 'matrix/e2ee', 'interop shared passphrase');
      expect(p.local.usesE2ee).toBe(true);
      expect(p.remote.usesE2ee).toBe(true);
      // Only the dev SFU shows a test what it forwards; elsewhere the round trip alone is checked.
      const dev = server.dev;
      const forwarded: Uint8Array[] = [];
      const onForward = (info: { trackSid: string; packet: Uint8Array }) => {
        if (info.trackSid === p.local.sid) forwarded.push(info.packet);
      };
      dev?.on('forward', onForward);
      try {
        const payload = randomPayload(1024);
        await p.local.push(payload, 42n);
        const f = await nextReal(p.sub);
        expect(sameBytes(f!.payload, payload)).toBe(true);
        expect(f!.userTimestamp).toBe(42n);
        if (dev) expect(forwarded.length).toBeGreaterThan(0);
        const probe = Buffer.from(payload.subarray(100, 132));
        expect(forwarded.some((pkt) => Buffer.from(pkt).includes(probe))).toBe(false);
      } finally {
        dev?.off('forward', onForward);
      }
      await roundTrip(p, 196 * 1024, 43n);
    });

    test.each<[PeerKind, PeerKind]>([
      ['ours', 'rust-ffi'],
      ['rust-ffi', 'ours'],
    ])('%s -> %s with different passphrases: nothing decrypts', async (pubKind, subKind) => {
      const room = uniqueRoom('matrix');
      const publisher = await pool.connect(pubKind, `pub-${pubKind}`, room, { e2eePassphrase: 'passphrase one' });
      const subscriber = await pool.connect(subKind, `sub-${subKind}`, room, { e2eePassphrase: 'passphrase two' });
      const local = await publisher.publish('matrix/wrong-key');
      const remote = await subscriber.waitForRemoteTrack(`pub-${pubKind}`, 'matrix/wrong-key');
      expect(remote.usesE2ee).toBe(true);
      const sub = remote.subscribe();
      await sub.ready;
      const deadline = Date.now() + 2000;
      let received = 0;
      while (Date.now() < deadline) {
        await local.push(randomPayload(512), 1n);
        if (await sub.next(100).catch(() => null)) received++;
      }
      expect(received).toBe(0);
    });

    test.each<[PeerKind, PeerKind]>([
      ['ours', 'rust-ffi'],
      ['rust-ffi', 'ours'],
    ])('%s -> %s: schema metadata and the stored schema definition', async (pubKind, subKind) => {
      const room = uniqueRoom('matrix');
      const publisher = await pool.connect(pubKind, `pub-${pubKind}`, room);
      const subscriber = await pool.connect(subKind, `sub-${subKind}`, room);
      const schema = { name: 'interop.Reading', encoding: 'jsonschema' as const };
      const definition = JSON.stringify({ type: 'object', properties: { t: { type: 'number' } } });
      await publisher.defineSchema!(schema, definition);
      await publisher.publish('typed', { schema, frameEncoding: 'json' });
      await publisher.publish('custom', { schema: { name: 'c', encoding: { custom: 'my-enc' } }, frameEncoding: { custom: 'my-frame' } });

      const typed = await subscriber.waitForRemoteTrack(`pub-${pubKind}`, 'typed');
      expect(typed.schema).toEqual(schema);
      expect(typed.frameEncoding).toBe('json');
      const custom = await subscriber.waitForRemoteTrack(`pub-${pubKind}`, 'custom');
      expect(custom.schema).toEqual({ name: 'c', encoding: { custom: 'my-enc' } });
      expect(custom.frameEncoding).toEqual({ custom: 'my-frame' });
      expect(await subscriber.getSchema!(schema, `pub-${pubKind}`)).toBe(definition);
    });
  });
});

afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  await (require('./drivers/rust-ffi-peer') as typeof import('./drivers/rust-ffi-peer')).disposeRustFfi();
});
