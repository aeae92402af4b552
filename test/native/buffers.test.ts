// Output Buffers: small ones share a slab ArrayBuffer; detaching it from JS must not let the addon
// write into freed memory, and later outputs must stay correct.
import { native } from '../../lib/native/binding';
import { expectCode } from './helpers';

const b = native();

function packet(payload: Buffer): Buffer {
  return b.encodePacket({ marker: 'single', handle: 1, sequence: 0, frameNumber: 0, timestamp: 0, e2ee: null, userTimestamp: null }, payload);
}

test('outputs are independent Buffers even when they share an ArrayBuffer', () => {
  const outs = Array.from({ length: 200 }, (_, i) => b.decodePacket(packet(Buffer.alloc(100, i))).payload);
  outs.forEach((p, i) => expect(p.equals(Buffer.alloc(100, i))).toBe(true));
  outs[0].fill(0xff);
  expect(outs[1].equals(Buffer.alloc(100, 1))).toBe(true);
});

test('transferring a returned Buffer’s ArrayBuffer detaches it without corrupting later outputs', () => {
  for (let round = 0; round < 50; round++) {
    const p = b.decodePacket(packet(Buffer.alloc(64, round))).payload;
    const ab = p.buffer;
    structuredClone(ab, { transfer: [ab] }); // detaches the (shared) ArrayBuffer
    expect(ab.byteLength).toBe(0);
    const q = b.decodePacket(packet(Buffer.alloc(64, round + 1))).payload;
    expect(q.equals(Buffer.alloc(64, round + 1))).toBe(true);
  }
});

test('large outputs get their own ArrayBuffer', () => {
  const big = Buffer.alloc(100_000, 7);
  const out = b.decodePacket(packet(big)).payload;
  expect(out.byteOffset).toBe(0);
  expect(out.buffer.byteLength).toBe(100_000);
  expect(out.equals(big)).toBe(true);
});

test('a multi-packet frame is copied out of the reusable reassembly buffer', () => {
  const p = new b.Packetizer(1, 1000);
  const d = new b.Depacketizer();
  const frames: Buffer[] = [];
  for (let i = 0; i < 3; i++) {
    for (const x of p.packetize(Buffer.alloc(5000, i), null, null)) frames.push(...d.push(x).frames.map((f) => f.payload));
  }
  expect(frames.map((f) => [f.length, f[0], f[4999]])).toEqual([
    [5000, 0, 0],
    [5000, 1, 1],
    [5000, 2, 2],
  ]);
});

describe('handlePacket payloads (cut from the same kind of slab)', () => {
  function receiver() {
    const m = new b.RemoteManager();
    const id = m.updateParticipant('pub', [{ sid: 'TR_s', pubHandle: 1, name: 's', usesE2ee: false }]).published[0].trackId;
    m.subscribe(id, 1);
    m.setSubscriberHandles([[1, 'TR_s']]);
    let n = 0;
    return (payload: Buffer): Buffer => {
      const header = { marker: 'single' as const, handle: 1, sequence: n, frameNumber: n, timestamp: 0, e2ee: null, userTimestamp: null };
      n++;
      const frames = m.handlePacket(b.encodePacket(header, payload));
      expect(frames).toHaveLength(1);
      return frames![0].payload;
    };
  }

  test('are independent Buffers, never written again after they are returned', () => {
    const receive = receiver();
    const outs = Array.from({ length: 2000 }, (_, i) => receive(Buffer.alloc(100, i)));
    expect(new Set(outs.map((p) => p.buffer)).size).toBeGreaterThan(1); // the slab rolled over
    outs.forEach((p, i) => expect(p.equals(Buffer.alloc(100, i))).toBe(true));
    outs[0].fill(0xff);
    expect(outs[1].equals(Buffer.alloc(100, 1))).toBe(true);
  });

  test('survive a transfer of the slab: later payloads land in a new one', () => {
    const receive = receiver();
    for (let round = 0; round < 50; round++) {
      const ab = receive(Buffer.alloc(64, round)).buffer;
      structuredClone(ab, { transfer: [ab] });
      expect(ab.byteLength).toBe(0);
      expect(receive(Buffer.alloc(64, round + 1)).equals(Buffer.alloc(64, round + 1))).toBe(true);
    }
  });

  test('large ones get their own ArrayBuffer', () => {
    const big = Buffer.alloc(10_000, 7);
    const out = receiver()(big);
    expect(out.byteOffset).toBe(0);
    expect(out.buffer.byteLength).toBe(10_000);
    expect(out.equals(big)).toBe(true);
  });

  test('receivePacket refuses an info array too short to describe the frame', () => {
    const m = new b.RemoteManager() as unknown as { receivePacket(p: Uint8Array, info: unknown): ArrayBuffer | null };
    const layout = b.frameInfoLayout();
    expectCode(() => m.receivePacket(Buffer.alloc(4), new Uint32Array(layout.words - 1)), 'InvalidArgument');
    expectCode(() => m.receivePacket(Buffer.alloc(4), new Uint8Array(4 * layout.words)), 'InvalidArgument');
    expect(m.receivePacket(Buffer.alloc(4), new Uint32Array(layout.words))).toBeNull();
  });
});
