// RemoteManager: publications, SID reassignment, subscriber handles, routing, stats.
import { native, type FrameMarker, type RemoteTrackDescriptor } from '../../lib/native/binding';

const b = native();

function pkt(handle: number, marker: FrameMarker, sequence: number, frameNumber: number, payload: number[]): Buffer {
  return b.encodePacket({ marker, handle, sequence, frameNumber, timestamp: 0, e2ee: null, userTimestamp: null }, Buffer.from(payload));
}

const track = (sid: string, pubHandle: number, name = `n${pubHandle}`, usesE2ee = false): RemoteTrackDescriptor => ({
  sid,
  pubHandle,
  name,
  usesE2ee,
});

test('updateParticipant is authoritative per identity', () => {
  const m = new b.RemoteManager();
  const c1 = m.updateParticipant('alice', [track('TR_a', 1), track('TR_b', 2)]);
  expect(c1.published.map((p) => p.sid)).toEqual(['TR_a', 'TR_b']);
  expect(c1.unpublished).toEqual([]);
  const [a, bId] = c1.published.map((p) => p.trackId);
  expect(a).not.toBe(bId);

  expect(m.updateParticipant('alice', [track('TR_a', 1), track('TR_b', 2)])).toEqual({ published: [], unpublished: [], reassigned: [] });
  const bob = m.updateParticipant('bob', [track('TR_c', 1)]);
  expect(bob.published).toHaveLength(1);

  const c2 = m.updateParticipant('alice', [track('TR_b', 2)]);
  expect(c2.unpublished).toEqual([{ trackId: a, sid: 'TR_a' }]);
  expect(m.trackStats(a)).toBeNull();

  const c3 = m.removeParticipant('alice');
  expect(c3.unpublished).toEqual([{ trackId: bId, sid: 'TR_b' }]);
  expect(m.trackStats(bob.published[0].trackId)).not.toBeNull();
});

test('SID reassignment keeps the trackId and the pipeline', () => {
  const m = new b.RemoteManager();
  const id = m.updateParticipant('alice', [track('TR_1', 5, 'temp', true)]).published[0].trackId;
  m.subscribe(id, 1);
  m.setSubscriberHandles([[3, 'TR_1']]);
  expect(m.handlePacket(pkt(3, 'start', 0, 0, [1]))).toBeNull();

  // full reconnect of the publisher: same identity, pubHandle, name, e2ee; new SID
  const c = m.updateParticipant('alice', [track('TR_2', 5, 'temp', true)]);
  expect(c).toEqual({ published: [], unpublished: [], reassigned: [{ trackId: id, oldSid: 'TR_1', newSid: 'TR_2' }] });
  m.setSubscriberHandles([[4, 'TR_2']]);
  expect(m.subscriberHandle(id)).toBe(4);
  const frames = m.handlePacket(pkt(4, 'final', 1, 0, [2]));
  expect(frames).toHaveLength(1);
  expect(frames![0].trackId).toBe(id);
  expect(frames![0].payload.toString('hex')).toBe('0102'); // the partial frame survived

  // a different name is a different track
  const c2 = m.updateParticipant('alice', [track('TR_3', 5, 'other', true)]);
  expect(c2.unpublished).toEqual([{ trackId: id, sid: 'TR_2' }]);
  expect(c2.published).toHaveLength(1);
  expect(c2.reassigned).toEqual([]);
});

test('subscriber handle snapshots replace the map; handles may precede the publication', () => {
  const m = new b.RemoteManager();
  m.setSubscriberHandles([[7, 'TR_late']]);
  const id = m.updateParticipant('carol', [track('TR_late', 1)]).published[0].trackId;
  expect(m.subscriberHandle(id)).toBe(7);
  expect(m.handlePacket(pkt(7, 'single', 0, 0, [1]))).toBeNull(); // not subscribed yet
  m.subscribe(id, 1);
  m.subscribe(id, 1); // idempotent
  expect(m.handlePacket(pkt(7, 'single', 0, 0, [1]))?.[0].trackId).toBe(id);

  m.setSubscriberHandles([[8, 'TR_late']]);
  expect(m.handlePacket(pkt(7, 'single', 0, 0, [1]))).toBeNull();
  expect(m.handlePacket(pkt(8, 'single', 0, 0, [1]))?.[0].trackId).toBe(id);
  expect(m.subscriberHandle(id)).toBe(8);

  m.setSubscriberHandles([]);
  expect(m.subscriberHandle(id)).toBe(0);
  expect(m.handlePacket(pkt(8, 'single', 0, 0, [1]))).toBeNull();

  m.setSubscriberHandles([[8, 'TR_late']]);
  m.unsubscribe(id);
  // Unrouted at once; the handle stays the SFU's until its next map.
  expect(m.subscriberHandle(id)).toBe(8);
  expect(m.handlePacket(pkt(8, 'single', 0, 0, [1]))).toBeNull();
  expect(m.stats().unknownHandle).toBe(4);
});

test('frames carry the Start packet extensions', () => {
  const m = new b.RemoteManager();
  const id = m.updateParticipant('dave', [track('TR_e', 1, 'e', true)]).published[0].trackId;
  m.subscribe(id, 1);
  m.setSubscriberHandles([[1, 'TR_e']]);
  const e2ee = { keyIndex: 4, iv: Buffer.alloc(12, 0x22) };
  const start = b.encodePacket({ marker: 'start', handle: 1, sequence: 0, frameNumber: 0, timestamp: 9, e2ee, userTimestamp: 123n }, Buffer.from([1]));
  m.handlePacket(start);
  const frames = m.handlePacket(pkt(1, 'final', 1, 0, [2]))!;
  expect(frames[0].userTimestamp).toBe(123n);
  expect(frames[0].e2ee?.keyIndex).toBe(4);
  expect(Buffer.from(frames[0].e2ee!.iv).toString('hex')).toBe('22'.repeat(12));
});

test('stats count packets, frames, every drop reason and malformed packets by code', () => {
  const m = new b.RemoteManager();
  const id = m.updateParticipant('erin', [track('TR_s', 1)]).published[0].trackId;
  m.subscribe(id, 1);
  m.setSubscriberHandles([[1, 'TR_s']]);
  const sizes: number[] = [];
  const feed = (p: Buffer) => {
    sizes.push(p.length);
    return m.handlePacket(p);
  };
  feed(pkt(1, 'inter', 0, 5, [1])); // unknownFrame
  feed(pkt(1, 'start', 1, 6, [1]));
  feed(pkt(1, 'start', 2, 7, [1])); // interrupts 6
  feed(pkt(1, 'final', 9, 7, [1])); // incomplete
  feed(pkt(1, 'start', 0, 8, [1]));
  for (let s = 1; s <= 128; s++) feed(pkt(1, 'inter', s, 8, [1])); // the last one: bufferFull
  expect(feed(pkt(1, 'single', 0, 9, [1, 2, 3]))).toHaveLength(1);

  expect(m.trackStats(id)).toEqual({
    framesReceived: 1,
    bytesReceived: sizes.reduce((a, n) => a + n, 0),
    packetsReceived: sizes.length,
    droppedInterrupted: 1,
    droppedUnknownFrame: 1,
    droppedBufferFull: 1,
    droppedIncomplete: 1,
  });

  expect(m.handlePacket(Buffer.from([1, 2, 3]))).toBeNull();
  expect(m.handlePacket(Buffer.from('200000010000000000000000', 'hex'))).toBeNull();
  expect(m.handlePacket(Buffer.from('14000d051a0a270fdeadbeef0002010b7061727469636970616e7400fffefdfc', 'hex'))).toBeNull();
  expect(m.handlePacket(Buffer.from('14000d051a0a270fdeadbeef0002010b7061727469636970616e7400fffefdfc', 'hex'))).toBeNull();
  expect(m.stats()).toEqual({ malformed: { TooShort: 1, UnsupportedVersion: 1, MalformedExt: 2 }, unknownHandle: 0 });
});

test('pipeline capacity: maxPartialFrames lets frames interleave', () => {
  const m = new b.RemoteManager();
  const id = m.updateParticipant('f', [track('TR_p', 1)]).published[0].trackId;
  m.subscribe(id, 0); // clamped to 1
  m.setSubscriberHandles([[1, 'TR_p']]);
  m.handlePacket(pkt(1, 'start', 0, 1, [1]));
  m.handlePacket(pkt(1, 'start', 10, 2, [2])); // interrupts 1 at capacity 1
  expect(m.trackStats(id)?.droppedInterrupted).toBe(1);

  m.setPipelineOptions(id, 2);
  m.handlePacket(pkt(1, 'start', 20, 3, [3]));
  expect(m.handlePacket(pkt(1, 'final', 11, 2, [2]))?.[0].payload.toString('hex')).toBe('0202');
  expect(m.handlePacket(pkt(1, 'final', 21, 3, [3]))?.[0].payload.toString('hex')).toBe('0303');
  expect(m.trackStats(id)?.droppedInterrupted).toBe(1);
});
