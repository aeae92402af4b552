// Bounded stress, not timed: one client publishes 2,000 data tracks at once while a pair in another
// room streams. The pair must stay connected and receive every frame (before the update batching
// and request slicing, the flood froze every room of the SFU for 25 s and more).

import { DataTrackFrame, Room, RoomEvent, type RemoteDataTrack } from '../../lib';
import { describeEachServer } from '../servers/server-suite';
import { trackNamed } from '../hostile/helpers/suite';

jest.setTimeout(300_000);
describeEachServer('publish flood', (s) => {

  async function join(identity: string, room: string): Promise<Room> {
    const r = new Room({ connectTimeoutMs: 20_000 });
    s.rooms.push(r);
    await r.connect(s.server.url, await s.server.token(identity, { room }));
    return r;
  }

  test('2,000 publishes from one client: a streaming pair in another room never drops and gets every frame', async () => {
    const sender = await join('sender', 'quiet');
    const receiver = await join('receiver', 'quiet');
    const trouble: string[] = [];
    for (const r of [sender, receiver]) {
      r.on(RoomEvent.Reconnecting, () => trouble.push('reconnecting'));
      r.on(RoomEvent.Disconnected, () => trouble.push('disconnected'));
    }
    const local = await sender.localParticipant.publishDataTrack('telemetry');
    const remote: RemoteDataTrack = await trackNamed(receiver, 'sender', 'telemetry');
    const stream = await remote.subscribe({ bufferSize: 4096 });

    const flooder = await join('flooder', 'flood');
    const watcher = await join('watcher', 'flood');
    const n = 2000;
    let discovered = 0;
    const allDiscovered = new Promise<void>((resolve) =>
      watcher.on(RoomEvent.DataTrackPublished, () => {
        if (++discovered === n) resolve();
      }),
    );

    // Frames go out every 5 ms for as long as the flood lasts (and at least 200 of them).
    let sent = 0;
    let flooding = true;
    const pushed = new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        try {
          local.tryPush(DataTrackFrame.now(Buffer.from(String(sent))));
          sent++;
        } catch (err) {
          trouble.push(`push failed: ${(err as Error).message}`);
          flooding = false;
        }
        if ((!flooding && sent >= 200) || trouble.length > 0) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    // livekit-server answers a flood like this at roughly 100-200 publishes a second (every publish
    // re-sends the publisher's whole track list to the room), so each publish may wait its turn for
    // far longer than the default 10 s; the bound here is the whole flood's.
    const floodStarted = Date.now();
    const published = await Promise.all(
      Array.from({ length: n }, (_, i) => flooder.localParticipant.publishDataTrack({ name: `flood-${i}`, timeoutMs: 240_000 })),
    );
    await allDiscovered;
    console.log(`[stress] ${s.kind}: ${n} publishes answered and discovered in ${Date.now() - floodStarted} ms`);
    flooding = false;
    await pushed;

    const seen: number[] = [];
    while (seen.length < sent) {
      const frame = await stream.read({ timeoutMs: 10_000 });
      if (!frame) break;
      seen.push(Number(Buffer.from(frame.payload).toString()));
    }
    console.log(`[stress] ${s.kind}: the other room's pair received ${seen.length} of ${sent} frames sent during the flood`);
    expect(published).toHaveLength(n);
    expect(trouble).toEqual([]);
    if (s.kind === 'dev-sfu') {
      expect(seen).toEqual(Array.from({ length: sent }, (_, i) => i));
    } else {
      // livekit-server: run alone, the pair got every frame; on a loaded machine its forwarding to
      // the other room stalled for the flood (test/interop/FINDINGS.md, 10). What must hold is that
      // the pair stays connected and its track delivers again once the flood is over.
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      let after: unknown = null;
      for (let i = 0; !after && i < 200; i++) {
        local.tryPush(DataTrackFrame.now(Buffer.from(String(sent + i))));
        after = await stream.read({ timeoutMs: 50 });
      }
      expect(after).not.toBeNull();
    }
  });
});
