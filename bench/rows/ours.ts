// Our SDK: Room + publishDataTrack/tryPush on one side, subscribe/for-await on the other.

import { DataTrackPushError, KeyProvider, Room, RoomEvent, type RemoteDataTrack } from '../../lib';
import { perTrack, sampleMemory } from '../lib/memory';
import { trackNames, type TrackMemory } from '../lib/protocol';
import type { PublisherEndpoint, RowDriver, SubscriberEndpoint } from './driver';

/** Resolves with the publisher's tracks of these names, in this order, once all are announced. */
function waitForTracks(room: Room, publisher: string, names: string[]): Promise<RemoteDataTrack[]> {
  const found = new Map<string, RemoteDataTrack>();
  for (const track of room.remoteParticipants.get(publisher)?.dataTracks.values() ?? []) found.set(track.name, track);
  const wanted = new Set(names);
  const done = () => names.every((n) => found.has(n));
  if (done()) return Promise.resolve(names.map((n) => found.get(n)!));
  return new Promise((resolve) => {
    const onPublished = (track: RemoteDataTrack) => {
      if (track.publisherIdentity !== publisher || !wanted.has(track.name)) return;
      found.set(track.name, track);
      if (!done()) return;
      room.off(RoomEvent.DataTrackPublished, onPublished);
      resolve(names.map((n) => found.get(n)!));
    };
    room.on(RoomEvent.DataTrackPublished, onPublished);
  });
}

/** The `ours-e2ee` row: the same, with a shared passphrase key (AES-GCM per frame). */
async function newRoom(encrypted: boolean): Promise<Room> {
  // BENCH_DATA_TRACKS='{"highWaterMark":65536}': try other sender settings without editing code.
  const dataTracks = process.env.BENCH_DATA_TRACKS ? JSON.parse(process.env.BENCH_DATA_TRACKS) : undefined;
  if (!encrypted) return new Room({ dataTracks });
  const keyProvider = new KeyProvider();
  await keyProvider.setSharedKey('bench-passphrase');
  return new Room({ encryption: { keyProvider }, dataTracks });
}

export const ours: RowDriver = oursRow(false);
export const oursE2ee: RowDriver = oursRow(true);

function oursRow(encrypted: boolean): RowDriver {
  return {
    async publisher(params): Promise<PublisherEndpoint> {
      const room = await newRoom(encrypted);
      await room.connect(params.url!, params.tokens![0]);
      const names = trackNames(params);
      const before = names.length > 1 ? sampleMemory() : undefined;
      const tracks = await Promise.all(names.map((name) => room.localParticipant.publishDataTrack(name)));
      const memory = before && perTrack(before, tracks.length);
      // Many tracks: frames go round-robin, so each track gets the pacer's rate / tracks.
      let next = 0;
      return {
        memory,
        push(payload) {
          const track = tracks[next];
          next = next + 1 === tracks.length ? 0 : next + 1;
          try {
            track.tryPush({ payload });
            return true;
          } catch (err) {
            if (err instanceof DataTrackPushError) return false;
            throw err;
          }
        },
        async close() {
          await Promise.all(tracks.map((t) => t.unpublish()));
          await room.disconnect();
        },
      };
    },

    async subscribers(params, _ipc, onFrame): Promise<SubscriberEndpoint> {
      const rooms: Room[] = [];
      const readers: Promise<void>[] = [];
      const names = trackNames(params);
      let memory: TrackMemory | undefined;
      for (const [index, token] of params.tokens!.entries()) {
        const room = await newRoom(encrypted);
        await room.connect(params.url!, token);
        const before = names.length > 1 ? sampleMemory() : undefined;
        const tracks = await waitForTracks(room, params.publisherIdentity, names);
        const streams = await Promise.all(tracks.map((t) => t.subscribe({ bufferSize: 1024 })));
        for (const stream of streams) {
          readers.push(
            (async () => {
              for await (const frame of stream) onFrame(index, frame.payload);
            })(),
          );
        }
        if (before) memory = perTrack(before, tracks.length);
        rooms.push(room);
      }
      return {
        memory,
        async close() {
          await Promise.all(rooms.map((r) => r.disconnect()));
          await Promise.all(readers);
        },
      };
    },
  };
}
