// The batch calls: LocalManager.pushFrames and RemoteManager.handlePackets behave like the
// per-frame pushFrame and per-packet handlePacket they replace.
import { native, type NativeLocalManager, type NativeRemoteManager, type TransmitBatch } from '../../lib/native/binding';
import { expectCode, toHex } from './helpers';

const b = native();

function publisher(queueCapacity = 16): { m: NativeLocalManager; handle: number } {
  const m = new b.LocalManager({ queueCapacity, mtu: 100 });
  const handle = m.allocateHandle();
  m.beginPublish(handle, 'batch', false);
  m.publishSucceeded(handle, 'TR_batch');
  return { m, handle };
}

function subscriber(handle: number): { r: NativeRemoteManager; trackId: number } {
  const r = new b.RemoteManager();
  const { published } = r.updateParticipant('p', [{ sid: 'TR_batch', pubHandle: handle, name: 'batch', usesE2ee: false }]);
  r.subscribe(published[0].trackId, 1);
  r.setSubscriberHandles([[handle, 'TR_batch']]);
  return { r, trackId: published[0].trackId };
}

/** Frames back to back plus their end offsets. */
function pack(frames: Uint8Array[]): { data: Buffer; ends: Uint32Array } {
  const ends = new Uint32Array(frames.length);
  let at = 0;
  frames.forEach((f, i) => (ends[i] = at += f.length));
  return { data: Buffer.concat(frames), ends };
}

function split(data: Uint8Array, ends: Uint32Array): string[] {
  let start = 0;
  return Array.from(ends, (end) => toHex(data.subarray(start, (start = end))));
}

// 250 bytes at MTU 100: a three-packet frame among single-packet ones.
const FRAMES = [Buffer.from('01', 'hex'), Buffer.alloc(0), Buffer.alloc(250, 7), Buffer.from('0203', 'hex')];

test('pushFrames queues every frame as pushFrame would, timestamps included', () => {
  const { m, handle } = publisher();
  const { data, ends } = pack(FRAMES);
  const stamps = new BigUint64Array([1n, 2n, 3n, 2n ** 64n - 1n]);
  expect(m.pushFrames(handle, data, ends, stamps, false)).toEqual({ queued: 4, queuedDroppedOldest: 0, full: 0, notPublished: 0 });
  expect(m.queuedFrames()).toBe(4);

  const { r } = subscriber(handle);
  const got = [];
  for (let batch: TransmitBatch | null; (batch = m.pollTransmit(1 << 20)) !== null; ) {
    let start = 0;
    for (const end of batch.ends) {
      for (const f of r.handlePacket(batch.data.subarray(start, (start = end))) ?? []) got.push([toHex(f.payload), f.userTimestamp]);
    }
  }
  // An empty frame is a frame number with no packets: nothing to receive.
  expect(got).toEqual([
    ['01', 1n],
    ['07'.repeat(250), 3n],
    ['0203', 2n ** 64n - 1n],
  ]);
});

test('pushFrames keeps the queue semantics: refused after full, or evicting with dropOldest', () => {
  const { m, handle } = publisher(2);
  const { data, ends } = pack([Buffer.from([1]), Buffer.from([2]), Buffer.from([3])]);
  expect(m.pushFrames(handle, data, ends, null, false)).toEqual({ queued: 2, queuedDroppedOldest: 0, full: 1, notPublished: 0 });
  expect(m.pushFrames(handle, data, ends, null, true)).toEqual({ queued: 0, queuedDroppedOldest: 3, full: 0, notPublished: 0 });
  expect(m.stats(handle)?.framesDroppedQueueFull).toBe(3);
  m.beginRepublish();
  expect(m.pushFrames(handle, data, ends, null, false)).toEqual({ queued: 0, queuedDroppedOldest: 0, full: 0, notPublished: 3 });
});

test('pushFrames refuses malformed batches without queueing anything', () => {
  const { m, handle } = publisher();
  const data = Buffer.alloc(4);
  expectCode(() => m.pushFrames(handle, data, new Uint32Array([3, 2]), null, false), 'InvalidArgument');
  expectCode(() => m.pushFrames(handle, data, new Uint32Array([5]), null, false), 'InvalidArgument');
  expectCode(() => m.pushFrames(handle, data, new Uint32Array([4]), new BigUint64Array(2), false), 'InvalidArgument');
  expectCode(() => m.pushFrames(handle, data, new Uint16Array([4]) as unknown as Uint32Array, null, false), 'InvalidArgument');
  expectCode(() => m.pushFrames(999, data, new Uint32Array([4]), null, false), 'UnknownTrack');
  expect(m.queuedFrames()).toBe(0);
});

test('handlePackets takes a pollTransmit batch and returns what handlePacket would, in one buffer', () => {
  const { m, handle } = publisher();
  const { data, ends } = pack(FRAMES);
  m.pushFrames(handle, data, ends, new BigUint64Array([0n, 0n, 9n, 0n]), false);
  const batch = m.pollTransmit(1 << 20)!;
  expect(batch.frames).toBe(4);

  const one = subscriber(handle);
  const expected = [];
  let start = 0;
  for (const end of batch.ends) expected.push(...(one.r.handlePacket(batch.data.subarray(start, (start = end))) ?? []));

  const many = subscriber(handle);
  const got = many.r.handlePackets(batch.data, batch.ends)!;
  expect(split(got.data, got.ends)).toEqual(expected.map((f) => toHex(f.payload)));
  expect(Array.from(got.trackIds)).toEqual(expected.map((f) => f.trackId));
  expect(got.extensions).toEqual([
    { frame: 0, userTimestamp: 0n, e2ee: null },
    { frame: 1, userTimestamp: 9n, e2ee: null },
    { frame: 2, userTimestamp: 0n, e2ee: null },
  ]);
  expect(many.r.trackStats(many.trackId)).toEqual(one.r.trackStats(one.trackId));
});

test('handlePackets counts bad packets, returns null when no frame completes, and refuses bad ends', () => {
  const { r } = subscriber(1);
  const { data, ends } = pack([Buffer.from('garbage'), Buffer.alloc(0)]);
  expect(r.handlePackets(data, ends)).toBeNull();
  expect(r.stats().malformed).toEqual({ TooShort: 2 });
  expectCode(() => r.handlePackets(data, new Uint32Array([8])), 'InvalidArgument');
  expectCode(() => r.handlePackets(data, new Uint32Array([3, 2])), 'InvalidArgument');
  expect(r.stats().malformed).toEqual({ TooShort: 2 });
});
