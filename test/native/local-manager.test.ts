// LocalManager: handles, track states, frame queues, batched transmission, stats.
import { native, PushResult, type NativeLocalManager, type TransmitBatch } from '../../lib/native/binding';
import { types } from 'node:util';
import { expectCode } from './helpers';

const b = native();

function published(m: NativeLocalManager, name: string, usesE2ee = false): number {
  const handle = m.allocateHandle();
  m.beginPublish(handle, name, usesE2ee);
  m.publishSucceeded(handle, `TR_${name}`);
  return handle;
}

function packets(batch: TransmitBatch): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (const end of batch.ends) {
    out.push(batch.data.subarray(start, end));
    start = end;
  }
  expect(start).toBe(batch.data.length);
  return out;
}

test('handles are 1..65535 and never reused', () => {
  const m = new b.LocalManager();
  expect(m.allocateHandle()).toBe(1);
  expect(m.allocateHandle()).toBe(2);
  for (let h = 3; h <= 65535; h++) m.allocateHandle();
  expectCode(() => m.allocateHandle(), 'LimitReached');
  expectCode(() => m.allocateHandle(), 'LimitReached');
});

test('state machine: pending → published → republishing → published → unpublished', () => {
  const m = new b.LocalManager();
  const h = m.allocateHandle();
  expect(m.state(h)).toBeNull();
  m.beginPublish(h, 'sensor', true);
  expect(m.state(h)).toBe('pending');
  expectCode(() => m.beginPublish(h, 'sensor', true), 'InvalidState');
  expect(m.tracks()).toEqual([]);
  expect(m.pushFrame(h, Buffer.from([1]), null, null, false)).toBe(PushResult.NotPublished);

  m.publishSucceeded(h, 'TR_1');
  expect(m.state(h)).toBe('published');
  expect(m.tracks()).toEqual([{ handle: h, sid: 'TR_1', name: 'sensor', usesE2ee: true }]);
  expect(m.pushFrame(h, Buffer.from([1]), null, null, false)).toBe(PushResult.Queued);

  expect(m.beginRepublish()).toEqual([h]);
  expect(m.state(h)).toBe('republishing');
  expect(m.queuedFrames()).toBe(0); // queued frames are dropped on republish
  expect(m.pushFrame(h, Buffer.from([1]), null, null, false)).toBe(PushResult.NotPublished);
  expect(m.tracks()).toHaveLength(1);
  expect(m.stats(h)?.framesDroppedNotPublished).toBe(3);

  m.publishSucceeded(h, 'TR_2');
  expect(m.state(h)).toBe('published');
  expect(m.tracks()[0].sid).toBe('TR_2');

  m.unpublish(h);
  expect(m.state(h)).toBe('unpublished');
  expect(m.tracks()).toEqual([]);
  expect(m.stats(h)).toBeNull();
  expectCode(() => m.pushFrame(h, Buffer.from([1]), null, null, false), 'UnknownTrack');
  expectCode(() => m.beginPublish(h, 'again', false), 'InvalidState');
});

test('publishFailed forgets the track but keeps its handle used', () => {
  const m = new b.LocalManager();
  const h = m.allocateHandle();
  m.beginPublish(h, 'x', false);
  m.publishFailed(h);
  expect(m.state(h)).toBeNull();
  expect(m.allocateHandle()).toBe(h + 1);
  m.publishFailed(h); // idempotent
});

test('queue full: reject or drop the oldest', () => {
  const m = new b.LocalManager({ queueCapacity: 2 });
  const h = published(m, 'q');
  expect(m.pushFrame(h, Buffer.from([1]), null, null, false)).toBe(PushResult.Queued);
  expect(m.pushFrame(h, Buffer.from([2]), null, null, false)).toBe(PushResult.Queued);
  expect(m.pushFrame(h, Buffer.from([3]), null, null, false)).toBe(PushResult.Full);
  expect(m.pushFrame(h, Buffer.from([4]), null, null, true)).toBe(PushResult.QueuedDroppedOldest);
  expect(m.queuedFrames()).toBe(2);
  expect(m.stats(h)).toEqual({
    framesSent: 0,
    bytesSent: 0,
    packetsSent: 0,
    framesDroppedQueueFull: 1,
    framesDroppedNotPublished: 0,
    queuedFrames: 2,
  });
  const batch = m.pollTransmit(1 << 20);
  expect(batch).not.toBeNull();
  const got = packets(batch!).map((p) => b.decodePacket(p).payload.toString('hex'));
  expect(got).toEqual(['02', '04']);
  expect(batch!.frames).toBe(2);
  expect(m.pollTransmit(1 << 20)).toBeNull();
  expect(m.stats(h)).toMatchObject({ framesSent: 2, packetsSent: 2, bytesSent: 26, queuedFrames: 0 });
});

test('the caller may reuse its payload buffer right after pushFrame', () => {
  const m = new b.LocalManager();
  const h = published(m, 'copy');
  const buf = Buffer.from([7, 7, 7]);
  m.pushFrame(h, buf, null, null, false);
  buf.fill(0);
  expect(b.decodePacket(packets(m.pollTransmit(0)!)[0]).payload.toString('hex')).toBe('070707');
});

test('transmitInto: the packets pollTransmit would make, ends first, into the caller\'s words; too small a buffer drops that batch only', () => {
  const frames = [Buffer.alloc(2500, 1), Buffer.alloc(40_000, 2), Buffer.alloc(10, 3), Buffer.alloc(7, 4)];
  const viaFresh = new b.LocalManager();
  const viaWords = new b.LocalManager();
  const h1 = published(viaFresh, 's');
  const h2 = published(viaWords, 's');
  for (const f of frames) {
    viaFresh.pushFrame(h1, f, 5n, null, false);
    viaWords.pushFrame(h2, f, 5n, null, false);
  }
  const words = new Uint32Array(16 * 1024);
  const bytes = Buffer.from(words.buffer);
  const written = (n: number) => {
    const out: Uint8Array[] = [];
    let start = 0;
    for (const end of words.subarray(0, n)) {
      out.push(bytes.subarray(4 * n + start, 4 * n + end));
      start = end;
    }
    return out;
  };
  // Each manager's packetizer draws its own random RTP-style timestamp; everything else matches.
  const hex = (ps: Uint8Array[]) =>
    ps.map((p) => {
      const { header, payload } = b.decodePacket(p);
      return { ...header, timestamp: 0, payload: payload.toString('hex') };
    });

  expect(viaWords.transmitInto(0, words)).toBe(1);
  expect(hex(written(1))).toEqual(hex(packets(viaFresh.pollTransmit(0)!)));
  const n = viaWords.transmitInto(0, words);
  expect(n).toBe(3); // 40 kB: three packets at the 16,000-byte MTU
  expect(hex(written(n))).toEqual(hex(packets(viaFresh.pollTransmit(0)!)));

  // 8 words cannot hold frame 2: it is dropped with the error, frame 3 still goes.
  expectCode(() => viaWords.transmitInto(0, new Uint32Array(8)), 'InvalidArgument');
  viaFresh.pollTransmit(0);
  expect(viaWords.transmitInto(0, words)).toBe(1);
  expect(hex(written(1))).toEqual(hex(packets(viaFresh.pollTransmit(0)!)));
  expect(viaWords.transmitInto(0, words)).toBe(0);
  expect(viaFresh.pollTransmit(0)).toBeNull();
});

test('pollTransmit: whole frames, round-robin, at least one frame, extensions on every packet', () => {
  const m = new b.LocalManager({ mtu: 1000 });
  const a = published(m, 'a');
  const c = published(m, 'c');
  const e2ee = { keyIndex: 3, iv: Buffer.alloc(12, 0x11) };
  for (let i = 0; i < 3; i++) {
    m.pushFrame(a, Buffer.alloc(2500, i), 42n, e2ee, false);
    m.pushFrame(c, Buffer.from([100 + i]), null, null, false);
  }
  expect(m.queuedFrames()).toBe(6);

  const first = m.pollTransmit(0)!;
  expect(first.frames).toBe(1);
  expect(types.isUint32Array(first.ends)).toBe(true); // from Node's main realm, so no instanceof
  const ps = packets(first).map((p) => b.decodePacket(p).header);
  expect(ps.map((h) => h.marker)).toEqual(['start', 'inter', 'final']);
  expect(ps.every((h) => h.handle === a && h.userTimestamp === 42n && h.e2ee?.keyIndex === 3)).toBe(true);
  expect(new Set(ps.map((h) => h.timestamp)).size).toBe(1);
  expect(ps.map((h) => h.sequence)).toEqual([0, 1, 2]);

  const rest = m.pollTransmit(Number.MAX_SAFE_INTEGER)!;
  expect(rest.frames).toBe(5);
  const order = packets(rest).map((p) => b.decodePacket(p).header);
  // c, a(3 packets), c, a(3 packets), c
  expect(order.map((h) => h.handle)).toEqual([c, a, a, a, c, a, a, a, c]);
  expect(order.filter((h) => h.handle === c).map((h) => h.frameNumber)).toEqual([0, 1, 2]);
  expect(order.filter((h) => h.handle === a && h.marker === 'start').map((h) => h.frameNumber)).toEqual([1, 2]);
  expect(m.queuedFrames()).toBe(0);
  expect(m.stats(a)).toMatchObject({ framesSent: 3, packetsSent: 9 });
});

test('packet counters continue across republish', () => {
  const m = new b.LocalManager();
  const h = published(m, 'r');
  m.pushFrame(h, Buffer.alloc(10), null, null, false);
  m.pollTransmit(0);
  m.beginRepublish();
  m.publishSucceeded(h, 'TR_new');
  m.pushFrame(h, Buffer.alloc(10), null, null, false);
  const header = b.decodePacket(packets(m.pollTransmit(0)!)[0]).header;
  expect([header.sequence, header.frameNumber]).toEqual([1, 1]);
});

test('empty frames consume a frame number and produce no packet', () => {
  const m = new b.LocalManager();
  const h = published(m, 'e');
  m.pushFrame(h, Buffer.alloc(0), null, null, false);
  const batch = m.pollTransmit(0)!;
  expect([batch.data.length, batch.ends.length, batch.frames]).toEqual([0, 0, 1]);
  m.pushFrame(h, Buffer.from([1]), null, null, false);
  expect(b.decodePacket(packets(m.pollTransmit(0)!)[0]).header.frameNumber).toBe(1);
});

test('a packetized frame survives a round trip into a RemoteManager', () => {
  const m = new b.LocalManager();
  const h = published(m, 'rt');
  const frame = Buffer.alloc(100_000);
  for (let i = 0; i < frame.length; i++) frame[i] = (i * 7) & 0xff;
  m.pushFrame(h, frame, 0n, null, false);
  const remote = new b.RemoteManager();
  const { published: pubs } = remote.updateParticipant('alice', [{ sid: 'TR_rt', pubHandle: h, name: 'rt', usesE2ee: false }]);
  remote.subscribe(pubs[0].trackId, 1);
  remote.setSubscriberHandles([[9, 'TR_rt']]);
  const out = [];
  for (const p of packets(m.pollTransmit(0)!)) {
    const frames = remote.handlePacket(b.forwardPacket(p, 9));
    if (frames) out.push(...frames);
  }
  expect(out).toHaveLength(1);
  expect(out[0].trackId).toBe(pubs[0].trackId);
  expect(out[0].userTimestamp).toBe(0n); // 0 is sent, not omitted
  expect(Buffer.compare(out[0].payload, frame)).toBe(0);
});

describe('pushFrame sealWith (E2EE in the queued copy)', () => {
  const keyBytes = Buffer.alloc(32, 7);

  function sealedFrames(m: NativeLocalManager) {
    const decoded = packets(m.pollTransmit(1 << 22)!).map((p) => b.decodePacket(p));
    return { headers: decoded.map((d) => d.header), sent: Buffer.concat(decoded.map((d) => d.payload)) };
  }

  test('what is sent is the AES-GCM sealing of the frame under the IV the addon drew', () => {
    const key = new b.AesGcmKey(keyBytes);
    const m = new b.LocalManager();
    const h = published(m, 'secret', true);
    const plain = Buffer.from(Array.from({ length: 5000 }, (_, i) => i & 0xff));
    expect(m.pushFrame(h, plain, 7n, 2, false, key.id)).toBe(PushResult.Queued);
    const { headers, sent } = sealedFrames(m);
    const e2ee = headers[0].e2ee!;
    expect(e2ee.keyIndex).toBe(2);
    expect(headers[0].userTimestamp).toBe(7n);
    expect(sent.equals(key.seal(e2ee.iv, plain))).toBe(true);
    expect(key.open(e2ee.iv, sent)?.equals(plain)).toBe(true);
  });

  test('each sealed frame gets its own IV: prefix, clock, counter', () => {
    const key = new b.AesGcmKey(keyBytes);
    const m = new b.LocalManager({ queueCapacity: 64 });
    const h = published(m, 'secret', true);
    for (let i = 0; i < 50; i++) m.pushFrame(h, Buffer.from([i]), null, 0, false, key.id);
    const ivs = sealedFrames(m).headers.map((hd) => Buffer.from(hd.e2ee!.iv));
    expect(new Set(ivs.map((iv) => iv.toString('hex'))).size).toBe(50);
    expect(new Set(ivs.map((iv) => iv.readUInt32BE(0))).size).toBe(1); // one prefix per process
    const counters = ivs.map((iv) => iv.readUInt32BE(8));
    expect(counters.slice(1).every((c, i) => c === (counters[i] + 1) >>> 0)).toBe(true);
    const clock = (Date.now() % 2 ** 32) >>> 0;
    expect(Math.abs(ivs[0].readUInt32BE(4) - clock)).toBeLessThan(60_000);
  });

  test('an unknown key id or a key index out of range is refused and nothing is queued', () => {
    const key = new b.AesGcmKey(keyBytes);
    const m = new b.LocalManager();
    const h = published(m, 'secret', true);
    expectCode(() => m.pushFrame(h, Buffer.from('x'), null, 0, false, key.id + 1000), 'InvalidArgument');
    expectCode(() => m.pushFrame(h, Buffer.from('x'), null, 256, false, key.id), 'InvalidArgument');
    expectCode(() => m.pushFrame(h, Buffer.from('x'), null, null, false, key.id), 'InvalidArgument');
    expect(m.queuedFrames()).toBe(0);
  });
});

describe('AesGcmKey.openInPlace', () => {
  const iv = Buffer.alloc(12, 3);
  const key = new b.AesGcmKey(Buffer.alloc(16, 1));
  const plain = Buffer.from('a frame that travels encrypted');

  test('the plaintext replaces the start of the sealed bytes', () => {
    const sealed = key.seal(iv, plain);
    expect(key.openInPlace(iv, sealed)).toBe(true);
    expect(sealed.subarray(0, plain.length).equals(plain)).toBe(true);
  });

  test('bytes that do not authenticate are put back as they were', () => {
    const sealed = key.seal(iv, plain);
    const before = Buffer.from(sealed);
    expect(new b.AesGcmKey(Buffer.alloc(16, 2)).openInPlace(iv, sealed)).toBe(false);
    expect(sealed.equals(before)).toBe(true);
    expect(key.openInPlace(Buffer.alloc(12, 4), sealed)).toBe(false);
    expect(sealed.equals(before)).toBe(true);
    expect(key.openInPlace(iv, sealed.subarray(0, 15))).toBe(false);
    expect(key.openInPlace(iv, sealed)).toBe(true);
  });
});
