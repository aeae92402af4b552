// Data-track E2EE end to end: Rooms over real WebRTC through the development SFU and livekit-server.

import * as crypto from 'node:crypto';
import { native } from '../../lib/native/binding';
import type { ForwardInfo } from '../../lib/dev-server';
import { KeyProvider } from '../../lib/e2ee/key-provider';
import { E2E, WAIT_MS, read, remoteTrack, until, warmPath } from '../datatrack/e2e-helpers';
import { serverKinds } from '../servers/test-server';

jest.setTimeout(60_000);

describe.each(serverKinds())('data-track E2EE end to end [%s]', (kind) => {
  const env = new E2E(kind);
  beforeAll(() => env.start());
  afterEach(() => env.disconnectAll());
  afterAll(() => env.stop());

  async function sharedKey(key: string | Uint8Array, options?: ConstructorParameters<typeof KeyProvider>[0]) {
    const kp = new KeyProvider(options);
    await kp.setSharedKey(key);
    return kp;
  }

  test('encrypted round trip: 1 KiB and 196 KiB', async () => {
    const pub = await env.connect('alice', { keyProvider: await sharedKey('passphrase') });
    const sub = await env.connect('bob', { keyProvider: await sharedKey('passphrase') });
    await warmPath(pub, sub);
    const local = await pub.localParticipant.publishDataTrack('secret');
    expect(local.info.usesE2ee).toBe(true);
    const remote = await remoteTrack(sub, 'alice', 'secret');
    expect(remote.info.usesE2ee).toBe(true);
    const stream = await remote.subscribe();
    for (const size of [1024, 196 * 1024]) {
      const payload = crypto.randomBytes(size);
      local.tryPush({ payload, userTimestamp: 7n });
      const f = await read(stream);
      expect(Buffer.from(f.payload).equals(payload)).toBe(true);
      expect(f.userTimestamp).toBe(7n);
    }
    expect(remote.stats().framesDropped.decryptFailed).toBe(0);
  });

  // Dev-SFU only: it is the one server that lets a test see the bytes it forwards.
  (kind === 'dev-sfu' ? test : test.skip)('the bytes the SFU forwards are not the plaintext', async () => {
    const forwarded: ForwardInfo[] = [];
    const onForward = (info: ForwardInfo) => forwarded.push(info);
    const dev = env.server.dev!;
    dev.on('forward', onForward);
    try {
      const pub = await env.connect('alice', { keyProvider: await sharedKey('k') });
      const sub = await env.connect('bob', { keyProvider: await sharedKey('k') });
      await warmPath(pub, sub);
      const local = await pub.localParticipant.publishDataTrack('secret');
      const stream = await (await remoteTrack(sub, 'alice', 'secret')).subscribe();
      const marker = Buffer.from('THIS-IS-PLAINTEXT-'.repeat(8));
      local.tryPush({ payload: marker });
      expect(Buffer.from((await read(stream)).payload).equals(marker)).toBe(true);
      const mine = forwarded.filter((f) => f.trackSid === local.sid);
      expect(mine.length).toBeGreaterThan(0);
      for (const f of mine) {
        expect(Buffer.from(f.packet).includes(marker.subarray(0, 18))).toBe(false);
        const { header, payload } = native().decodePacket(f.packet);
        expect(header.e2ee?.iv.length).toBe(12);
        expect(payload.length).toBe(marker.length + 16); // ciphertext ‖ tag
      }
    } finally {
      dev.off('forward', onForward);
    }
  });

  test('wrong key: nothing delivered, decryptFailed counted', async () => {
    const pub = await env.connect('alice', { keyProvider: await sharedKey('right') });
    const sub = await env.connect('bob', { keyProvider: await sharedKey('wrong', { ratchetWindowSize: 2 }) });
    const local = await pub.localParticipant.publishDataTrack('secret');
    const remote = await remoteTrack(sub, 'alice', 'secret');
    const stream = await remote.subscribe();
    // One frame at a time: a frame sent before the SFU has the subscriber's channel may be lost.
    await pushUntil(() => local.tryPush({ payload: crypto.randomBytes(512) }), () => remote.stats().framesDropped.decryptFailed >= 5);
    // Failed frames may still be in the ratchet search; wait for them to settle.
    await until(() => remote.stats().framesReceived === remote.stats().framesDropped.decryptFailed, WAIT_MS, 'all failures counted');
    expect(remote.stats().framesDelivered).toBe(0);
    expect(await stream.read({ timeoutMs: 100 })).toBeUndefined();
  });

  test('key rotation mid-stream keeps frames flowing', async () => {
    const ka = await sharedKey('epoch-0');
    const kb = await sharedKey('epoch-0');
    const pub = await env.connect('alice', { keyProvider: ka });
    const sub = await env.connect('bob', { keyProvider: kb });
    await warmPath(pub, sub);
    const local = await pub.localParticipant.publishDataTrack('rotating');
    const remote = await remoteTrack(sub, 'alice', 'rotating');
    const stream = await remote.subscribe({ bufferSize: 64 });
    let n = 0;
    const pushAndRead = async () => {
      const payload = Buffer.from(`frame-${n++}`);
      local.tryPush({ payload });
      expect(Buffer.from((await read(stream)).payload).equals(payload)).toBe(true);
    };
    await pushAndRead();
    // A new key at a new index: receivers get it first, then the sender switches to it.
    await kb.setSharedKey('epoch-1', 1);
    await pushAndRead(); // still index 0 on the sender
    await ka.setSharedKey('epoch-1', 1);
    await pushAndRead();
    // The sender ratchets; the receiver follows within its ratchet window.
    await ka.ratchetKey();
    await pushAndRead();
    await pushAndRead();
    expect(remote.stats().framesDropped.decryptFailed).toBe(0);
    expect(remote.stats().framesDelivered).toBe(5);
  });

  test('mixed room: encrypted and plaintext tracks, both directions', async () => {
    const enc = await env.connect('enc', { keyProvider: await sharedKey('k') });
    const plain = await env.connect('plain');
    await warmPath(plain, enc);
    const encTrack = await enc.localParticipant.publishDataTrack('e');
    const plainTrack = await plain.localParticipant.publishDataTrack('p');
    expect(encTrack.info.usesE2ee).toBe(true);
    expect(plainTrack.info.usesE2ee).toBe(false);

    // The encrypting participant subscribes to the plaintext track.
    const remotePlain = await remoteTrack(enc, 'plain', 'p');
    expect(remotePlain.info.usesE2ee).toBe(false);
    const s1 = await remotePlain.subscribe();
    plainTrack.tryPush({ payload: Uint8Array.of(1, 2, 3) });
    expect(Array.from((await read(s1)).payload)).toEqual([1, 2, 3]);

    // A third participant with the key reads the encrypted one; the keyless one cannot.
    const keyed = await env.connect('keyed', { keyProvider: await sharedKey('k') });
    await warmPath(enc, keyed);
    const remoteEnc = await remoteTrack(keyed, 'enc', 'e');
    expect(remoteEnc.info.usesE2ee).toBe(true);
    const s2 = await remoteEnc.subscribe();
    const keyless = await remoteTrack(plain, 'enc', 'e');
    expect(keyless.info.usesE2ee).toBe(true);
    const s3 = await keyless.subscribe();
    encTrack.tryPush({ payload: Uint8Array.of(4, 5, 6) });
    expect(Array.from((await read(s2)).payload)).toEqual([4, 5, 6]);
    await pushUntil(() => encTrack.tryPush({ payload: Uint8Array.of(7) }), () => keyless.stats().framesDropped.decryptFailed >= 1);
    expect(await s3.read({ timeoutMs: 50 })).toBeUndefined();
    expect(keyless.stats().framesDelivered).toBe(0);
  });

  test('per-participant keys: the receiver uses the publisher\'s key ring', async () => {
    const ka = new KeyProvider();
    await ka.setKey('alice', 'alice-key');
    const kb = new KeyProvider();
    await kb.setKey('alice', 'alice-key');
    await kb.setKey('bob', 'bob-key');
    const pub = await env.connect('alice', { keyProvider: ka });
    const sub = await env.connect('bob', { keyProvider: kb });
    await warmPath(pub, sub);
    const local = await pub.localParticipant.publishDataTrack('own');
    const stream = await (await remoteTrack(sub, 'alice', 'own')).subscribe();
    local.tryPush({ payload: Uint8Array.of(42) });
    expect((await read(stream)).payload[0]).toBe(42);
  });

  /** Pushes one frame at a time until `done` holds (bounded). */
  async function pushUntil(push: () => void, done: () => boolean): Promise<void> {
    const end = Date.now() + WAIT_MS;
    while (!done()) {
      if (Date.now() > end) throw new Error('condition not reached');
      push();
      await until(done, 50).catch(() => undefined);
    }
  }
});
