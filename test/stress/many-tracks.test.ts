// Bounded stress, not timed (the Rust SDK's e2e case): 256 tracks published by one participant are
// all discovered by another, each under its own name and SID.

import { Room, RoomEvent, type RemoteDataTrack } from '../../lib';
import { describeEachServer } from '../servers/server-suite';

jest.setTimeout(120_000);
describeEachServer('many tracks', (s) => {

  test('256 tracks from one participant are all discovered by another', async () => {
    const rooms = await Promise.all(
      ['publisher', 'subscriber'].map(async (identity) => {
        const r = new Room({ connectTimeoutMs: 20_000 });
        s.rooms.push(r);
        await r.connect(s.server.url, await s.server.token(identity));
        return r;
      }),
    );
    const [publisher, subscriber] = rooms;
    const n = 256;
    const found = new Map<string, RemoteDataTrack>();
    const all = new Promise<void>((resolve) =>
      subscriber.on(RoomEvent.DataTrackPublished, (t) => {
        found.set(t.name, t);
        if (found.size === n) resolve();
      }),
    );
    const local = await Promise.all(Array.from({ length: n }, (_, i) => publisher.localParticipant.publishDataTrack(`track-${i}`)));
    await all;
    expect(new Set(local.map((t) => t.sid)).size).toBe(n);
    for (const t of local) expect(found.get(t.name)?.sid).toBe(t.sid);
    expect(subscriber.remoteParticipants.get('publisher')!.dataTracks.size).toBe(n);
  });
});
