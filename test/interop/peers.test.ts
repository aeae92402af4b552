// LiveKit's own SDKs as peers through our dev SFU (and livekit-server, the reference): livekit-client (JS, in Node over
// node-datachannel) and the Rust SDK (through @livekit/rtc-ffi-bindings). If they exchange
// data-track frames through it, the SFU and its wire format are real LiveKit.
//
//   npx jest test/interop/peers.test.ts
//
// LK_INTEROP_RUST_LOGS=1 prints the Rust SDK's INFO+ logs; LK_INTEROP_RUST_LOG_FILE=path keeps all of
// them; LK_INTEROP_JS_LOGS=debug shows livekit-client's.

import { serverKinds, startTestServer, type TestServer } from '../servers/test-server';
import { nextReal, primeSubscription, type InteropPeer, type PeerKind, type PeerLocalTrack, type PeerSubscription } from './drivers/peer';
import { PeerPool, randomPayload, sameBytes, uniqueRoom, deliverFrame } from './helpers';

jest.setTimeout(60_000);


// These prove our SFU with LiveKit's SDKs on both ends, so they run against it alone. Run against
// livekit-server as a reference, livekit-client in Node could not connect at all and Rust -> Rust
// 1.5 MB frames were lost to the server's congestion drops (test/interop/FINDINGS.md).
describe.each(serverKinds().filter((k) => k === 'dev-sfu'))('[%s]', (kind) => {
  let server: TestServer;
  const pool = new PeerPool(() => server);

  beforeAll(async () => {
    server = await startTestServer(kind);
  });

  afterEach(async () => {
    await pool.disconnectAll();
  });

  afterAll(async () => {
    await pool.disconnectAll();
    await server?.close();
  });

  const PAIRS: Array<[PeerKind, PeerKind]> = [
    ['livekit-client', 'livekit-client'],
    ['rust-ffi', 'rust-ffi'],
    ['livekit-client', 'rust-ffi'],
    ['rust-ffi', 'livekit-client'],
  ];

  describe('LiveKit SDK peers', () => {
    test.each(PAIRS)('%s publishes, %s receives a frame byte-exact, then sees the unpublish', async (pubKind, subKind) => {
      const room = uniqueRoom();
      const publisher = await pool.connect(pubKind, `pub-${pubKind}`, room);
      const subscriber = await pool.connect(subKind, `sub-${subKind}`, room);

      const local = await publisher.publish('sensor');
      expect(local.sid).toMatch(/^DTR_/);
      expect(local.usesE2ee).toBe(false);

      const remote = await subscriber.waitForRemoteTrack(`pub-${pubKind}`, 'sensor');
      expect(remote.sid).toBe(local.sid);
      expect(remote.name).toBe('sensor');
      expect(remote.publisherIdentity).toBe(`pub-${pubKind}`);
      expect(remote.usesE2ee).toBe(false);

      const sub = remote.subscribe();
      await primeSubscription(local, sub);

      const payload = randomPayload(1024);
      await local.push(payload, 1_234_567_890_123n);
      const frame = await nextReal(sub);
      expect(frame).not.toBeNull();
      expect(sameBytes(frame!.payload, payload)).toBe(true);
      expect(frame!.userTimestamp).toBe(1_234_567_890_123n);

      await local.unpublish();
      await remote.waitForUnpublish();
      await sub.ended();
    });

    test.each(PAIRS)('%s -> %s: multi-packet frames (196 KiB, 1.5 MB) arrive byte-exact', async (pubKind, subKind) => {
      const { local, sub } = await pairWithSubscription(pubKind, subKind, 'bulk');
      for (const [size, ts] of [
        [196 * 1024, 7n],
        [1_500_000, 8n],
      ] as const) {
        const payload = randomPayload(size);
        const frame = await deliverFrame(local, sub, payload, ts);
        expect(frame?.payload.byteLength).toBe(size);
        expect(sameBytes(frame!.payload, payload)).toBe(true);
        expect(frame!.userTimestamp).toBe(ts);
      }
    });

    test.each(PAIRS)('%s -> %s: the publisher leaving ends its track and the stream', async (pubKind, subKind) => {
      const { publisher, subscriber, remote, sub } = await pairWithSubscription(pubKind, subKind, 'leaver');
      await publisher.disconnect();
      await subscriber.waitForParticipantLeft(publisher.identity);
      await remote.waitForUnpublish();
      await sub.ended();
    });

    test.each<PeerKind>(['livekit-client', 'rust-ffi'])(
      '%s publishes to a livekit-client and a rust-ffi subscriber at once',
      async (pubKind) => {
        const room = uniqueRoom();
        const publisher = await pool.connect(pubKind, 'pub', room);
        const subs = await Promise.all([
          pool.connect('livekit-client', 'sub-js', room),
          pool.connect('rust-ffi', 'sub-rust', room),
        ]);
        const local = await publisher.publish('fanout');
        const streams: PeerSubscription[] = [];
        for (const s of subs) {
          const remote = await s.waitForRemoteTrack('pub', 'fanout');
          expect(remote.sid).toBe(local.sid);
          const sub = remote.subscribe();
          streams.push(sub);
          await primeSubscription(local, sub);
        }
        const payload = randomPayload(40_000);
        await local.push(payload, 99n);
        for (const sub of streams) {
          const f = await nextReal(sub);
          expect(sameBytes(f!.payload, payload)).toBe(true);
          expect(f!.userTimestamp).toBe(99n);
        }
      },
    );

    test.each(PAIRS)('%s -> %s: a track published before the subscriber joins is discovered from the join', async (pubKind, subKind) => {
      const room = uniqueRoom();
      const publisher = await pool.connect(pubKind, `pub-${pubKind}`, room);
      const local = await publisher.publish('early');
      const subscriber = await pool.connect(subKind, `sub-${subKind}`, room);
      const remote = await subscriber.waitForRemoteTrack(`pub-${pubKind}`, 'early');
      expect(remote.sid).toBe(local.sid);
      const sub = remote.subscribe();
      await primeSubscription(local, sub);
      const payload = randomPayload(3000);
      await local.push(payload, 3n);
      expect(sameBytes((await nextReal(sub))!.payload, payload)).toBe(true);
    });

    test('rust-ffi <-> rust-ffi with a shared E2EE passphrase', async () => {
      const room = uniqueRoom();
      const a = await pool.connect('rust-ffi', 'enc-a', room, { e2eePassphrase: 'interop-secret' });
      const b = await pool.connect('rust-ffi', 'enc-b', room, { e2eePassphrase: 'interop-secret' });
      const local = await a.publish('secret');
      expect(local.usesE2ee).toBe(true);
      const remote = await b.waitForRemoteTrack('enc-a', 'secret');
      expect(remote.usesE2ee).toBe(true);
      const sub = remote.subscribe();
      await primeSubscription(local, sub);
      const payload = randomPayload(50_000);
      await local.push(payload, 5n);
      const f = await nextReal(sub);
      expect(sameBytes(f!.payload, payload)).toBe(true);
      expect(f!.userTimestamp).toBe(5n);
    });

    test('rust-ffi publishes schema metadata and a schema definition another rust-ffi reads', async () => {
      const room = uniqueRoom();
      const a = await pool.connect('rust-ffi', 'schema-a', room);
      const b = await pool.connect('rust-ffi', 'schema-b', room);
      const schema = { name: 'interop.Reading', encoding: 'jsonschema' as const };
      const definition = JSON.stringify({ type: 'object', properties: { t: { type: 'number' } } });
      await a.defineSchema!(schema, definition);
      await a.publish('typed', { schema, frameEncoding: 'json' });
      await a.publish('custom', { schema: { name: 'c', encoding: { custom: 'my-enc' } }, frameEncoding: { custom: 'my-frame' } });
      const typed = await b.waitForRemoteTrack('schema-a', 'typed');
      expect(typed.schema).toEqual(schema);
      expect(typed.frameEncoding).toBe('json');
      const custom = await b.waitForRemoteTrack('schema-a', 'custom');
      expect(custom.schema).toEqual({ name: 'c', encoding: { custom: 'my-enc' } });
      expect(custom.frameEncoding).toEqual({ custom: 'my-frame' });
      expect(await b.getSchema!(schema, 'schema-a')).toBe(definition);
      await expect(b.getSchema!({ name: 'undefined.Schema', encoding: 'protobuf' }, 'schema-a')).rejects.toThrow();
    });
  });

  async function pairWithSubscription(
    pubKind: PeerKind,
    subKind: PeerKind,
    name: string,
  ): Promise<{ publisher: InteropPeer; subscriber: InteropPeer; local: PeerLocalTrack; remote: Awaited<ReturnType<InteropPeer['waitForRemoteTrack']>>; sub: PeerSubscription }> {
    const room = uniqueRoom();
    const publisher = await pool.connect(pubKind, `pub-${pubKind}`, room);
    const subscriber = await pool.connect(subKind, `sub-${subKind}`, room);
    const local = await publisher.publish(name);
    const remote = await subscriber.waitForRemoteTrack(publisher.identity, name);
    const sub = remote.subscribe();
    await primeSubscription(local, sub);
    return { publisher, subscriber, local, remote, sub };
  }
});

afterAll(async () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  await (require('./drivers/rust-ffi-peer') as typeof import('./drivers/rust-ffi-peer')).disposeRustFfi();
});
