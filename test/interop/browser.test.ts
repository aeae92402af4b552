// livekit-client in a real browser (Debian's headless Chromium: its own WebRTC, its own Web Worker
// for E2EE) against our SDK, both directions, through the dev SFU.
//
//   npx jest test/interop/browser.test.ts
//
// LK_INTEROP_BROWSER_LOGS=1 prints the page's console. Chromium comes from /usr/bin/chromium
// (CHROMIUM_PATH to override); `.ci/run` installs it when missing.

import { serverKinds, startTestServer, type TestServer } from '../servers/test-server';
import type { ForwardInfo } from '../../lib/dev-server';
import { disposeBrowserPeers } from './drivers/browser-peer';
import { nextReal, primeSubscription, type PeerKind } from './drivers/peer';
import { testedThrough } from './peer-servers';
import { PeerPool, deliverFrame, randomPayload, sameBytes, uniqueRoom, publisherLeaves, type PeerPair } from './helpers';

jest.setTimeout(90_000);

describe.each(serverKinds().filter((k) => testedThrough('livekit-client-browser', k)))('[%s]', (kind) => {
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

  const BROWSER: PeerKind = 'livekit-client-browser';
  /** [publisher kind, subscriber kind] */
  const DIRECTIONS: Array<[PeerKind, PeerKind]> = [
    ['ours', BROWSER],
    [BROWSER, 'ours'],
  ];
  const PASSPHRASE = 'browser interop shared passphrase';

  type Pair = PeerPair;

  const pair = (pubKind: PeerKind, subKind: PeerKind, name: string, e2eePassphrase?: string): Promise<Pair> =>
    pool.pair(pubKind, subKind, name, { roomPrefix: 'browser', e2eePassphrase });

  /** Pushes one random frame and expects it byte-exact with its user timestamp; returns the payload. */
  async function roundTrip(p: Pair, size: number, userTimestamp: bigint): Promise<Uint8Array> {
    const payload = randomPayload(size);
    // A multi-packet frame is pushed again if an SFU's congestion drop takes it (FINDINGS row 5).
    const f = await deliverFrame(p.local, p.sub, payload, userTimestamp);
    expect(f.payload.byteLength).toBe(size);
    expect(sameBytes(f.payload, payload)).toBe(true);
    expect(f.userTimestamp).toBe(userTimestamp);
    return payload;
  }

  /**
   * Copies of every packet the dev SFU forwards on `trackSid`, from now until `stop()`; null on
   * other servers, which show a test nothing of what they forward.
   */
  function tapForwarded(trackSid: string) {
    const dev = server.dev;
    if (!dev) return null;
    const packets: Buffer[] = [];
    const onForward = (info: ForwardInfo) => {
      if (info.trackSid === trackSid) packets.push(Buffer.from(info.packet));
    };
    dev.on('forward', onForward);
    return { packets, stop: () => dev.off('forward', onForward) };
  }

  /** Whether any packet holds a 24-byte run of `payload`, sampled every 512 bytes (random payloads). */
  function leaksPlaintext(packets: Buffer[], payload: Uint8Array): boolean {
    for (let at = 0; at + 24 <= payload.length; at += 512) {
      const probe = Buffer.from(payload.subarray(at, at + 24));
      if (packets.some((pkt) => pkt.includes(probe))) return true;
    }
    return false;
  }

  describe('livekit-client 2.23.0 in Chromium <-> our SDK', () => {
    test.each(DIRECTIONS)('%s -> %s: 1 KiB and 200 KiB frames byte-exact with user timestamps; names, identities, unpublish', async (pubKind, subKind) => {
      const p = await pair(pubKind, subKind, 'browser/telemetry');
      expect(p.publisher.identity).toBe(`pub-${pubKind}`);
      expect(p.subscriber.identity).toBe(`sub-${subKind}`);
      expect(p.local.sid).toMatch(/^DTR_/);
      expect(p.local.name).toBe('browser/telemetry');
      expect(p.local.usesE2ee).toBe(false);
      expect(p.remote.sid).toBe(p.local.sid);
      expect(p.remote.name).toBe('browser/telemetry');
      expect(p.remote.publisherIdentity).toBe(`pub-${pubKind}`);
      expect(p.remote.usesE2ee).toBe(false);

      await roundTrip(p, 1024, 1_764_000_000_123n);
      await roundTrip(p, 200 * 1024, 2n ** 63n + 5n);
      await roundTrip(p, 1024, 1n);

      await p.local.unpublish();
      await p.remote.waitForUnpublish();
      await p.sub.ended();
    });

    test.each(DIRECTIONS)('%s -> %s: the publisher leaving is seen as its participant leaving and its track unpublished', async (pubKind, subKind) => {
      await publisherLeaves(await pair(pubKind, subKind, 'browser/leaver'));
    });

    test.each(DIRECTIONS)('%s -> %s: a track published before the subscriber joined is discovered from the join', async (pubKind, subKind) => {
      const room = uniqueRoom('browser');
      const publisher = await pool.connect(pubKind, `early-${pubKind}`, room);
      const local = await publisher.publish('browser/early');
      const subscriber = await pool.connect(subKind, `late-${subKind}`, room);
      const remote = await subscriber.waitForRemoteTrack(`early-${pubKind}`, 'browser/early');
      expect(remote.sid).toBe(local.sid);
      expect(remote.publisherIdentity).toBe(`early-${pubKind}`);
      const sub = remote.subscribe();
      await primeSubscription(local, sub);
      const payload = randomPayload(3000);
      await local.push(payload, 3n);
      const f = await nextReal(sub);
      expect(sameBytes(f!.payload, payload)).toBe(true);
      expect(f!.userTimestamp).toBe(3n);
    });

    test.each(DIRECTIONS)('%s -> %s with a shared E2EE passphrase; the SFU forwards no plaintext', async (pubKind, subKind) => {
      const p = await pair(pubKind, subKind, 'browser/e2ee', PASSPHRASE);
      expect(p.local.usesE2ee).toBe(true);
      expect(p.remote.usesE2ee).toBe(true);
      const tap = tapForwarded(p.local.sid);
      try {
        const payloads = [await roundTrip(p, 1024, 42n), await roundTrip(p, 200 * 1024, 43n)];
        if (tap) {
          expect(tap.packets.length).toBeGreaterThanOrEqual(2);
          // The check itself can fail: the same probe finds the plaintext in an unencrypted frame.
          for (const payload of payloads) expect(leaksPlaintext(tap.packets, payload)).toBe(false);
        }
      } finally {
        tap?.stop();
      }
      await p.local.unpublish();
      await p.remote.waitForUnpublish();
    });

    // Dev-SFU only: the probe needs to see what the SFU forwards.
    (kind === 'dev-sfu' ? test.each(DIRECTIONS) : test.skip.each(DIRECTIONS))('%s -> %s without E2EE: the plaintext probe does find the payload in the forwarded packets', async (pubKind, subKind) => {
      const p = await pair(pubKind, subKind, 'browser/clear');
      const tap = tapForwarded(p.local.sid)!;
      try {
        const payload = await roundTrip(p, 1024, 7n);
        expect(leaksPlaintext(tap.packets, payload)).toBe(true);
      } finally {
        tap.stop();
      }
    });
  });
});

afterAll(() => disposeBrowserPeers());
