// The Publisher and Subscriber through the addon: the shapes of their events, the caller's
// millisecond clock, and bad arguments. Their behaviour is tested in native/core (virtual time).
import { native, type NativePublisherEvent, type NativeSubscriberEvent } from '../../lib/native/binding';
import { expectCode } from './helpers';

const b = native();
/* eslint-disable @typescript-eslint/no-explicit-any */
const any = b as any;

const T0 = 1_000.25;
const NONE = { frameEncoding: null, schema: null };

function publisher() {
  return new b.Publisher({ nowMs: T0, queueCapacity: 4, publishTimeoutMs: 100, unpublishTimeoutMs: 50 });
}

describe('Publisher', () => {
  test('a publish, its request, its answer and its deadline in the caller’s milliseconds', () => {
    const p = publisher();
    const metadata = { frameEncoding: { wellKnown: 7, custom: null }, schema: { name: 'pose', encoding: { wellKnown: null, custom: 'x' } } };
    const started = p.publish({ name: 'a', usesE2ee: true, metadata, queueCapacity: 2, timeoutMs: null }, T0);
    expect(started).toEqual({ handle: 1, error: null });
    const request = { handle: 1, name: 'a', usesE2ee: true, metadata };
    expect(p.pollEvents()).toEqual<NativePublisherEvent[]>([{ kind: 'sendPublishRequest', request }]);
    expect(p.pollTimeout()).toBe(T0 + 100);
    p.handlePublishResponse(1, 'DTR_a', NONE, T0 + 1);
    expect(p.pollEvents()).toEqual([{ kind: 'published', track: { ...request, sid: 'DTR_a' } }]);
    expect(p.pollTimeout()).toBeNull();
    expect(p.syncStateTracks()).toEqual([{ ...request, sid: 'DTR_a' }]);
    expect(p.stats(1)).toMatchObject({ framesSent: 0, framesDroppedQueueFull: 0, framesDroppedEncryptionFailed: 0 });
  });

  test('failures come as plain objects with the public reason', () => {
    const p = publisher();
    expect(p.publish({ name: '', usesE2ee: false, metadata: NONE, queueCapacity: null, timeoutMs: null }, T0).error).toMatchObject({
      reason: 'invalidName',
      rawMessage: null,
    });
    p.publish({ name: 'a', usesE2ee: false, metadata: NONE, queueCapacity: null, timeoutMs: 10 }, T0);
    p.pollEvents();
    p.handleTimeout(T0 + 9.999);
    expect(p.pollEvents()).toEqual([]);
    p.handleTimeout(T0 + 10);
    const [failed] = p.pollEvents();
    expect(failed).toMatchObject({ kind: 'publishFailed', handle: 1, error: { reason: 'timeout', rawMessage: null } });
    p.publish({ name: 'b', usesE2ee: false, metadata: NONE, queueCapacity: null, timeoutMs: null }, T0);
    p.pollEvents();
    p.handlePublishRejected(2, 2, 'no');
    expect(p.pollEvents()).toEqual([
      { kind: 'publishFailed', handle: 2, error: { reason: 'notAllowed', message: "the SFU refused to publish 'b': NOT_ALLOWED (no)", rawMessage: 'no' } },
    ]);
  });

  test('an endless timeout neither overflows nor fires', () => {
    const p = publisher();
    p.publish({ name: 'a', usesE2ee: false, metadata: NONE, queueCapacity: null, timeoutMs: Infinity }, T0);
    p.pollEvents();
    expect(Number.isFinite(p.pollTimeout())).toBe(true);
    p.handleTimeout(T0 + 1e12); // 31 years on
    expect(p.pollEvents()).toEqual([]);
  });

  test('bad arguments', () => {
    expectCode(() => any.Publisher({}), 'InvalidArgument');
    expectCode(() => new any.Publisher({ nowMs: 0, queueCapacity: 0, publishTimeoutMs: 1, unpublishTimeoutMs: 1 }), 'InvalidArgument');
    const p = publisher() as any;
    expectCode(() => p.publish({ name: 5, usesE2ee: false, metadata: NONE }, T0), 'InvalidArgument');
    expectCode(() => p.handleTimeout(NaN), 'InvalidArgument');
    expectCode(() => p.unpublish(0, T0), 'InvalidArgument');
    expectCode(() => p.handlePublishResponse(1, 'DTR', { frameEncoding: { wellKnown: 'x' } }, T0), 'InvalidArgument');
  });
});

describe('Subscriber', () => {
  test('discovery, a subscribe and its readiness', () => {
    const s = new b.Subscriber({ nowMs: T0, subscribeTimeoutMs: 100 });
    s.channelOpened();
    const info = { sid: 'DTR_t', pubHandle: 1, name: 't', encryption: 0, metadata: NONE };
    s.updateParticipant('alice', [info, { ...info, sid: 'DTR_bad', pubHandle: 70_000 }], T0);
    expect(s.pollEvents()).toEqual<NativeSubscriberEvent[]>([
      {
        kind: 'trackPublished',
        track: { trackId: 1, identity: 'alice', sid: 'DTR_t', name: 't', usesE2ee: false, metadata: NONE },
        holdsName: true,
      },
    ]);
    const { stream, error } = s.subscribe(1, null, T0);
    expect(error).toBeNull();
    expect(s.pollEvents()).toEqual([{ kind: 'sendUpdateSubscription', sid: 'DTR_t', subscribe: true }]);
    // The subscribe's deadline (100 ms) comes before its first ask again (500 ms).
    expect(s.pollTimeout()).toBe(T0 + 100);
    s.setSubscriberHandles([[9, 'DTR_t']], T0 + 1);
    expect(s.pollEvents()).toEqual([{ kind: 'subscribeReady', stream, trackId: 1 }]);
    expect(s.isSubscribed(1)).toBe(true);
    expect(s.subscribe(42, null, T0)).toMatchObject({ stream: 0, error: { reason: 'unpublished' } });
    s.removeParticipant('alice', T0);
    const [ended] = s.pollEvents();
    expect(ended).toMatchObject({ kind: 'trackUnpublished', trackId: 1, end: 'unpublished', namePassesTo: null, stats: { decryptFailed: 0 } });
  });

  describe('frames opened in receivePacket (setOpenKey)', () => {
    const plaintext = Buffer.from('a frame the addon decrypts');
    /** A subscribed encrypted track (id 1, subscriber handle 9), and a sealed one-packet frame under `key` at `keyIndex`. */
    function subscribed() {
      const s = new b.Subscriber({ nowMs: T0, subscribeTimeoutMs: 100 });
      s.channelOpened();
      s.updateParticipant('alice', [{ sid: 'DTR_t', pubHandle: 1, name: 't', encryption: 1, metadata: NONE }], T0);
      s.subscribe(1, null, T0);
      s.setSubscriberHandles([[9, 'DTR_t']], T0 + 1);
      s.pollEvents();
      let sequence = 0;
      const packet = (key: InstanceType<typeof b.AesGcmKey>, keyIndex: number) => {
        const iv = b.nextE2eeIv();
        const header = { marker: 'single' as const, handle: 9, sequence, frameNumber: sequence++, timestamp: 0, e2ee: { keyIndex, iv }, userTimestamp: null };
        return b.encodePacket(header, key.seal(iv, plaintext));
      };
      return { s, packet };
    }
    const key = new b.AesGcmKey(Buffer.alloc(16, 1));
    const other = new b.AesGcmKey(Buffer.alloc(16, 2));

    test('a frame under the key set for its track and index arrives opened, the key id named', () => {
      const { s, packet } = subscribed();
      s.setOpenKey(1, 3, key.id);
      const [frame] = s.handlePacket(packet(key, 3))!;
      expect(frame.opened).toEqual({ keyIndex: 3, keyId: key.id });
      expect(frame.e2ee).toBeNull();
      expect(Buffer.from(frame.payload)).toEqual(plaintext);
    });

    test('otherwise it arrives sealed and intact, with its E2EE extension', () => {
      const { s, packet } = subscribed();
      s.setOpenKey(1, 3, other.id);
      for (const p of [packet(key, 3), packet(key, 4)]) {
        const [frame] = s.handlePacket(p)!;
        expect(frame.opened).toBeNull();
        expect(frame.e2ee).toMatchObject({ keyIndex: expect.any(Number) });
        // Still the sender's ciphertext ‖ tag: it opens with the right key.
        expect(key.open(frame.e2ee!.iv, frame.payload)).toEqual(plaintext);
      }
    });

    test('key id 0 and forgetOpenKeys stop it', () => {
      const { s, packet } = subscribed();
      s.setOpenKey(1, 0, key.id);
      s.setOpenKey(1, 0, 0);
      expect(s.handlePacket(packet(key, 0))![0].opened).toBeNull();
      s.setOpenKey(1, 0, key.id);
      s.forgetOpenKeys(1);
      expect(s.handlePacket(packet(key, 0))![0].opened).toBeNull();
    });

    test('a retired key opens nothing, though its object still works', () => {
      const { s, packet } = subscribed();
      const retired = new b.AesGcmKey(Buffer.alloc(16, 1));
      s.setOpenKey(1, 0, retired.id);
      expect(s.handlePacket(packet(retired, 0))![0].opened).not.toBeNull();
      retired.retire();
      const [frame] = s.handlePacket(packet(retired, 0))!;
      expect(frame.opened).toBeNull();
      expect(retired.open(frame.e2ee!.iv, frame.payload)).toEqual(plaintext);
    });

    test('bad arguments', () => {
      const { s } = subscribed();
      const a = s as any;
      expectCode(() => a.setOpenKey(1, 256, key.id), 'InvalidArgument');
      expectCode(() => a.setOpenKey(1, 0, -1), 'InvalidArgument');
      expectCode(() => a.setOpenKey(1, 0, '1'), 'InvalidArgument');
      expectCode(() => a.forgetOpenKeys('x'), 'InvalidArgument');
    });
  });

  test('bad arguments', () => {
    const s = new b.Subscriber({ nowMs: T0, subscribeTimeoutMs: 100 }) as any;
    expectCode(() => s.updateParticipant('a', [{ sid: 'x' }], T0), 'InvalidArgument');
    expectCode(() => s.setSubscriberHandles([[-1, 'x']], T0), 'InvalidArgument');
    expectCode(() => s.cancelWait(1.5), 'InvalidArgument');
    expectCode(() => s.joined(['a', 1], T0), 'InvalidArgument');
  });
});
