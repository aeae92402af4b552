// Output Buffers: small ones share a slab ArrayBuffer; detaching it from JS must not let the addon
// write into freed memory, and later outputs must stay correct.
import { native } from '../../lib/native/binding';

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
