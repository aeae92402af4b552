// Our SDK: Room + publishDataTrack/tryPush on one side, subscribe/for-await on the other.

import { DataTrackPushError, KeyProvider, Room, RoomEvent, type RemoteDataTrack } from '../../lib';
import type { PublisherEndpoint, RowDriver, SubscriberEndpoint } from './driver';

function waitForTrack(room: Room, publisher: string, name: string): Promise<RemoteDataTrack> {
  const existing = room.remoteParticipants.get(publisher)?.dataTracks.get(name);
  if (existing) return Promise.resolve(existing);
  return new Promise((resolve) => {
    const onPublished = (track: RemoteDataTrack) => {
      if (track.publisherIdentity === publisher && track.name === name) {
        room.off(RoomEvent.DataTrackPublished, onPublished);
        resolve(track);
      }
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
      const track = await room.localParticipant.publishDataTrack(params.trackName);
      return {
        push(payload) {
          try {
            track.tryPush({ payload });
            return true;
          } catch (err) {
            if (err instanceof DataTrackPushError) return false;
            throw err;
          }
        },
        async close() {
          await track.unpublish();
          await room.disconnect();
        },
      };
    },

    async subscribers(params, _ipc, onFrame): Promise<SubscriberEndpoint> {
      const rooms: Room[] = [];
      const readers: Promise<void>[] = [];
      for (const [index, token] of params.tokens!.entries()) {
        const room = await newRoom(encrypted);
        await room.connect(params.url!, token);
        const track = await waitForTrack(room, params.publisherIdentity, params.trackName);
        const stream = await track.subscribe({ bufferSize: 1024 });
        readers.push(
          (async () => {
            for await (const frame of stream) onFrame(index, frame.payload);
          })(),
        );
        rooms.push(room);
      }
      return {
        async close() {
          await Promise.all(rooms.map((r) => r.disconnect()));
          await Promise.all(readers);
        },
      };
    },
  };
}
