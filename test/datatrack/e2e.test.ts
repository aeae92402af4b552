// Data tracks end to end: Rooms over real WebRTC through the development SFU and livekit-server (no mocks).

import * as crypto from 'node:crypto';
import { ParticipantEvent, Room, RoomEvent } from '../../lib/room';
import { DataTrackFrame, msSinceTimestamp } from '../../lib/datatrack/frame';
import { DataTrackPublishError, DataTrackPushError } from '../../lib/datatrack/errors';
import type { LocalDataTrack } from '../../lib/datatrack/local-track';
import type { RemoteDataTrack } from '../../lib/datatrack/remote-track';
import { E2E, WAIT_MS, once, read, readUpTo, remoteTrack, until, pushUntilReceived, warmPath } from './e2e-helpers';
import { serverKinds } from '../servers/test-server';
import { deliverWithRepushes } from '../helpers/lossy-path';

jest.setTimeout(60_000);

describe.each(serverKinds())('data tracks end to end [%s]', (kind) => {
  const env = new E2E(kind);
  beforeAll(() => env.start());
  afterEach(() => env.disconnectAll());
  afterAll(() => env.stop());

  async function pair(name = 't') {
    const pub = await env.connect('alice');
    const sub = await env.connect('bob');
    await warmPath(pub, sub);
    const local = await pub.localParticipant.publishDataTrack(name);
    const remote = await remoteTrack(sub, 'alice', name);
    return { pub, sub, local, remote };
  }

  test('small frames: 10 × 1 KiB arrive intact and in order', async () => {
    const { local, remote } = await pair();
    const stream = await remote.subscribe();
    const sent = Array.from({ length: 10 }, () => crypto.randomBytes(1024));
    for (const p of sent) local.tryPush({ payload: p });
    const got = await readUpTo(stream, 10);
    expect(got.length).toBeGreaterThanOrEqual(9);
    let i = 0;
    for (const f of got) {
      while (i < sent.length && !sent[i].equals(f.payload)) i++;
      expect(i).toBeLessThan(sent.length); // each received frame is one we sent, in order
    }
    expect(remote.info).toMatchObject({ name: 't', usesE2ee: false });
  });

  test('large frames: 3 × 196 KiB and one of 2,000,000 bytes arrive intact', async () => {
    const { local, remote } = await pair();
    const stream = await remote.subscribe();
    const sent: Buffer[] = [];
    let pushes = 0;
    for (const p of [...Array.from({ length: 3 }, () => crypto.randomBytes(196 * 1024)), crypto.randomBytes(2_000_000)]) {
      sent.push(p);
      // A frame of 170 to 1,700 packets can meet the SFUs' congestion drop on a loaded machine
      // (FINDINGS row 5): it is pushed again, and what arrives must be this frame, whole.
      const delivery = await deliverWithRepushes({
        push: () => local.tryPush({ payload: p }),
        next: (timeoutMs) => stream.read({ timeoutMs }),
        maxPushes: 5,
        waitMs: 5_000,
        matches: (f) => !sent.slice(0, -1).some((earlier) => earlier.equals(f.payload)),
      });
      expect(Buffer.from(delivery.frame.payload).equals(p)).toBe(true);
      pushes += delivery.pushes;
    }
    if (pushes > sent.length) console.log(`[large frames] ${kind}: ${pushes} pushes for ${sent.length} frames (congestion drops)`);
    // Only a frame that was pushed again may have left a partial frame behind.
    const { incomplete, interrupted } = remote.stats().framesDropped;
    expect(incomplete + interrupted).toBeLessThanOrEqual(pushes - sent.length);
    expect(remote.stats().framesDelivered).toBeGreaterThanOrEqual(sent.length);
  });

  test('pushFrames: every frame of a 500-frame batch arrives in order with its user timestamp', async () => {
    const { local, remote } = await pair();
    const n = 500;
    const size = 64;
    const stream = await remote.subscribe({ bufferSize: n });
    const payloads = crypto.randomBytes(n * size);
    const ends = Uint32Array.from({ length: n }, (_, i) => (i + 1) * size);
    const userTimestamps = BigUint64Array.from({ length: n }, (_, i) => 1_700_000_000_000n + BigInt(i));
    expect(local.pushFrames({ payloads, ends, userTimestamps })).toEqual({ queued: n, dropped: 0, evicted: 0 });
    for (let i = 0; i < n; i++) {
      const f = await read(stream);
      const sent = payloads.subarray(i * size, (i + 1) * size);
      if (!sent.equals(f.payload) || f.userTimestamp !== userTimestamps[i]) {
        throw new Error(`frame ${i}: got ${f.payload.length} bytes stamped ${f.userTimestamp}`);
      }
    }
    expect(remote.stats().framesDelivered).toBe(n);
  });

  test('published state and waitForUnpublish on both sides', async () => {
    const { local, remote } = await pair();
    expect(local.isPublished).toBe(true);
    expect(remote.isPublished).toBe(true);
    const remoteGone = remote.waitForUnpublish();
    await local.unpublish();
    expect(local.isPublished).toBe(false);
    await local.waitForUnpublish();
    await remoteGone;
    expect(remote.isPublished).toBe(false);
  });

  test('user timestamp round trip and latency helper', async () => {
    const { local, remote } = await pair();
    const stream = await remote.subscribe();
    local.tryPush(DataTrackFrame.now(Uint8Array.of(1)));
    const f = await read(stream);
    const latency = msSinceTimestamp(f);
    expect(latency).toBeDefined();
    expect(latency!).toBeLessThan(1000);
    local.tryPush({ payload: Uint8Array.of(2), userTimestamp: 0n });
    expect((await read(stream)).userTimestamp).toBe(0n);
    local.tryPush({ payload: Uint8Array.of(3), userTimestamp: (1n << 64n) - 1n });
    expect((await read(stream)).userTimestamp).toBe((1n << 64n) - 1n);
    local.tryPush({ payload: Uint8Array.of(4) });
    expect((await read(stream)).userTimestamp).toBeUndefined();
  });

  test('the subscribed stream as a WHATWG ReadableStream: piped through a TransformStream', async () => {
    const { local, remote } = await pair();
    const stream = await remote.subscribe();
    const decoded = stream.readable.pipeThrough(
      new TransformStream<{ payload: Uint8Array }, string>({ transform: (f, c) => c.enqueue(new TextDecoder().decode(f.payload)) }),
    );
    const reader = decoded.getReader();
    const texts: string[] = [];
    for (const text of ['a', 'b', 'c']) {
      local.tryPush({ payload: new TextEncoder().encode(text) });
      const r = await reader.read();
      texts.push(r.value!);
    }
    expect(texts).toEqual(['a', 'b', 'c']);
    await reader.cancel();
    expect(stream.endReason).toBe('cancelled');
    await until(() => !remote.isSubscribed, WAIT_MS, 'unsubscribed after the readable was cancelled');
  });

  test('resubscribe ten times', async () => {
    const { local, remote } = await pair();
    for (let i = 0; i < 10; i++) {
      const stream = await remote.subscribe();
      const f = await pushUntilReceived(() => local.tryPush({ payload: Uint8Array.of(i) }), stream);
      expect(f.payload[0]).toBe(i);
      stream.cancel();
    }
  });

  test('send() of an async iterable with both policies', async () => {
    const { local, remote } = await pair();
    const stream = await remote.subscribe({ bufferSize: 32 });
    async function* frames(base: number) {
      for (let i = 0; i < 5; i++) {
        yield { payload: Uint8Array.of(base + i) };
        await new Promise((r) => setImmediate(r));
      }
    }
    await local.send(frames(0), { onQueueFull: 'drop' });
    await local.send(frames(10), { onQueueFull: 'throw' });
    const got = (await readUpTo(stream, 10)).map((f) => f.payload[0]);
    expect(got.filter((x) => x < 10).length).toBeGreaterThanOrEqual(4);
    expect(got.filter((x) => x >= 10).length).toBeGreaterThanOrEqual(4);
  });

  test('push after unpublish throws trackUnpublished', async () => {
    const { local } = await pair();
    await local.unpublish();
    const frame = { payload: Uint8Array.of(1) };
    let err: unknown;
    try {
      local.tryPush(frame);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataTrackPushError);
    expect((err as DataTrackPushError).reason).toBe('trackUnpublished');
    expect((err as DataTrackPushError).frame).toBe(frame);
  });

  test('bufferSize 0 is clamped to 1', async () => {
    const { local, remote } = await pair();
    const stream = await remote.subscribe({ bufferSize: 0 });
    expect(stream.bufferSize).toBe(1);
    local.tryPush({ payload: Uint8Array.of(5) });
    expect((await read(stream)).payload[0]).toBe(5);
  });

  test('bufferSize 1 keeps the newest frame and counts the overflow', async () => {
    const { local, remote } = await pair();
    const stream = await remote.subscribe({ bufferSize: 1 });
    for (let i = 0; i < 32; i++) local.tryPush({ payload: Uint8Array.of(i) });
    await until(() => remote.stats().framesDelivered === 32, WAIT_MS, '32 frames delivered');
    const f = await read(stream);
    expect(f.payload[0]).toBe(31);
    expect(stream.stats().framesDroppedOverflow).toBe(31);
    expect(remote.stats().framesDropped.subscriberOverflow).toBe(31);
  });

  test('duplicate name is refused', async () => {
    const room = await env.connect('alice');
    await room.localParticipant.publishDataTrack('dup');
    await expect(room.localParticipant.publishDataTrack('dup')).rejects.toMatchObject({ reason: 'duplicateName' });
  });

  test('unauthorized (canPublishData: false) is refused with notAllowed', async () => {
    const room = await env.connect('mute', { grants: { canPublishData: false } });
    const err = await room.localParticipant.publishDataTrack('x').catch((e) => e);
    expect(err).toBeInstanceOf(DataTrackPublishError);
    expect(err.reason).toBe('notAllowed');
  });

  test('publish while disconnected fails with disconnected', async () => {
    await expect(new Room().localParticipant.publishDataTrack('x')).rejects.toMatchObject({ reason: 'disconnected' });
    const room = await env.connect('alice');
    await room.disconnect();
    await expect(room.localParticipant.publishDataTrack('x')).rejects.toMatchObject({ reason: 'disconnected' });
  });

  test('waiting for a track of a participant of a disconnected room fails with disconnected', async () => {
    const pub = await env.connect('alice');
    const sub = await env.connect('bob');
    const alice = await (async () => {
      await until(() => sub.remoteParticipants.has('alice'));
      return sub.remoteParticipants.get('alice')!;
    })();
    const pending = alice.waitForDataTrack('never');
    await sub.disconnect();
    await expect(pending).rejects.toMatchObject({ reason: 'disconnected' });
    await expect(alice.waitForDataTrack('never')).rejects.toMatchObject({ reason: 'disconnected' });
    expect(alice.dataTracks.size).toBe(0);
    await pub.disconnect();
  });

  test('data-track events fire on the participant first, then on the room', async () => {
    const pub = await env.connect('alice');
    const sub = await env.connect('bob');
    await until(() => sub.remoteParticipants.has('alice'));
    const alice = sub.remoteParticipants.get('alice')!;
    const log: string[] = [];
    pub.localParticipant.on(ParticipantEvent.LocalDataTrackPublished, (t) => log.push(`local participant: published ${t.name}`));
    pub.on(RoomEvent.LocalDataTrackPublished, (t) => log.push(`publisher room: published ${t.name}`));
    pub.localParticipant.on(ParticipantEvent.LocalDataTrackUnpublished, (t) => log.push(`local participant: unpublished ${t.name}`));
    pub.on(RoomEvent.LocalDataTrackUnpublished, (t) => log.push(`publisher room: unpublished ${t.name}`));
    alice.on(ParticipantEvent.DataTrackPublished, (t) => log.push(`remote participant: published ${t.name}`));
    sub.on(RoomEvent.DataTrackPublished, (t, p) => log.push(`subscriber room: published ${t.name} by ${p.identity}`));
    alice.on(ParticipantEvent.DataTrackUnpublished, (t) => log.push(`remote participant: unpublished ${t.name}`));
    sub.on(RoomEvent.DataTrackUnpublished, (t, p) => log.push(`subscriber room: unpublished ${t.name} by ${p.identity}`));

    const remoteGone = once(sub, RoomEvent.DataTrackUnpublished);
    const track = await pub.localParticipant.publishDataTrack('ordered');
    const remote = await alice.waitForDataTrack('ordered', { timeoutMs: WAIT_MS });
    await track.unpublish();
    await remoteGone;
    expect(remote.isPublished).toBe(false);
    const publisherSide = log.filter((l) => !l.startsWith('remote') && !l.startsWith('subscriber'));
    const subscriberSide = log.filter((l) => l.startsWith('remote') || l.startsWith('subscriber'));
    expect(publisherSide).toEqual([
      'local participant: published ordered',
      'publisher room: published ordered',
      'local participant: unpublished ordered',
      'publisher room: unpublished ordered',
    ]);
    expect(subscriberSide).toEqual([
      'remote participant: published ordered',
      'subscriber room: published ordered by alice',
      'remote participant: unpublished ordered',
      'subscriber room: unpublished ordered by alice',
    ]);

    // After the publisher leaves, the unpublish still reaches the participant object it came from.
    await pub.localParticipant.publishDataTrack('last');
    await alice.waitForDataTrack('last', { timeoutMs: WAIT_MS });
    const lastGone = once<[RemoteDataTrack]>(alice, ParticipantEvent.DataTrackUnpublished);
    await pub.disconnect();
    expect((await lastGone)[0].name).toBe('last');
    expect(sub.remoteParticipants.has('alice')).toBe(false);
  });

  test('schema metadata reaches the subscriber', async () => {
    const pub = await env.connect('alice');
    const sub = await env.connect('bob');
    const local = await pub.localParticipant.publishDataTrack({
      name: 'typed',
      frameEncoding: 'json',
      schema: { name: 'pose', encoding: 'jsonschema' },
    });
    const custom = await pub.localParticipant.publishDataTrack({
      name: 'custom',
      frameEncoding: { custom: 'a' },
      schema: { name: 's', encoding: { custom: 'b' } },
    });
    expect(local.info).toMatchObject({ frameEncoding: 'json', schema: { name: 'pose', encoding: 'jsonschema' } });
    const r1 = await remoteTrack(sub, 'alice', 'typed');
    const r2 = await remoteTrack(sub, 'alice', 'custom');
    expect(r1.info.schema).toEqual({ name: 'pose', encoding: 'jsonschema' });
    expect(r1.info.frameEncoding).toBe('json');
    expect(r2.info).toMatchObject({ frameEncoding: { custom: 'a' }, schema: { name: 's', encoding: { custom: 'b' } } });
    expect(custom.info.frameEncoding).toEqual({ custom: 'a' });
  });

  test('define and get a schema', async () => {
    const pub = await env.connect('alice');
    const sub = await env.connect('bob');
    const id = { name: 'pose', encoding: 'jsonschema' as const };
    const definition = JSON.stringify({ type: 'object', properties: { x: { type: 'number' } } });
    await pub.localParticipant.defineSchema(id, definition);
    expect(await sub.localParticipant.getSchema(id, 'alice')).toBe(definition);
    await expect(sub.localParticipant.getSchema({ name: 'missing', encoding: 'protobuf' }, 'alice')).rejects.toMatchObject({
      reason: 'notFound',
    });
  });

  test('participant.dataTracks holds the object the event delivered', async () => {
    const pub = await env.connect('alice');
    const sub = await env.connect('bob');
    const event = once<[RemoteDataTrack, unknown]>(sub, RoomEvent.DataTrackPublished);
    await pub.localParticipant.publishDataTrack('x');
    const [track, participant] = await event;
    const alice = sub.remoteParticipants.get('alice')!;
    expect(participant).toBe(alice);
    expect(alice.dataTracks.get('x')).toBe(track);
    expect(await alice.waitForDataTrack('x')).toBe(track);
  });

  test('room-level and local events fire once each', async () => {
    const pub = await env.connect('alice');
    const sub = await env.connect('bob');
    const counts = { pub: 0, unpub: 0, localPub: 0, localUnpub: 0 };
    sub.on(RoomEvent.DataTrackPublished, () => counts.pub++);
    sub.on(RoomEvent.DataTrackUnpublished, () => counts.unpub++);
    pub.on(RoomEvent.LocalDataTrackPublished, () => counts.localPub++);
    pub.on(RoomEvent.LocalDataTrackUnpublished, () => counts.localUnpub++);
    const localEvent = once<[LocalDataTrack]>(pub, RoomEvent.LocalDataTrackPublished);
    const t = await pub.localParticipant.publishDataTrack('once');
    expect((await localEvent)[0]).toBe(t);
    expect(pub.localParticipant.dataTracks.get('once')).toBe(t);
    const remote = await remoteTrack(sub, 'alice', 'once');
    const gone = once<[RemoteDataTrack]>(sub, RoomEvent.DataTrackUnpublished);
    await t.unpublish();
    expect((await gone)[0]).toBe(remote);
    // A later, unrelated change must not re-announce anything.
    const other = await pub.localParticipant.publishDataTrack('other');
    await remoteTrack(sub, 'alice', 'other');
    await other.unpublish();
    await until(() => counts.unpub === 2);
    expect(counts).toEqual({ pub: 2, unpub: 2, localPub: 2, localUnpub: 2 });
    expect(pub.localParticipant.dataTracks.size).toBe(0);
  });

  test('publisher disconnect gives an unpublish event', async () => {
    const { pub, sub, remote } = await pair();
    const stream = await remote.subscribe();
    const gone = once<[RemoteDataTrack, unknown]>(sub, RoomEvent.DataTrackUnpublished);
    await pub.disconnect();
    const [track, participant] = await gone;
    expect(track).toBe(remote);
    expect((participant as { identity: string } | undefined)?.identity).toBe('alice');
    expect(remote.isPublished).toBe(false);
    expect((await stream.next()).done).toBe(true);
  });

  test('a track published before the subscriber joins is discovered from the join', async () => {
    const pub = await env.connect('alice');
    const local = await pub.localParticipant.publishDataTrack('early');
    const sub = await env.connect('bob');
    const alice = sub.remoteParticipants.get('alice');
    expect(alice?.dataTracks.get('early')?.sid).toBe(local.sid);
    await warmPath(pub, sub);
    const stream = await alice!.dataTracks.get('early')!.subscribe();
    local.tryPush({ payload: Uint8Array.of(1) });
    expect((await read(stream)).payload[0]).toBe(1);
  });

  test('256 tracks publish in under 5 s and each carries a 196,608-byte frame', async () => {
    const pub = await env.connect('alice');
    const sub = await env.connect('bob');
    await warmPath(pub, sub);
    const t0 = Date.now();
    const tracks = await Promise.all(Array.from({ length: 256 }, (_, i) => pub.localParticipant.publishDataTrack(`t${i}`)));
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(5000);
    expect(new Set(tracks.map((t) => t.sid)).size).toBe(256);
    // Each track carries a 196,608-byte frame. Pushed four tracks at a time: the SFU drops packets
    // for a subscriber with more than 1 MiB in flight, like LiveKit's congestion control.
    const remotes = await Promise.all(tracks.map((t) => remoteTrack(sub, 'alice', t.name)));
    const payload = crypto.randomBytes(196_608);
    for (let i = 0; i < 256; i += 4) {
      const batch = remotes.slice(i, i + 4);
      const streams = await Promise.all(batch.map((r) => r.subscribe()));
      for (let k = 0; k < batch.length; k++) tracks[i + k].tryPush({ payload });
      for (const s of streams) {
        expect(Buffer.from((await read(s)).payload).equals(payload)).toBe(true);
        s.cancel();
      }
    }
  });

  test('concurrent pushes across tracks: no misrouting, duplicates or corruption', async () => {
    // This checks routing under interleaved pushes, not congestion policy: a 2 MiB burst is over the
    // SFU's rate-based drop threshold (as it would be on livekit-server), so this server keeps only
    // its buffered-bytes cap, and livekit-server gets a latency target no burst here reaches.
    const burst = new E2E(kind);
    await burst.start({ dev: { dataTrackTargetLatencyMs: 0 }, livekitConfig: { rtc: { datachannel_data_track_target_latency: '10s' } } });
    try {
      await concurrentPushes(burst);
    } finally {
      await burst.stop();
    }
  });

  async function concurrentPushes(env: E2E): Promise<void> {
    const pub = await env.connect('alice');
    const sub = await env.connect('bob');
    await warmPath(pub, sub);
    async function run(tracks: number, frames: number, size: number) {
      const locals = await Promise.all(Array.from({ length: tracks }, (_, i) => pub.localParticipant.publishDataTrack(`c${size}-${i}`)));
      const remotes = await Promise.all(locals.map((l) => remoteTrack(sub, 'alice', l.name)));
      const streams = await Promise.all(remotes.map((r) => r.subscribe({ bufferSize: frames })));
      for (let f = 0; f < frames; f++) {
        for (let t = 0; t < tracks; t++) {
          const payload = Buffer.alloc(size);
          payload.writeUInt16BE(t, 0);
          payload.writeUInt16BE(f, 2);
          crypto.createHash('sha256').update(payload.subarray(0, 4)).digest().copy(payload, 4, 0, Math.min(32, size - 4));
          locals[t].tryPush({ payload }, { onQueueFull: 'drop' });
        }
      }
      let total = 0;
      for (let t = 0; t < tracks; t++) {
        const seen = new Set<number>();
        for (const f of await readUpTo(streams[t], frames)) {
          const b = Buffer.from(f.payload);
          expect(b.length).toBe(size);
          expect(b.readUInt16BE(0)).toBe(t); // routed to the right track
          const n = b.readUInt16BE(2);
          expect(n).toBeLessThan(frames);
          expect(seen.has(n)).toBe(false); // no duplicates
          seen.add(n);
          const digest = crypto.createHash('sha256').update(b.subarray(0, 4)).digest();
          expect(b.subarray(4, 4 + Math.min(32, size - 4)).equals(digest.subarray(0, Math.min(32, size - 4)))).toBe(true);
        }
        total += seen.size;
      }
      return total;
    }
    expect(await run(8, 32, 8)).toBeGreaterThanOrEqual(8 * 32 * 0.9);
    expect(await run(4, 8, 64 * 1024)).toBeGreaterThanOrEqual(4 * 8 * 0.9);
  }

  test('await using unpublishes at scope exit', async () => {
    const pub = await env.connect('alice');
    const sub = await env.connect('bob');
    let remote: RemoteDataTrack;
    {
      await using t = await pub.localParticipant.publishDataTrack('scoped');
      remote = await remoteTrack(sub, 'alice', 'scoped');
      expect(t.isPublished).toBe(true);
    }
    expect(pub.localParticipant.dataTracks.has('scoped')).toBe(false);
    await remote.waitForUnpublish();
  });

  test('AbortSignal cancels publish and subscribe', async () => {
    const { pub, remote } = await pair();
    const ac = new AbortController();
    const p = pub.localParticipant.publishDataTrack({ name: 'aborted', signal: ac.signal });
    ac.abort();
    await expect(p).rejects.toMatchObject({ reason: 'cancelled' });
    expect(pub.localParticipant.dataTracks.has('aborted')).toBe(false);
    // The SFU may have accepted it meanwhile; the SDK takes that back, so the name is free again.
    await until(() => true);
    const again = await retry(() => pub.localParticipant.publishDataTrack('aborted'));
    expect(again.isPublished).toBe(true);

    const sc = new AbortController();
    const s = remote.subscribe({ signal: sc.signal });
    sc.abort();
    await expect(s).rejects.toMatchObject({ reason: 'cancelled' });
    await until(() => !remote.isSubscribed, WAIT_MS, 'unsubscribed');
  });

  /** Retries while the SFU still holds a name that is being taken back (bounded). */
  async function retry<T>(fn: () => Promise<T>): Promise<T> {
    const end = Date.now() + WAIT_MS;
    for (;;) {
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof DataTrackPublishError) || e.reason !== 'duplicateName' || Date.now() > end) throw e;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }
});
