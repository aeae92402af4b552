// Every case of the DTP test vectors (native/core/tests/vectors/dtp.json) through the JS binding.
import { native, type ReassembledFrame } from '../../lib/native/binding';
import { expectCode, hex, loadVectors, payloadOf, plainHeader, toHeader, toHex } from './helpers';

const b = native();
const v = loadVectors();

const dropReason: Record<string, string> = {
  Interrupted: 'interrupted',
  UnknownFrame: 'unknownFrame',
  BufferFull: 'bufferFull',
  Incomplete: 'incomplete',
};

describe('encode vectors', () => {
  test.each(v.encode.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const out = b.encodePacket(toHeader(c.header), payloadOf(c));
    expect(Buffer.isBuffer(out)).toBe(true);
    expect(toHex(out)).toBe(c.bytes);
  });
});

describe('decode vectors', () => {
  const cases = [...v.decode, ...v.rustReferenceOnly.decode];
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { header, payload } = b.decodePacket(hex(c.bytes));
    expect(plainHeader(header)).toEqual(plainHeader(toHeader(c.header)));
    expect(Buffer.isBuffer(payload)).toBe(true);
    expect(toHex(payload)).toBe(c.payload);
  });
});

describe('invalid vectors', () => {
  const cases = [...v.invalid, ...v.rustReferenceOnly.invalid];
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const err = expectCode(() => b.decodePacket(hex(c.bytes)), c.error);
    if (c.extTag !== null) expect(err.extTag).toBe(c.extTag);
    if (c.error === 'UnsupportedVersion') expect(err.version).toBeGreaterThan(0);
    // the low-level depacketizer rejects the same bytes the same way
    expectCode(() => new b.Depacketizer().push(hex(c.bytes)), c.error);
  });
});

describe('forward vectors', () => {
  test.each(v.forward.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(toHex(b.forwardPacket(hex(c.bytes), c.newHandle))).toBe(c.out);
    // The dev SFU's path: into a reused buffer, with stale bytes from a longer packet behind it.
    const out = Buffer.alloc(4096, 0xee);
    const n = b.forwardPacketInto(hex(c.bytes), c.newHandle, out);
    expect(toHex(out.subarray(0, n))).toBe(c.out);
  });
});

describe('depacketize vectors', () => {
  test.each(v.depacketize.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const d = new b.Depacketizer(c.maxPartialFrames);
    const frames: ReassembledFrame[] = [];
    const drops: Array<{ reason: string; frameNumber: number }> = [];
    for (const p of c.packets) {
      const packet = b.encodePacket(
        { marker: p.marker, handle: 1, sequence: p.sequence, frameNumber: p.frameNumber, timestamp: 0, e2ee: null, userTimestamp: null },
        hex(p.payload),
      );
      const out = d.push(packet);
      frames.push(...out.frames);
      drops.push(...out.drops.map((x) => ({ reason: x.reason, frameNumber: x.frameNumber })));
    }
    expect(frames.map((f) => toHex(f.payload))).toEqual(c.frames);
    expect(drops).toEqual(c.drops.map((x) => ({ reason: dropReason[x.reason], frameNumber: x.frameNumber })));
  });

  test('drop details', () => {
    const d = new b.Depacketizer();
    const pk = (marker: 'start' | 'final' | 'single', sequence: number, frameNumber: number, payload: number[]) =>
      b.encodePacket({ marker, handle: 1, sequence, frameNumber, timestamp: 0, e2ee: null, userTimestamp: null }, Buffer.from(payload));
    d.push(pk('start', 65535, 2, [1]));
    expect(d.push(pk('final', 2, 2, [3])).drops).toEqual([{ reason: 'incomplete', frameNumber: 2, received: 2, expected: 4 }]);
    d.push(pk('start', 0, 5, [1]));
    const out = d.push(pk('single', 1, 6, [7]));
    expect(out.drops).toEqual([{ reason: 'interrupted', frameNumber: 5, newFrameNumber: 6 }]);
    expect(out.frames.map((f) => toHex(f.payload))).toEqual(['07']);
  });
});

describe('packetize vectors', () => {
  const e2ee = { keyIndex: 9, iv: Buffer.alloc(12, 0x5a) };
  const userTs = 0x0102030405060708n;
  test.each(v.packetize.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const p = new b.Packetizer(c.handle, c.mtu);
    for (const group of c.precedingFrames ?? []) {
      const frame = Buffer.alloc(group.payloadLength);
      for (let i = 0; i < group.count; i++) p.packetize(frame, null, null);
    }
    const frame = Buffer.alloc(c.payloadLength, parseInt(c.payloadByte, 16));
    const run = () => p.packetize(frame, c.userTimestamp ? userTs : null, c.e2ee ? e2ee : null);
    if (c.error) {
      expectCode(run, c.error);
      return;
    }
    const packets = run();
    expect(packets.map((x) => {
      const { header, payload } = b.decodePacket(x);
      expect(x.length).toBeLessThanOrEqual(c.mtu);
      expect(header.handle).toBe(c.handle);
      expect(header.userTimestamp).toBe(c.userTimestamp ? userTs : null);
      expect(header.e2ee ? toHex(header.e2ee.iv) : null).toBe(c.e2ee ? toHex(e2ee.iv) : null);
      return { marker: header.marker, sequence: header.sequence, frameNumber: header.frameNumber, payloadLength: payload.length };
    })).toEqual(c.packets);
    // one timestamp per frame
    expect(new Set(packets.map((x) => b.decodePacket(x).header.timestamp)).size).toBeLessThanOrEqual(1);
  });
});
