// Wrong argument types and ranges are rejected with InvalidArgument, never a crash.
import { native, type PacketHeader } from '../../lib/native/binding';
import { expectCode, isError } from './helpers';

const b = native();
// Deliberately untyped access for passing wrong types.
/* eslint-disable @typescript-eslint/no-explicit-any */
const any = b as any;

const header: PacketHeader = {
  marker: 'single',
  handle: 1,
  sequence: 0,
  frameNumber: 0,
  timestamp: 0,
  e2ee: null,
  userTimestamp: null,
};
const payload = Buffer.from([1, 2, 3]);

function invalid(name: string, fn: () => unknown): void {
  test(name, () => {
    expectCode(fn, 'InvalidArgument');
  });
}

describe('codec functions', () => {
  for (const bad of [undefined, null, 'abc', 123, {}, [1, 2], 5n]) {
    invalid(`decodePacket(${String(bad)})`, () => any.decodePacket(bad));
  }
  invalid('encodePacket(null, ...)', () => any.encodePacket(null, payload));
  invalid('encodePacket unknown marker', () => any.encodePacket({ ...header, marker: 'middle' }, payload));
  invalid('encodePacket handle 0', () => b.encodePacket({ ...header, handle: 0 }, payload));
  invalid('encodePacket handle 65536', () => b.encodePacket({ ...header, handle: 65536 }, payload));
  invalid('encodePacket negative sequence', () => b.encodePacket({ ...header, sequence: -1 }, payload));
  invalid('encodePacket fractional frame number', () => b.encodePacket({ ...header, frameNumber: 1.5 }, payload));
  invalid('encodePacket timestamp NaN', () => b.encodePacket({ ...header, timestamp: NaN }, payload));
  invalid('encodePacket timestamp as string', () => any.encodePacket({ ...header, timestamp: '5' }, payload));
  invalid('encodePacket userTimestamp as number', () => any.encodePacket({ ...header, userTimestamp: 5 }, payload));
  invalid('encodePacket negative userTimestamp', () => b.encodePacket({ ...header, userTimestamp: -1n }, payload));
  invalid('encodePacket userTimestamp 2^64', () => b.encodePacket({ ...header, userTimestamp: 2n ** 64n }, payload));
  invalid('encodePacket iv of 11 bytes', () => b.encodePacket({ ...header, e2ee: { keyIndex: 0, iv: Buffer.alloc(11) } }, payload));
  invalid('encodePacket keyIndex 256', () => b.encodePacket({ ...header, e2ee: { keyIndex: 256, iv: Buffer.alloc(12) } }, payload));
  invalid('encodePacket e2ee as string', () => any.encodePacket({ ...header, e2ee: 'x' }, payload));
  invalid('encodePacket payload as string', () => any.encodePacket(header, 'payload'));
  invalid('forwardPacket handle 0', () => b.forwardPacket(b.encodePacket(header, payload), 0));
  invalid('forwardPacket handle as string', () => any.forwardPacket(b.encodePacket(header, payload), '7'));
  invalid('forwardPacket packet as array', () => any.forwardPacket([24, 0, 0, 1], 7));
  const packet = b.encodePacket(header, payload);
  invalid('forwardPacketInto an out buffer too small', () => b.forwardPacketInto(packet, 7, Buffer.alloc(packet.length - 1)));
  invalid('forwardPacketInto out as array', () => any.forwardPacketInto(packet, 7, []));
  invalid('forwardPacketInto out overlapping the packet', () => b.forwardPacketInto(packet, 7, packet));

  test('any ArrayBuffer view or ArrayBuffer is accepted as bytes', () => {
    const bytes = b.encodePacket(header, payload);
    const copy = new Uint8Array(bytes);
    expect(b.decodePacket(copy).payload.toString('hex')).toBe('010203');
    expect(any.decodePacket(new DataView(copy.buffer)).payload.toString('hex')).toBe('010203');
    expect(any.decodePacket(copy.buffer).payload.toString('hex')).toBe('010203');
    const padded = new Uint8Array(copy.length + 5);
    padded.set(copy, 3);
    expect(any.decodePacket(new DataView(padded.buffer, 3, copy.length)).payload.toString('hex')).toBe('010203');
    const words = new Uint32Array(copy.buffer.slice(0, 12));
    expect(() => any.decodePacket(words)).not.toThrow();
  });

  test('undefined extensions count as null', () => {
    const h = { marker: 'single', handle: 1, sequence: 0, frameNumber: 0, timestamp: 0 };
    expect(any.encodePacket(h, payload).length).toBe(15);
  });

  test('an exception thrown by a getter propagates unchanged', () => {
    const h = {
      ...header,
      get handle(): number {
        throw new RangeError('from getter');
      },
    };
    expect(() => b.encodePacket(h, payload)).toThrow('from getter');
  });
});

describe('classes', () => {
  invalid('new Packetizer(0)', () => new b.Packetizer(0));
  invalid("new Packetizer('1')", () => new any.Packetizer('1'));
  invalid('new Packetizer(1, -5)', () => new b.Packetizer(1, -5));
  invalid('Packetizer without new', () => any.Packetizer(1));
  invalid('packetize(string)', () => (new b.Packetizer(1) as any).packetize('x', null, null));
  invalid('new Depacketizer(-1)', () => new b.Depacketizer(-1));
  invalid("new Depacketizer('x')", () => new any.Depacketizer('x'));
  invalid('Depacketizer.push(number)', () => (new b.Depacketizer() as any).push(42));
  invalid('new LocalManager({ mtu: 40 })', () => new b.LocalManager({ mtu: 40 }));
  invalid('new LocalManager({ queueCapacity: 0 })', () => new b.LocalManager({ queueCapacity: 0 }));
  invalid("new LocalManager('x')", () => new any.LocalManager('x'));

  const local = new b.LocalManager();
  const handle = local.allocateHandle();
  local.beginPublish(handle, 'a', false);
  local.publishSucceeded(handle, 'TR_a');
  invalid('beginPublish of a handle never allocated', () => local.beginPublish(4000, 'x', false));
  invalid('beginPublish name as number', () => (local as any).beginPublish(local.allocateHandle(), 5, false));
  invalid('pushFrame handle 0', () => local.pushFrame(0, payload, null, null, false));
  invalid('pushFrame payload as string', () => (local as any).pushFrame(handle, 'x', null, null, false));
  invalid('pushFrame dropOldest as string', () => (local as any).pushFrame(handle, payload, null, null, 'yes'));
  invalid('pollTransmit(-1)', () => local.pollTransmit(-1));
  invalid('transmitInto(-1, words)', () => local.transmitInto(-1, new Uint32Array(64)));
  invalid('transmitInto(0, out: not a Uint32Array)', () => local.transmitInto(0, new Uint8Array(64) as unknown as Uint32Array));
  invalid('stats(70000)', () => local.stats(70000));

  const remote = new b.RemoteManager();
  invalid('updateParticipant with a non-array', () => (remote as any).updateParticipant('a', 'x'));
  invalid('updateParticipant with a bad descriptor', () => (remote as any).updateParticipant('a', [{ sid: 1 }]));
  invalid('updateParticipant identity as number', () => (remote as any).updateParticipant(5, []));
  invalid('setSubscriberHandles handle 0', () => remote.setSubscriberHandles([[0, 'TR_x']]));
  invalid('setSubscriberHandles flat array', () => (remote as any).setSubscriberHandles([1, 'TR_x']));
  invalid('subscribe(0)', () => remote.subscribe(0, 1));
  invalid('handlePacket(string)', () => (remote as any).handlePacket('x'));

  test('unknown tracks', () => {
    expectCode(() => local.pushFrame(999, payload, null, null, false), 'UnknownTrack');
    expectCode(() => local.publishSucceeded(999, 'TR'), 'UnknownTrack');
    expectCode(() => remote.subscribe(12345, 1), 'UnknownTrack');
    expect(remote.trackStats(12345)).toBeNull();
    expect(local.stats(999)).toBeNull();
  });

  test('a method called on another receiver throws instead of crashing', () => {
    let thrown: unknown;
    try {
      b.Packetizer.prototype.packetize.call(new b.Depacketizer() as never, payload, null, null);
    } catch (e) {
      thrown = e;
    }
    expect(isError(thrown)).toBe(true);
    expect(() => (b.RemoteManager.prototype.stats as () => unknown).call({})).toThrow();
  });

  test('pushFrame acts on the instance it belongs to, whatever its receiver', () => {
    const publish = (m: InstanceType<typeof b.LocalManager>) => {
      const h = m.allocateHandle();
      m.beginPublish(h, 'a', false);
      m.publishSucceeded(h, 'TR_a');
      return h;
    };
    const own = new b.LocalManager();
    const other = new b.LocalManager();
    const h = publish(own);
    publish(other);
    const push = own.pushFrame;
    push(h, payload, null, null, false);
    own.pushFrame.call(other, h, payload, null, null, false);
    expect(own.queuedFrames()).toBe(2);
    expect(other.queuedFrames()).toBe(0);
  });

  test('re-entrant calls from a getter are refused', () => {
    const m = new b.LocalManager();
    const h = m.allocateHandle();
    m.beginPublish(h, 'a', false);
    m.publishSucceeded(h, 'TR_a');
    const e2ee = {
      keyIndex: 1,
      get iv(): Buffer {
        m.queuedFrames();
        return Buffer.alloc(12);
      },
    };
    expectCode(() => m.pushFrame(h, payload, null, e2ee, false), 'InvalidState');
    expect(m.queuedFrames()).toBe(0);
  });
});
