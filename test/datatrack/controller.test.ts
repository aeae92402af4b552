// Controller unit tests over a loopback host (test/datatrack/fake-sfu.ts) and the real addon.

import * as crypto from 'node:crypto';
import { native } from '../../lib/native/binding';
import { DataTrackPublishError, DataTrackPushError, DataTrackSubscribeError } from '../../lib/datatrack/errors';
import type { LocalDataTrack } from '../../lib/datatrack/local-track';
import type { RemoteDataTrack } from '../../lib/datatrack/remote-track';
import type { DataTrackStream } from '../../lib/datatrack/frame-stream';
import { KeyProvider } from '../../lib/e2ee/key-provider';
import { DataTrackFrameCryptor } from '../../lib/e2ee/frame-cryptor';
import { FakeSfu, type FakePeer, nextEvent } from './fake-sfu';

const READ_MS = 2000;

async function read(stream: DataTrackStream, timeoutMs = READ_MS) {
  const f = await stream.read({ timeoutMs });
  if (!f) throw new Error(`no frame within ${timeoutMs} ms (ended: ${stream.endReason})`);
  return f;
}

async function remoteTrack(sub: FakePeer, publisher: string, name: string): Promise<RemoteDataTrack> {
  return sub.controller.waitForDataTrack(publisher, name, { timeoutMs: READ_MS });
}

/** Resolves once `fn` returns true, polling on the event loop (bounded). */
/**
 * Pushes one-byte frames `byte` until `stream` yields one (bounded): frames pushed before the handle
 * reaches the subscriber are lost.
 */
async function pushUntilRead(local: { tryPush(frame: { payload: Uint8Array }): void }, stream: DataTrackStream, byte: number) {
  for (let tries = 0; tries < 50; tries++) {
    local.tryPush({ payload: Uint8Array.of(byte) });
    const f = await stream.read({ timeoutMs: 20 });
    if (f) return f;
  }
  return null;
}

async function until(fn: () => boolean, timeoutMs = READ_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setImmediate(r));
  }
}

/**
 * Virtual time for the data-track deadlines (performance.now() and setTimeout); the loopback
 * network (setImmediate) stays real.
 */
function useVirtualTime(): void {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] });
}

let sfu: FakeSfu;
beforeEach(() => {
  sfu = new FakeSfu();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('publishing', () => {
  test('publish resolves with a published track; events fire once; remote sees the same object as the map', async () => {
    const alice = sfu.join('alice');
    const bob = sfu.join('bob');
    const localEvents = jest.fn();
    const remoteEvents = jest.fn();
    alice.controller.on('localDataTrackPublished', localEvents);
    bob.controller.on('dataTrackPublished', remoteEvents);
    const track = await alice.controller.publishDataTrack('telemetry');
    expect(track.isPublished).toBe(true);
    expect(track.info).toMatchObject({ name: 'telemetry', usesE2ee: false });
    expect(track.info.sid).toMatch(/^DTR_/);
    expect(alice.controller.localDataTracks.get('telemetry')).toBe(track);
    expect(localEvents).toHaveBeenCalledTimes(1);
    const remote = await remoteTrack(bob, 'alice', 'telemetry');
    await until(() => remoteEvents.mock.calls.length > 0);
    expect(remoteEvents).toHaveBeenCalledTimes(1);
    expect(remoteEvents.mock.calls[0][0]).toBe(remote);
    expect(bob.controller.remoteDataTracks('alice').get('telemetry')).toBe(remote);
    expect(remote.publisherIdentity).toBe('alice');
    expect(remote.sid).toBe(track.sid);
    // Repeated identical updates do not re-announce.
    sfu.broadcastInfo(alice);
    await new Promise((r) => setTimeout(r, 20));
    expect(remoteEvents).toHaveBeenCalledTimes(1);
  });

  test('the publish request carries handle, name, encryption and schema', async () => {
    const alice = sfu.join('alice');
    const t = await alice.controller.publishDataTrack({ name: 'typed', frameEncoding: 'json', schema: { name: 'pose', encoding: 'jsonschema' } });
    const [req] = alice.sentOf('publishDataTrackRequest');
    expect(req.pubHandle).toBe(1);
    expect(req.name).toBe('typed');
    expect(req.encryption).toBe(0);
    expect(req.frameEncoding?.value).toEqual({ case: 'wellKnown', value: 7 });
    expect(req.schema?.name).toBe('pose');
    expect(t.info.schema).toEqual({ name: 'pose', encoding: 'jsonschema' });
    expect(t.info.frameEncoding).toBe('json');
  });

  test('schema metadata reaches the subscriber', async () => {
    const alice = sfu.join('alice');
    const bob = sfu.join('bob');
    await alice.controller.publishDataTrack({ name: 'c', frameEncoding: { custom: 'a' }, schema: { name: 's', encoding: { custom: 'b' } } });
    const r = await remoteTrack(bob, 'alice', 'c');
    expect(r.info.frameEncoding).toEqual({ custom: 'a' });
    expect(r.info.schema).toEqual({ name: 's', encoding: { custom: 'b' } });
  });

  test('invalid names and schemas are refused before any request', async () => {
    const alice = sfu.join('alice');
    await expect(alice.controller.publishDataTrack('')).rejects.toMatchObject({ reason: 'invalidName' });
    await expect(alice.controller.publishDataTrack('x'.repeat(257))).rejects.toMatchObject({ reason: 'invalidName' });
    await expect(alice.controller.publishDataTrack({ name: 'p', frameEncoding: 'protobuf' })).rejects.toMatchObject({
      reason: 'invalidSchema',
      schemaError: 'missingSchemaId',
    });
    await expect(
      alice.controller.publishDataTrack({ name: 'p', frameEncoding: 'json', schema: { name: 'x', encoding: 'protobuf' } }),
    ).rejects.toMatchObject({ reason: 'invalidSchema', schemaError: 'incompatible' });
    expect(alice.sentOf('publishDataTrackRequest')).toHaveLength(0);
  });

  test('duplicate name: locally and from the SFU', async () => {
    const alice = sfu.join('alice');
    await alice.controller.publishDataTrack('dup');
    const err = await alice.controller.publishDataTrack('dup').catch((e) => e);
    expect(err).toBeInstanceOf(DataTrackPublishError);
    expect(err.reason).toBe('duplicateName');
    // Two concurrent publishes of one name: the second is refused locally too.
    const [a, b] = await Promise.allSettled([alice.controller.publishDataTrack('twin'), alice.controller.publishDataTrack('twin')]);
    expect(a.status).toBe('fulfilled');
    expect(b.status === 'rejected' && (b.reason as DataTrackPublishError).reason).toBe('duplicateName');
  });

  test('not allowed', async () => {
    const alice = sfu.join('alice', { canPublishData: false });
    await expect(alice.controller.publishDataTrack('x')).rejects.toMatchObject({ reason: 'notAllowed' });
    expect(alice.controller.localDataTracks.size).toBe(0);
  });

  test('publish while disconnected', async () => {
    const alice = sfu.join('alice');
    sfu.leave(alice);
    await expect(alice.controller.publishDataTrack('x')).rejects.toMatchObject({ reason: 'disconnected' });
  });

  test('timeout names the likely cause, and a late acceptance is undone', async () => {
    useVirtualTime();
    sfu.answersPublish = false;
    const alice = sfu.join('alice', { publishTimeoutMs: 50 });
    const settled = jest.fn();
    const publish = alice.controller.publishDataTrack('slow').catch((e) => e).finally(settled);
    await jest.advanceTimersByTimeAsync(49);
    expect(settled).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    const err = await publish;
    expect(err).toMatchObject({ reason: 'timeout' });
    expect(err.message).toMatch(/support data tracks/);
    sfu.answersPublish = true;
    sfu.onSignal(alice, { case: 'publishDataTrackRequest', value: alice.sentOf('publishDataTrackRequest')[0] });
    await until(() => alice.sentOf('unpublishDataTrackRequest').length === 1);
    expect(alice.sentOf('unpublishDataTrackRequest')[0].pubHandle).toBe(1);
    expect(alice.controller.localDataTracks.size).toBe(0);
  });

  test('AbortSignal cancels a publish', async () => {
    sfu.answersPublish = false;
    const alice = sfu.join('alice');
    const ac = new AbortController();
    const p = alice.controller.publishDataTrack({ name: 'a', signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ reason: 'cancelled' });
    await expect(alice.controller.publishDataTrack({ name: 'b', signal: AbortSignal.abort() })).rejects.toMatchObject({
      reason: 'cancelled',
    });
  });

  test('at most 64 publish requests are in flight; each answer lets the next one out', async () => {
    // livekit-server never handled the tail of a burst of 258 publish requests (FINDINGS 9).
    sfu.answersPublish = false;
    const alice = sfu.join('alice');
    const publishes = Array.from({ length: 70 }, (_, i) => alice.controller.publishDataTrack(`t${i}`).catch((e) => e));
    await until(() => alice.sentOf('publishDataTrackRequest').length === 64);
    sfu.answersPublish = true;
    sfu.onSignal(alice, { case: 'publishDataTrackRequest', value: alice.sentOf('publishDataTrackRequest')[0] });
    await until(() => alice.sentOf('publishDataTrackRequest').length === 65);
    expect(alice.sentOf('publishDataTrackRequest')[64].name).toBe('t64');
    sfu.leave(alice);
    const outcomes = await Promise.all(publishes);
    expect(outcomes.filter((o) => o instanceof DataTrackPublishError && o.reason === 'disconnected')).toHaveLength(69);
  });

  test('disconnect fails a pending publish', async () => {
    sfu.answersPublish = false;
    const alice = sfu.join('alice');
    const p = alice.controller.publishDataTrack('a');
    sfu.leave(alice);
    await expect(p).rejects.toMatchObject({ reason: 'disconnected' });
  });
});

describe('pushing and receiving', () => {
  async function pair(opts: { alice?: object; bob?: object } = {}) {
    const alice = sfu.join('alice', opts.alice);
    const bob = sfu.join('bob', opts.bob);
    const local = await alice.controller.publishDataTrack('t');
    const remote = await remoteTrack(bob, 'alice', 't');
    return { alice, bob, local, remote };
  }

  test('small and large frames arrive intact, with user timestamps (0n included)', async () => {
    const { local, remote } = await pair();
    const stream = await remote.subscribe();
    const small = Array.from({ length: 10 }, () => crypto.randomBytes(1024));
    small.forEach((p, i) => local.tryPush({ payload: p, userTimestamp: BigInt(i) }));
    for (let i = 0; i < 10; i++) {
      const f = await read(stream);
      expect(Buffer.from(f.payload).equals(small[i])).toBe(true);
      expect(f.userTimestamp).toBe(BigInt(i));
    }
    const big = crypto.randomBytes(2_000_000);
    local.tryPush({ payload: big });
    const f = await read(stream);
    expect(Buffer.from(f.payload).equals(big)).toBe(true);
    expect('userTimestamp' in f).toBe(false);
    const s = local.stats();
    expect(s.framesSent).toBe(11);
    expect(s.bytesSent).toBeGreaterThan(2_000_000);
    const r = remote.stats();
    expect(r.framesReceived).toBe(11);
    expect(r.framesDelivered).toBe(11);
  });

  test('a push on an idle channel is on the wire before tryPush returns', async () => {
    const { alice, local } = await pair();
    const before = alice.channel!.sent.length;
    local.tryPush({ payload: new Uint8Array(100) });
    expect(alice.channel!.sent.length).toBe(before + 1);
  });

  test('frames are never split across a backpressure pause and the buffer stays bounded', async () => {
    const { alice, local, remote } = await pair({ alice: { highWaterMark: 64 * 1024, lowWaterMark: 16 * 1024 } });
    const ch = alice.channel!;
    ch.drainBytesPerTick = 16_000;
    const stream = await remote.subscribe({ bufferSize: 64 });
    let maxBuffered = 0;
    const frames = Array.from({ length: 12 }, () => crypto.randomBytes(100_000));
    for (const p of frames) {
      local.tryPush({ payload: p }, { onQueueFull: 'throw' });
      maxBuffered = Math.max(maxBuffered, ch.bufferedAmount);
    }
    for (const p of frames) expect(Buffer.from((await read(stream)).payload).equals(p)).toBe(true);
    // High-water mark plus at most one frame's worth of packets.
    expect(maxBuffered).toBeLessThanOrEqual(64 * 1024 + 100_000 + 16_000);
    // Packets on the wire: each frame's packets are contiguous (Start … Final) and in order.
    let open = false;
    for (const p of ch.sent) {
      const marker = (p[0] >> 3) & 3; // 0 inter, 1 final, 2 start, 3 single
      if (marker === 2) {
        expect(open).toBe(false);
        open = true;
      } else if (marker === 1) {
        expect(open).toBe(true);
        open = false;
      } else if (marker === 0) expect(open).toBe(true);
    }
  });

  test('the sender keeps its own count of buffered bytes, and asks the channel again before pausing', async () => {
    // Far more than the high-water mark in total, with the channel drained between pushes: the
    // sender's count passes the mark, the channel says it is empty, and no buffered-amount-low
    // event would ever come to resume a sender that paused on its own count.
    const { alice, local, remote } = await pair({ alice: { highWaterMark: 1024, lowWaterMark: 256 } });
    const ch = alice.channel!;
    const stream = await remote.subscribe({ bufferSize: 64 });
    for (let i = 0; i < 40; i++) {
      local.tryPush({ payload: Buffer.alloc(100, i) }, { onQueueFull: 'throw' });
      expect(ch.bufferedAmount).toBeLessThanOrEqual(1024 + 200);
      const frame = await read(stream);
      expect([frame.payload.length, frame.payload[0]]).toEqual([100, i]);
      expect(ch.bufferedAmount).toBe(0);
    }
    expect(local.stats()).toMatchObject({ framesSent: 40, queuedFrames: 0 });
  });

  test('queue full: throw carries the frame, drop counts, dropOldest keeps the freshest', async () => {
    const { alice, local, remote } = await pair({ alice: { queueCapacity: 4 } });
    const stream = await remote.subscribe({ bufferSize: 32 });
    alice.channel!.isOpen = false; // frames wait in the queue
    for (let i = 0; i < 4; i++) local.tryPush({ payload: Uint8Array.of(i) });
    const rejected = { payload: Uint8Array.of(99) };
    const err = (() => {
      try {
        local.tryPush(rejected);
      } catch (e) {
        return e as DataTrackPushError;
      }
    })();
    expect(err).toBeInstanceOf(DataTrackPushError);
    expect(err?.reason).toBe('queueFull');
    expect(err?.frame).toBe(rejected);
    local.tryPush({ payload: Uint8Array.of(98) }, { onQueueFull: 'drop' });
    local.tryPush({ payload: Uint8Array.of(4) }, { onQueueFull: 'dropOldest' });
    local.tryPush({ payload: Uint8Array.of(5) }, { onQueueFull: 'dropOldest' });
    expect(local.stats().framesDropped.queueFull).toBe(4);
    expect(local.stats().queuedFrames).toBe(4);
    alice.channel!.isOpen = true;
    alice.controller.onChannelOpen();
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await read(stream)).payload[0]);
    expect(got).toEqual([2, 3, 4, 5]);
  });

  test('per-track queueCapacity below the room default', async () => {
    const alice = sfu.join('alice');
    const t = await alice.controller.publishDataTrack({ name: 'q', queueCapacity: 2 });
    alice.channel!.isOpen = false;
    t.tryPush({ payload: Uint8Array.of(1) });
    t.tryPush({ payload: Uint8Array.of(2) });
    expect(() => t.tryPush({ payload: Uint8Array.of(3) })).toThrow(DataTrackPushError);
  });

  test('frames no subscriber could reassemble are refused up front', async () => {
    const { local } = await pair();
    const refusal = (frame: { payload: Uint8Array }) => {
      try {
        local.tryPush(frame, { onQueueFull: 'drop' });
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const empty = { payload: new Uint8Array(0) };
    const tooLarge = { payload: new Uint8Array(2_046_465) };
    for (const [frame, reason] of [[empty, 'emptyFrame'], [tooLarge, 'frameTooLarge']] as const) {
      const err = refusal(frame);
      expect(err).toBeInstanceOf(DataTrackPushError);
      expect(err).toMatchObject({ reason, frame });
    }
    expect(refusal({ payload: new Uint8Array(2_046_464) })).toBeUndefined();
    // send() and writable() refuse them the same way, whatever their queue-full policy.
    await expect(local.send([empty], { onQueueFull: 'drop' })).rejects.toMatchObject({ reason: 'emptyFrame' });
    const writer = local.writable({ onQueueFull: 'dropOldest' }).getWriter();
    await expect(writer.write(tooLarge)).rejects.toMatchObject({ reason: 'frameTooLarge' });
  });

  test('send(): async iterable, both policies; ends quietly on unpublish', async () => {
    const { local, remote } = await pair();
    const stream = await remote.subscribe();
    async function* gen(n: number) {
      for (let i = 0; i < n; i++) yield Uint8Array.of(i);
    }
    await local.send(gen(5), { onQueueFull: 'drop' });
    await local.send(gen(3), { onQueueFull: 'throw' });
    const got = [];
    for (let i = 0; i < 8; i++) got.push((await read(stream)).payload[0]);
    expect(got).toEqual([0, 1, 2, 3, 4, 0, 1, 2]);
    async function* slow() {
      yield Uint8Array.of(1);
      await local.unpublish();
      yield Uint8Array.of(2);
    }
    await expect(local.send(slow())).resolves.toBeUndefined();
  });

  test('many streams share one subscription; the last one to go unsubscribes', async () => {
    const { bob, local, remote } = await pair();
    const [s1, s2] = await Promise.all([remote.subscribe(), remote.subscribe()]);
    const s3 = await remote.subscribe();
    expect(bob.sentOf('updateDataSubscription').filter((u) => u.updates[0].subscribe)).toHaveLength(1);
    local.tryPush({ payload: Uint8Array.of(7) });
    for (const s of [s1, s2, s3]) expect((await read(s)).payload[0]).toBe(7);
    s1.cancel();
    s2.cancel();
    expect(bob.sentOf('updateDataSubscription').filter((u) => !u.updates[0].subscribe)).toHaveLength(0);
    local.tryPush({ payload: Uint8Array.of(8) });
    for await (const f of s3) {
      expect(f).toBeDefined();
      break;
    }
    await until(() => bob.sentOf('updateDataSubscription').filter((u) => !u.updates[0].subscribe).length === 1);
    expect(remote.isSubscribed).toBe(false);
  });

  test('resubscribe ten times', async () => {
    const { local, remote } = await pair();
    for (let i = 0; i < 10; i++) {
      const s = await remote.subscribe();
      expect((await pushUntilRead(local, s, i))?.payload[0]).toBe(i);
      s.cancel();
    }
  });

  test('a resubscribe while the SFU still maps the handle resolves at once, then follows its later maps', async () => {
    // livekit-server may fold an unsubscribe and the next subscribe into one, keep the handle and
    // send no map at all; a client that waited for a new handle would wait forever.
    const { local, bob, remote } = await pair();
    const s = await remote.subscribe();
    s.cancel();
    const held: Parameters<typeof bob.respond>[0][] = [];
    const orig = bob.respond.bind(bob);
    bob.respond = (m) => void held.push(m);
    const again = await remote.subscribe();
    expect(remote.isSubscribed).toBe(true);
    expect(held).toEqual([]);
    // This fake SFU does act on both: its maps drop the old handle, then name a new one.
    bob.respond = orig;
    expect((await pushUntilRead(local, again, 42))?.payload[0]).toBe(42);
  });

  test('a map that drops a subscription we still hold makes us ask again, and frames resume', async () => {
    // livekit-server can lose a subscribe that reaches it while it tears down the previous one,
    // and then sends a map without the track.
    const { local, bob, remote } = await pair();
    const s = await remote.subscribe();
    const asked = () => bob.sentOf('updateDataSubscription').filter((u) => u.updates[0].subscribe).length;
    const before = asked();
    const { DataTrackSubscriberHandles } = require('@livekit/protocol');
    bob.controller.onSignalResponse({ case: 'dataTrackSubscriberHandles', value: new DataTrackSubscriberHandles({ subHandles: {} }) });
    expect(asked()).toBe(before + 1);
    expect((await pushUntilRead(local, s, 9))?.payload[0]).toBe(9);
  });

  test('a subscribe the SFU loses is asked again until a handle comes', async () => {
    // livekit-server can lose a subscribe that arrives while it tears down the previous one, and
    // then says nothing; the subscription must not wait for its timeout.
    useVirtualTime();
    const { local, bob, remote } = await pair();
    const handle = sfu.onSignal.bind(sfu);
    let lost = 0;
    sfu.onSignal = (peer, m) => {
      if (peer === bob && m.case === 'updateDataSubscription' && m.value.updates[0].subscribe && lost === 0) {
        lost++;
        return;
      }
      handle(peer, m);
    };
    const subscribing = remote.subscribe({ timeoutMs: 5_000 });
    await until(() => lost === 1);
    // The first ask again comes after 500 ms.
    await jest.advanceTimersByTimeAsync(499);
    expect(bob.sentOf('updateDataSubscription').filter((u) => u.updates[0].subscribe)).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    const s = await subscribing;
    expect(bob.sentOf('updateDataSubscription').filter((u) => u.updates[0].subscribe)).toHaveLength(2);
    local.tryPush({ payload: Uint8Array.of(5) });
    expect((await read(s)).payload[0]).toBe(5);
  });

  test('bufferSize 0 clamps to 1; bufferSize 1 drops the oldest and counts it', async () => {
    const { local, remote } = await pair();
    const s0 = await remote.subscribe({ bufferSize: 0 });
    const s1 = await remote.subscribe({ bufferSize: 1 });
    for (let i = 0; i < 8; i++) local.tryPush({ payload: Uint8Array.of(i) });
    await until(() => remote.stats().framesDelivered === 8);
    expect((await read(s0)).payload[0]).toBe(7);
    expect((await read(s1)).payload[0]).toBe(7);
    expect(remote.stats().framesDropped.subscriberOverflow).toBe(14);
  });

  test('unpublish: push throws, remote streams end, pending subscribes fail, waitForUnpublish resolves', async () => {
    const { alice, bob, local, remote } = await pair();
    const stream = await remote.subscribe();
    const unpublishedRemote = nextEvent(bob.controller, 'dataTrackUnpublished');
    const unpublishedLocal = jest.fn();
    alice.controller.on('localDataTrackUnpublished', unpublishedLocal);
    await local.unpublish();
    expect(local.isPublished).toBe(false);
    await local.waitForUnpublish();
    expect(alice.sentOf('unpublishDataTrackRequest')).toHaveLength(1);
    expect(() => local.tryPush({ payload: Uint8Array.of(1) })).toThrow(expect.objectContaining({ reason: 'trackUnpublished' }));
    const [gone] = await unpublishedRemote;
    expect(gone).toBe(remote);
    await remote.waitForUnpublish();
    expect(remote.isPublished).toBe(false);
    expect((await stream.next()).done).toBe(true);
    expect(stream.endReason).toBe('unpublished');
    await expect(remote.subscribe()).rejects.toMatchObject({ reason: 'unpublished' });
    await local.unpublish(); // idempotent
    expect(unpublishedLocal).toHaveBeenCalledTimes(1);
    expect(bob.controller.remoteDataTracks('alice').size).toBe(0);
  });

  test('unpublish while a subscribe is pending rejects it with unpublished', async () => {
    const { alice, bob, local, remote } = await pair();
    // Hold back the handle snapshot so the subscribe stays pending.
    const orig = bob.respond.bind(bob);
    bob.respond = (m) => (m.case === 'dataTrackSubscriberHandles' ? undefined : orig(m));
    const p = remote.subscribe().catch((e) => e);
    await until(() => bob.sentOf('updateDataSubscription').length === 1);
    await local.unpublish();
    const err = await p;
    expect(err).toBeInstanceOf(DataTrackSubscribeError);
    expect(err.reason).toBe('unpublished');
    void alice;
  });

  test('subscribe timeout and cancel', async () => {
    useVirtualTime();
    const alice = sfu.join('alice');
    const bob = sfu.join('bob', { subscribeTimeoutMs: 50 });
    await alice.controller.publishDataTrack('t');
    const remote = await remoteTrack(bob, 'alice', 't');
    bob.respond = () => undefined;
    const subscribing = remote.subscribe().catch((e) => e);
    await jest.advanceTimersByTimeAsync(50);
    expect(await subscribing).toMatchObject({ reason: 'timeout' });
    const ac = new AbortController();
    const p = remote.subscribe({ signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ reason: 'cancelled' });
    await until(() => !remote.isSubscribed);
  });

  test('publisher leaves: unpublish event, streams end', async () => {
    const { alice, bob, remote } = await pair();
    const s = await remote.subscribe();
    const ev = nextEvent<[RemoteDataTrack]>(bob.controller, 'dataTrackUnpublished');
    sfu.leave(alice);
    expect((await ev)[0]).toBe(remote);
    expect((await s.next()).done).toBe(true);
  });

  test('a track published before the subscriber joins is discovered from the join', async () => {
    const alice = sfu.join('alice');
    await alice.controller.publishDataTrack('early');
    const bob = sfu.join('bob');
    const r = bob.controller.remoteDataTracks('alice').get('early');
    expect(r?.name).toBe('early');
  });

  test('SID reassignment keeps the object and the stream, and resubscribes', async () => {
    const { alice, bob, local, remote } = await pair();
    const s = await remote.subscribe();
    const events = jest.fn();
    bob.controller.on('dataTrackPublished', events);
    bob.controller.on('dataTrackUnpublished', events);
    const oldSid = remote.sid;
    sfu.reassignSids(alice);
    await until(() => remote.sid !== oldSid);
    local._setSid(remote.sid);
    await until(() => bob.sentOf('updateDataSubscription').some((u) => u.updates[0].trackSid === remote.sid));
    let f;
    for (let i = 0; !f && i < 50; i++) {
      local.tryPush({ payload: Uint8Array.of(42) });
      f = await s.read({ timeoutMs: 20 });
    }
    expect(f?.payload[0]).toBe(42);
    expect(bob.controller.remoteDataTracks('alice').get('t')).toBe(remote);
    expect(events).not.toHaveBeenCalled();
  });

  test('full reconnect of the publisher: republish with the same handle, new SID', async () => {
    const { alice, local } = await pair();
    const oldSid = local.sid;
    alice.controller.onRestarting();
    expect(local.isPublished).toBe(true);
    local.tryPush({ payload: Uint8Array.of(1) }); // dropped and counted, no throw
    expect(local.stats().framesDropped.notPublished).toBe(1);
    sfu.reassignSids(alice); // the SFU forgot the old session's tracks…
    for (const [sid, t] of [...sfu.tracks]) if (t.publisher === alice) sfu.tracks.delete(sid);
    alice.controller.onJoined(new (require('@livekit/protocol').JoinResponse)());
    await until(() => local.sid !== oldSid);
    const reqs = alice.sentOf('publishDataTrackRequest');
    expect(reqs[reqs.length - 1].pubHandle).toBe(reqs[0].pubHandle);
    expect(alice.controller.syncStatePublishedTracks()[0].info?.sid).toBe(local.sid);
  });

  test('disconnect ends everything once', async () => {
    const { alice, bob, local, remote } = await pair();
    const s = await remote.subscribe();
    const lu = jest.fn();
    const ru = jest.fn();
    alice.controller.on('localDataTrackUnpublished', lu);
    bob.controller.on('dataTrackUnpublished', ru);
    sfu.leave(bob);
    expect(ru).toHaveBeenCalledWith(remote);
    expect(s.endReason).toBe('disconnected');
    sfu.leave(alice);
    expect(lu).toHaveBeenCalledWith(local);
    expect(lu).toHaveBeenCalledTimes(1);
    expect(local.isPublished).toBe(false);
  });

  test('waitForDataTrack resolves on publish and can be aborted', async () => {
    const alice = sfu.join('alice');
    const bob = sfu.join('bob');
    const w = bob.controller.waitForDataTrack('alice', 'later');
    const ac = new AbortController();
    const never = bob.controller.waitForDataTrack('alice', 'never', { signal: ac.signal });
    await alice.controller.publishDataTrack('later');
    expect((await w).name).toBe('later');
    ac.abort();
    await expect(never).rejects.toMatchObject({ reason: 'cancelled' });
  });

  test('unpublish is done when the SFU does not answer within the unpublish timeout', async () => {
    useVirtualTime();
    const alice = sfu.join('alice', { unpublishTimeoutMs: 5_000 });
    const local = await alice.controller.publishDataTrack('t');
    const handle = sfu.onSignal.bind(sfu);
    sfu.onSignal = (peer, m) => (m.case === 'unpublishDataTrackRequest' ? undefined : handle(peer, m));
    const done = jest.fn();
    const unpublishing = local.unpublish().then(done);
    expect(local.isPublished).toBe(false);
    expect(local.unpublish()).toBe(local.unpublish()); // one wait, however often asked
    await jest.advanceTimersByTimeAsync(4_999);
    expect(done).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(1);
    await unpublishing;
    expect(alice.sentOf('unpublishDataTrackRequest')).toHaveLength(1);
  });

  test('a publish the SFU accepts after a cancel is unpublished again', async () => {
    sfu.answersPublish = false;
    const alice = sfu.join('alice');
    const ac = new AbortController();
    const p = alice.controller.publishDataTrack({ name: 'late', signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ reason: 'cancelled' });
    sfu.answersPublish = true;
    sfu.onSignal(alice, { case: 'publishDataTrackRequest', value: alice.sentOf('publishDataTrackRequest')[0] });
    await until(() => alice.sentOf('unpublishDataTrackRequest').length === 1);
    expect(alice.controller.localDataTracks.size).toBe(0);
  });

  test('a publish pending across a full reconnect is sent again after the rejoin', async () => {
    sfu.answersPublish = false;
    const alice = sfu.join('alice');
    const p = alice.controller.publishDataTrack('pending');
    alice.controller.onRestarting();
    sfu.answersPublish = true;
    alice.controller.onJoined(new (require('@livekit/protocol').JoinResponse)());
    const track = await p;
    const reqs = alice.sentOf('publishDataTrackRequest');
    expect(reqs).toHaveLength(2);
    expect(reqs[1].pubHandle).toBe(reqs[0].pubHandle);
    expect(alice.controller.localDataTracks.get('pending')).toBe(track);
  });

  test('the final counters of an unpublished track stay readable', async () => {
    const { local, remote } = await pair();
    const s = await remote.subscribe();
    local.tryPush({ payload: Uint8Array.of(1) });
    await read(s);
    await local.unpublish();
    await remote.waitForUnpublish();
    expect(local.stats()).toMatchObject({ framesSent: 1, packetsSent: 1, queuedFrames: 0 });
    expect(remote.stats()).toMatchObject({ framesReceived: 1, packetsReceived: 1, framesDelivered: 1 });
  });

  test('await using unpublishes', async () => {
    const alice = sfu.join('alice');
    let t: LocalDataTrack;
    {
      await using scoped = await alice.controller.publishDataTrack('scoped');
      t = scoped;
      expect(t.isPublished).toBe(true);
    }
    expect(t.isPublished).toBe(false);
    expect(alice.sentOf('unpublishDataTrackRequest')).toHaveLength(1);
  });
});

describe('pushFrames', () => {
  async function pair(opts: { alice?: object; bob?: object } = {}, publish: string | { name: string; queueCapacity?: number } = 't') {
    const alice = sfu.join('alice', opts.alice);
    const bob = sfu.join('bob', opts.bob);
    const local = await alice.controller.publishDataTrack(publish);
    const remote = await remoteTrack(bob, 'alice', local.name);
    return { alice, bob, local, remote };
  }

  /** `n` frames of `size` bytes back to back, frame i filled with i. */
  function contiguous(n: number, size: number) {
    const payloads = new Uint8Array(n * size);
    for (let i = 0; i < n; i++) payloads.fill(i & 0xff, i * size, (i + 1) * size);
    const ends = Uint32Array.from({ length: n }, (_, i) => (i + 1) * size);
    return { payloads, ends };
  }

  function thrown(fn: () => unknown): unknown {
    try {
      fn();
    } catch (err) {
      return err;
    }
    throw new Error('did not throw');
  }

  test('a contiguous batch longer than the queue arrives whole and in order, with its timestamps', async () => {
    const { local, remote } = await pair();
    const n = 200; // the room's queue holds 16: the batch goes out as the channel takes it
    const stream = await remote.subscribe({ bufferSize: n });
    const { payloads, ends } = contiguous(n, 64);
    const userTimestamps = BigUint64Array.from({ length: n }, (_, i) => BigInt(i) * 1000n);
    expect(local.pushFrames({ payloads, ends, userTimestamps })).toEqual({ queued: n, dropped: 0, evicted: 0 });
    for (let i = 0; i < n; i++) {
      const f = await read(stream);
      expect([f.payload.length, f.payload[0], f.userTimestamp]).toEqual([64, i & 0xff, BigInt(i) * 1000n]);
    }
    expect(local.stats()).toMatchObject({ framesSent: n, framesDropped: { queueFull: 0 }, queuedFrames: 0 });
  });

  test('frames and bare payloads; a batch mixing stamped and unstamped frames keeps each as given', async () => {
    const { local, remote } = await pair();
    const stream = await remote.subscribe();
    const frames = [Uint8Array.of(1), { payload: Uint8Array.of(2), userTimestamp: 0n }, { payload: Uint8Array.of(3, 3) }];
    expect(local.pushFrames(frames)).toEqual({ queued: 3, dropped: 0, evicted: 0 });
    const got = [await read(stream), await read(stream), await read(stream)];
    expect(got.map((f) => [...f.payload])).toEqual([[1], [2], [3, 3]]);
    expect(got.map((f) => f.userTimestamp)).toEqual([undefined, 0n, undefined]);
    // number[] ends and bigint[] timestamps, and an empty batch.
    expect(local.pushFrames({ payloads: Uint8Array.of(7, 8, 8), ends: [1, 3], userTimestamps: [5n, 6n] })).toMatchObject({ queued: 2 });
    expect([...(await read(stream)).payload]).toEqual([7]);
    expect((await read(stream)).userTimestamp).toBe(6n);
    expect(local.pushFrames([])).toEqual({ queued: 0, dropped: 0, evicted: 0 });
  });

  test('a bad frame rejects the whole batch, naming its index, before anything is pushed', async () => {
    const { alice, local } = await pair();
    const sentBefore = alice.channel!.sent.length;
    const empty = thrown(() => local.pushFrames({ payloads: new Uint8Array(8), ends: [2, 4, 4, 8] })) as DataTrackPushError;
    expect(empty).toBeInstanceOf(DataTrackPushError);
    expect(empty).toMatchObject({ reason: 'emptyFrame', index: 2 });
    expect(empty.frame.payload.length).toBe(0);
    const big = { payload: new Uint8Array(2_046_465) };
    const tooLarge = thrown(() => local.pushFrames([Uint8Array.of(1), big], { onQueueFull: 'drop' })) as DataTrackPushError;
    expect(tooLarge).toMatchObject({ reason: 'frameTooLarge', index: 1 });
    expect(tooLarge.frame).toBe(big);
    expect(thrown(() => local.pushFrames({ payloads: new Uint8Array(4), ends: [3, 2] }))).toBeInstanceOf(RangeError);
    expect(thrown(() => local.pushFrames({ payloads: new Uint8Array(4), ends: [5] }))).toBeInstanceOf(RangeError);
    expect(thrown(() => local.pushFrames({ payloads: new Uint8Array(4), ends: [4], userTimestamps: [1n, 2n] }))).toBeInstanceOf(RangeError);
    expect(thrown(() => local.pushFrames({ payloads: new Uint8Array(4), ends: [4], userTimestamps: [-1n] }))).toBeInstanceOf(RangeError);
    expect(thrown(() => local.pushFrames([Uint8Array.of(1), { payload: 'x' } as never]))).toBeInstanceOf(TypeError);
    expect(alice.channel!.sent.length).toBe(sentBefore);
    expect(local.stats()).toMatchObject({ framesSent: 0, queuedFrames: 0, framesDropped: { queueFull: 0 } });
  });

  test('queue full: throw names the first frame not pushed, drop and dropOldest report what they did', async () => {
    const { alice, local, remote } = await pair({ alice: { queueCapacity: 4 } });
    const stream = await remote.subscribe({ bufferSize: 32 });
    alice.channel!.isOpen = false; // frames wait in the queue
    const { payloads, ends } = contiguous(6, 1);
    const err = thrown(() => local.pushFrames({ payloads, ends })) as DataTrackPushError;
    expect(err).toMatchObject({ reason: 'queueFull', index: 4 });
    expect([...err.frame.payload]).toEqual([4]);
    // As tryPush: the refused frame is counted, the queue holds frames 0-3.
    expect(local.stats()).toMatchObject({ queuedFrames: 4, framesDropped: { queueFull: 1 } });
    expect(local.pushFrames({ payloads, ends }, { onQueueFull: 'drop' })).toEqual({ queued: 0, dropped: 6, evicted: 0 });
    expect(local.pushFrames({ payloads: payloads.subarray(4), ends: [1, 2] }, { onQueueFull: 'dropOldest' })).toEqual({ queued: 2, dropped: 0, evicted: 2 });
    expect(local.stats()).toMatchObject({ queuedFrames: 4, framesDropped: { queueFull: 9 } });
    alice.channel!.isOpen = true;
    alice.controller.onChannelOpen();
    const got = [];
    for (let i = 0; i < 4; i++) got.push((await read(stream)).payload[0]);
    expect(got).toEqual([2, 3, 4, 5]);
  });

  test('on a congested channel a batch queues and drops exactly what tryPush frame by frame would', async () => {
    const settings = { highWaterMark: 1024, lowWaterMark: 256, queueCapacity: 4 };
    const { payloads, ends } = contiguous(100, 64);
    const perFrame = await pair({ alice: settings }, 'one');
    for (let i = 0; i < 100; i++) perFrame.local.tryPush({ payload: payloads.subarray(i * 64, (i + 1) * 64) }, { onQueueFull: 'drop' });
    const expected = perFrame.local.stats(); // before the channel drains
    const batched = sfu.join('carol', settings);
    const local = await batched.controller.publishDataTrack('many');
    const remote = await remoteTrack(perFrame.bob, 'carol', 'many');
    const stream = await remote.subscribe({ bufferSize: 100 });
    const result = local.pushFrames({ payloads, ends }, { onQueueFull: 'drop' });
    expect(expected.framesDropped.queueFull).toBeGreaterThan(0); // the channel did fill up
    expect(result).toEqual({ queued: 100 - expected.framesDropped.queueFull, dropped: expected.framesDropped.queueFull, evicted: 0 });
    expect(local.stats()).toMatchObject({ framesDropped: expected.framesDropped, queuedFrames: expected.queuedFrames });
    for (let i = 0; i < result.queued; i++) expect((await read(stream)).payload[0]).toBe(i);
  });

  test('unpublished: trackUnpublished at index 0, nothing pushed', async () => {
    const { local } = await pair();
    await local.unpublish();
    expect(thrown(() => local.pushFrames([Uint8Array.of(1)]))).toMatchObject({ reason: 'trackUnpublished', index: 0 });
  });

  test('E2EE: each frame sealed with its own IV, timestamps kept; no key fails at index 0', async () => {
    const kp = new KeyProvider();
    await kp.setSharedKey('k');
    const kb = new KeyProvider();
    await kb.setSharedKey('k');
    const { local, remote } = await pair({ alice: { encryption: { keyProvider: kp } }, bob: { encryption: { keyProvider: kb } } });
    const stream = await remote.subscribe({ bufferSize: 64 });
    const n = 40;
    const { payloads, ends } = contiguous(n, 32);
    const userTimestamps = BigUint64Array.from({ length: n }, (_, i) => BigInt(i + 1));
    expect(local.pushFrames({ payloads, ends, userTimestamps })).toEqual({ queued: n, dropped: 0, evicted: 0 });
    const ivs = new Set<string>();
    for (let i = 0; i < n; i++) {
      const f = await read(stream);
      expect([f.payload.length, f.payload[0], f.userTimestamp]).toEqual([32, i, BigInt(i + 1)]);
    }
    for (const pkt of sfu.forwarded.slice(-n)) ivs.add(Buffer.from(native().decodePacket(pkt).header.e2ee!.iv).toString('hex'));
    expect(ivs.size).toBe(n);

    const alone = sfu.join('carol', { encryption: { keyProvider: new KeyProvider() } });
    const t = await alone.controller.publishDataTrack('x');
    expect(thrown(() => t.pushFrames([Uint8Array.of(1), Uint8Array.of(2)]))).toMatchObject({ reason: 'encryptionFailed', index: 0 });
    expect(t.stats().framesDropped.encryptionFailed).toBe(1);
  });
});

describe('schemas', () => {
  test('define and get', async () => {
    const alice = sfu.join('alice');
    const bob = sfu.join('bob');
    const id = { name: 'pose', encoding: 'jsonschema' as const };
    await alice.controller.defineSchema(id, '{"type":"object"}');
    expect(await bob.controller.getSchema(id, 'alice')).toBe('{"type":"object"}');
    await expect(bob.controller.getSchema({ name: 'nope', encoding: 'protobuf' }, 'alice')).rejects.toMatchObject({ reason: 'notFound' });
  });
});

describe('E2EE', () => {
  async function keys(pass: string) {
    const kp = new KeyProvider();
    await kp.setSharedKey(pass);
    return kp;
  }

  test('encrypted round trip; the forwarded bytes are not the plaintext', async () => {
    const alice = sfu.join('alice', { encryption: { keyProvider: await keys('k') } });
    const bob = sfu.join('bob', { encryption: { keyProvider: await keys('k') } });
    const local = await alice.controller.publishDataTrack('secret');
    expect(local.info.usesE2ee).toBe(true);
    expect(alice.sentOf('publishDataTrackRequest')[0].encryption).toBe(1);
    const remote = await remoteTrack(bob, 'alice', 'secret');
    expect(remote.info.usesE2ee).toBe(true);
    const s = await remote.subscribe();
    for (const size of [1024, 196_608]) {
      const p = crypto.randomBytes(size);
      local.tryPush({ payload: p, userTimestamp: 5n });
      const f = await read(s);
      expect(Buffer.from(f.payload).equals(p)).toBe(true);
      expect(f.userTimestamp).toBe(5n);
    }
    const needle = Buffer.from('PLAINTEXT-MARKER-0123456789');
    local.tryPush({ payload: needle });
    await read(s);
    expect(sfu.forwarded.some((pkt) => pkt.includes(needle))).toBe(false);
    const d = native().decodePacket(sfu.forwarded[sfu.forwarded.length - 1]);
    expect(d.header.e2ee?.iv.length).toBe(12);
  });

  test('wrong key: nothing delivered, decryptFailed counted', async () => {
    const alice = sfu.join('alice', { encryption: { keyProvider: await keys('right') } });
    const bob = sfu.join('bob', { encryption: { keyProvider: new KeyProvider({ ratchetWindowSize: 0 }) } });
    await bob.controller.keyProvider!.setSharedKey('wrong');
    const local = await alice.controller.publishDataTrack('secret');
    const remote = await remoteTrack(bob, 'alice', 'secret');
    const s = await remote.subscribe();
    for (let i = 0; i < 5; i++) local.tryPush({ payload: crypto.randomBytes(100) });
    await until(() => remote.stats().framesDropped.decryptFailed === 5);
    expect(await s.read({ timeoutMs: 50 })).toBeUndefined();
    expect(remote.stats().framesDelivered).toBe(0);
  });

  /** alice (keys `ka`) publishes `name`; bob (keys `kb`) subscribes to it. */
  async function encryptedTrack(ka: KeyProvider, kb: KeyProvider, name: string) {
    const alice = sfu.join('alice', { encryption: { keyProvider: ka } });
    const bob = sfu.join('bob', { encryption: { keyProvider: kb } });
    const local = await alice.controller.publishDataTrack(name);
    const remote = await remoteTrack(bob, 'alice', name);
    return { local, remote, s: await remote.subscribe({ bufferSize: 64 }) };
  }

  test('key rotation mid-stream: a new key index, then a ratchet, frames keep flowing', async () => {
    const ka = await keys('k0');
    const kb = new KeyProvider({ ratchetWindowSize: 4 });
    await kb.setSharedKey('k0');
    const { local, remote, s } = await encryptedTrack(ka, kb, 'rot');
    local.tryPush({ payload: Uint8Array.of(1) });
    expect((await read(s)).payload[0]).toBe(1);
    await kb.setSharedKey('k1', 1); // receivers learn the new key first…
    await ka.setSharedKey('k1', 1); // …then the sender switches
    local.tryPush({ payload: Uint8Array.of(2) });
    expect((await read(s)).payload[0]).toBe(2);
    await ka.ratchetKey(); // the sender ratchets; the receiver follows by itself
    local.tryPush({ payload: Uint8Array.of(3) });
    expect((await read(s)).payload[0]).toBe(3);
    expect(remote.stats().framesDropped.decryptFailed).toBe(0);
  });

  test('frames after the first under a key are opened by the addon, and only while the key ring holds that key', async () => {
    const ka = await keys('k0');
    const kb = new KeyProvider({ ratchetWindowSize: 0 });
    await kb.setSharedKey('k0');
    const { local, remote, s } = await encryptedTrack(ka, kb, 'opened');
    const jsDecrypts = jest.spyOn(DataTrackFrameCryptor.prototype, 'decryptInPlace');
    try {
      for (const n of [1, 2, 3]) {
        local.tryPush({ payload: Uint8Array.of(n) });
        expect((await read(s)).payload).toEqual(Uint8Array.of(n));
      }
      expect(jsDecrypts).toHaveBeenCalledTimes(1);
      // The receiver gives alice a key ring of her own. The sender still seals with the shared
      // key, which the addon still opens (it stays in use for everybody else): refused all the same.
      await kb.setKey('alice', 'k1');
      local.tryPush({ payload: Uint8Array.of(4) });
      await until(() => remote.stats().framesDropped.decryptFailed === 1);
      expect(await s.read({ timeoutMs: 20 })).toBeUndefined();
      // The sender moves to the new key: its frames decrypt again, the addon opening them after the first.
      await ka.setKey('alice', 'k1');
      for (const n of [5, 6]) {
        local.tryPush({ payload: Uint8Array.of(n) });
        expect((await read(s)).payload).toEqual(Uint8Array.of(n));
      }
      // Frame 4 was refused without a decryption of its own; frame 5 was the new key's first.
      expect(jsDecrypts).toHaveBeenCalledTimes(2);
      expect(remote.stats().framesDropped.decryptFailed).toBe(1);
    } finally {
      jsDecrypts.mockRestore();
    }
  });

  test('the receiver setting its key again mid-stream loses no frame', async () => {
    const ka = await keys('k0');
    const kb = await keys('k0');
    const { local, remote, s } = await encryptedTrack(ka, kb, 'again');
    for (const n of [1, 2]) {
      local.tryPush({ payload: Uint8Array.of(n) });
      expect((await read(s)).payload).toEqual(Uint8Array.of(n));
    }
    // The same passphrase again makes a new key object at index 0: the addon's, by id, is retired.
    await kb.setSharedKey('k0');
    for (const n of [3, 4]) {
      local.tryPush({ payload: Uint8Array.of(n) });
      expect((await read(s)).payload).toEqual(Uint8Array.of(n));
    }
    expect(remote.stats().framesDropped.decryptFailed).toBe(0);
  });

  test('mixed room: encrypted and plaintext tracks both ways', async () => {
    const enc = sfu.join('enc', { encryption: { keyProvider: await keys('k') } });
    const plain = sfu.join('plain');
    const te = await enc.controller.publishDataTrack('e');
    const tp = await plain.controller.publishDataTrack('p');
    expect(te.info.usesE2ee).toBe(true);
    expect(tp.info.usesE2ee).toBe(false);
    const rp = await remoteTrack(enc, 'plain', 'p');
    const re = await remoteTrack(plain, 'enc', 'e');
    expect(rp.info.usesE2ee).toBe(false);
    expect(re.info.usesE2ee).toBe(true);
    const sp = await rp.subscribe();
    const se = await re.subscribe();
    tp.tryPush({ payload: Uint8Array.of(9) });
    expect((await read(sp)).payload[0]).toBe(9);
    // A participant without keys cannot read an encrypted track: counted, never delivered.
    te.tryPush({ payload: Uint8Array.of(8) });
    await until(() => re.stats().framesDropped.decryptFailed === 1);
    expect(await se.read({ timeoutMs: 20 })).toBeUndefined();
  });

  test('no key set: push fails with encryptionFailed', async () => {
    const alice = sfu.join('alice', { encryption: { keyProvider: new KeyProvider() } });
    const t = await alice.controller.publishDataTrack('x');
    expect(() => t.tryPush({ payload: Uint8Array.of(1) })).toThrow(expect.objectContaining({ reason: 'encryptionFailed' }));
    expect(t.stats().framesDropped.encryptionFailed).toBe(1);
  });
});
