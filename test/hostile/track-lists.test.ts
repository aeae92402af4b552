// A server whose participant updates and handle maps contradict themselves: duplicate SIDs and
// names, out-of-range handles, renames in place, unknown tracks, handles remapped mid-stream,
// 10,000-track lists, random packets. The SDK keeps what is valid, delivers frames only to the
// track the server mapped them to, and frees everything at disconnect.

import type { RemoteDataTrack } from '../../lib/datatrack/remote-track';
import { buildPacket } from '../dev-server/helpers/dtp';
import { handles, participant, update } from './helpers/hostile-server';
import { hostileSuite, trackNamed } from './helpers/suite';

const h = hostileSuite();

function unpublishedOnce(track: RemoteDataTrack): Promise<void> {
  return track.waitForUnpublish();
}

describe('hostile participant updates', () => {
  test('duplicate names: both tracks are published, the name map keeps the first, and disconnect unpublishes both', async () => {
    const { room, session } = await h.connect();
    const published: RemoteDataTrack[] = [];
    room.on('dataTrackPublished' as never, ((t: RemoteDataTrack) => published.push(t)) as never);
    session.send(update(participant('bob', [{ sid: 'DTR_1', pubHandle: 1, name: 'same' }, { sid: 'DTR_2', pubHandle: 2, name: 'same' }])));
    const first = await trackNamed(room, 'bob', 'same');
    expect(first.sid).toBe('DTR_1');
    expect(published.map((t) => t.sid).sort()).toEqual(['DTR_1', 'DTR_2']);
    const second = published.find((t) => t.sid === 'DTR_2')!;
    // The first goes: the second takes the name over.
    session.send(update(participant('bob', [{ sid: 'DTR_2', pubHandle: 2, name: 'same' }], 2)));
    await unpublishedOnce(first);
    expect(room.remoteParticipants.get('bob')!.dataTracks.get('same')).toBe(second);
    await room.disconnect();
    expect(second.isPublished).toBe(false);
    expect(room.remoteParticipants.get('bob')?.dataTracks.size ?? 0).toBe(0);
    await h.expectFreshRoomWorks();
  });

  test('10,000 tracks under one name: all published, all unpublished at disconnect, nothing left', async () => {
    const { room, session } = await h.connect();
    const tracks: RemoteDataTrack[] = [];
    room.on('dataTrackPublished' as never, ((t: RemoteDataTrack) => tracks.push(t)) as never);
    let unpublished = 0;
    room.on('dataTrackUnpublished' as never, (() => unpublished++) as never);
    const list = Array.from({ length: 10_000 }, (_, i) => ({ sid: `DTR_${i}`, pubHandle: (i % 65_535) + 1, name: 'alike' }));
    session.send(update(participant('bob', list)));
    await trackNamed(room, 'bob', 'alike');
    expect(tracks).toHaveLength(10_000);
    await room.disconnect();
    expect(unpublished).toBe(10_000);
    expect(tracks.every((t) => !t.isPublished)).toBe(true);
    await h.expectFreshRoomWorks();
  });

  test('duplicate SIDs in one list: the first entry counts, in the addon and in TypeScript alike', async () => {
    const { room, session } = await h.connect();
    session.send(update(participant('bob', [{ sid: 'DTR_d', pubHandle: 1, name: 'first' }, { sid: 'DTR_d', pubHandle: 2, name: 'second' }])));
    const track = await trackNamed(room, 'bob', 'first');
    expect(track.sid).toBe('DTR_d');
    expect(room.remoteParticipants.get('bob')!.dataTracks.has('second')).toBe(false);
    // Routing agrees: a handle for DTR_d delivers to 'first'.
    await session.waitDataTrack();
    const stream = await h.subscribe(session, track, 11);
    session.sendPacket(buildPacket({ handle: 11, payload: Buffer.from('to first') }));
    expect(Buffer.from((await stream.read({ timeoutMs: 10_000 }))!.payload).toString()).toBe('to first');
  });

  test('one out-of-range pub_handle drops only that track; a later removal of a subscribed track is honoured', async () => {
    const { room, session } = await h.connect();
    session.send(
      update(
        participant('bob', [
          { sid: 'DTR_ok', pubHandle: 1, name: 'ok' },
          { sid: 'DTR_bad', pubHandle: 70_000, name: 'bad' },
          { sid: '', pubHandle: 3, name: 'no-sid' },
        ]),
      ),
    );
    const ok = await trackNamed(room, 'bob', 'ok');
    expect([...room.remoteParticipants.get('bob')!.dataTracks.keys()]).toEqual(['ok']);
    await session.waitDataTrack();
    const stream = await h.subscribe(session, ok, 5);
    session.sendPacket(buildPacket({ handle: 5, payload: Buffer.from('one') }));
    expect((await stream.read({ timeoutMs: 10_000 }))?.payload.length).toBe(3);
    // The server unpublishes 'ok' in an update that still carries the bad entry.
    session.send(update(participant('bob', [{ sid: 'DTR_bad', pubHandle: 70_000, name: 'bad' }], 2)));
    await ok.waitForUnpublish();
    expect(stream.ended).toBe(true);
    session.sendPacket(buildPacket({ handle: 5, payload: Buffer.from('late') }));
    expect(ok.stats().framesReceived).toBe(1);
    await h.expectFreshRoomWorks();
  });

  test('a rename in place (same SID, new name) is an unpublish and a publish: waitForDataTrack(newName) resolves', async () => {
    const { room, session } = await h.connect();
    session.send(update(participant('bob', [{ sid: 'DTR_r', pubHandle: 1, name: 'old' }])));
    const old = await trackNamed(room, 'bob', 'old');
    const renamed = room.remoteParticipants.get('bob')!.waitForDataTrack('new', { timeoutMs: 10_000 });
    session.send(update(participant('bob', [{ sid: 'DTR_r', pubHandle: 1, name: 'new' }], 2)));
    const track = await renamed;
    expect(track.sid).toBe('DTR_r');
    expect(old.isPublished).toBe(false);
    expect([...room.remoteParticipants.get('bob')!.dataTracks.keys()]).toEqual(['new']);
  });
});

describe('hostile handle maps and packets', () => {
  test('unknown tracks, unassigned handles, random bytes and remapped handles: frames only reach the mapped track', async () => {
    const { room, session } = await h.connect();
    session.send(update(participant('bob', [{ sid: 'DTR_a', pubHandle: 1, name: 'a' }, { sid: 'DTR_b', pubHandle: 2, name: 'b' }])));
    const a = await trackNamed(room, 'bob', 'a');
    const b = await trackNamed(room, 'bob', 'b');
    await session.waitDataTrack();
    const streamA = await h.subscribe(session, a, 20);
    const streamB = await h.subscribe(session, b, 21);
    // Handles for SIDs nobody announced, and the real ones.
    session.send(handles({ 20: { sid: 'DTR_a' }, 21: { sid: 'DTR_b' }, 22: { sid: 'DTR_ghost' }, 65_535: { sid: 'DTR_ghost2' } }));
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) & 0x7fffffff);
    for (let i = 0; i < 300; i++) session.sendPacket(Buffer.from(Array.from({ length: 1 + (random() % 64) }, () => random() & 0xff)).map((x, j) => (j === 2 || j === 3 ? 0 : x)));
    for (const handle of [22, 65_535, 999, 0]) session.sendPacket(buildPacket({ handle, payload: Buffer.from('unassigned') }));
    session.sendPacket(buildPacket({ handle: 20, payload: Buffer.from('A1') }));
    expect(Buffer.from((await streamA.read({ timeoutMs: 10_000 }))!.payload).toString()).toBe('A1');
    // Remap mid-stream: 20 now names b, and a gets 23.
    session.send(handles({ 20: { sid: 'DTR_b' }, 23: { sid: 'DTR_a' } }));
    // Signal messages are applied in order: once the next update shows, the remap is in force.
    session.send(update(participant('bob', [{ sid: 'DTR_a', pubHandle: 1, name: 'a' }, { sid: 'DTR_b', pubHandle: 2, name: 'b' }, { sid: 'DTR_s', pubHandle: 3, name: 'sync' }], 2)));
    await trackNamed(room, 'bob', 'sync');
    session.sendPacket(buildPacket({ handle: 23, payload: Buffer.from('A2'), frame: 1 }));
    expect(Buffer.from((await streamA.read({ timeoutMs: 10_000 }))!.payload).toString()).toBe('A2');
    session.sendPacket(buildPacket({ handle: 20, payload: Buffer.from('B1'), frame: 1 }));
    expect(Buffer.from((await streamB.read({ timeoutMs: 10_000 }))!.payload).toString()).toBe('B1');
    // Nothing else reached either track.
    expect(a.stats().framesReceived).toBe(2);
    expect(b.stats().framesReceived).toBe(1);
    expect(room.connectionState).toBe('connected');
    await h.expectFreshRoomWorks();
  });
});
