// Per-test hostile server plus the checks every hostile case ends with: no unhandled rejection, no
// uncaught exception, and a fresh Room that connects, discovers, subscribes and receives a frame
// through the same server afterwards.

import { Room, RoomEvent } from '../../../lib';
import type { DataTrackStream } from '../../../lib/datatrack/frame-stream';
import type { RemoteDataTrack } from '../../../lib/datatrack/remote-track';
import { buildPacket } from '../../dev-server/helpers/dtp';
import { HostileServer, handles, participant, type HostileSession, type JoinScript } from './hostile-server';

export interface HostileSuite {
  readonly server: HostileServer;
  /** Connects a Room (disconnected after the test) and returns it with its server-side session. */
  connect(script?: JoinScript, identity?: string): Promise<{ room: Room; session: HostileSession }>;
  /** Subscribes through the scripted server: the handle is assigned once the SDK asks. */
  subscribe(session: HostileSession, track: RemoteDataTrack, handle: number): Promise<DataTrackStream>;
  /** A new Room against the same server still works end to end. */
  expectFreshRoomWorks(): Promise<void>;
}

/** The track `identity` publishes as `name`, now or once it is announced (bounded). */
export function trackNamed(room: Room, identity: string, name: string, timeoutMs = 10_000): Promise<RemoteDataTrack> {
  const existing = room.remoteParticipants.get(identity)?.dataTracks.get(name);
  if (existing) return Promise.resolve(existing);
  return new Promise((resolve, reject) => {
    const listener = (track: RemoteDataTrack) => {
      if (track.publisherIdentity !== identity || track.name !== name) return;
      clearTimeout(timer);
      room.off(RoomEvent.DataTrackPublished, listener);
      resolve(track);
    };
    const timer = setTimeout(() => {
      room.off(RoomEvent.DataTrackPublished, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${identity}'s '${name}'`));
    }, timeoutMs);
    room.on(RoomEvent.DataTrackPublished, listener);
  });
}

export function hostileSuite(): HostileSuite {
  let server: HostileServer | undefined;
  const rooms: Room[] = [];
  const failures: unknown[] = [];
  const onFailure = (reason: unknown) => failures.push(reason);

  beforeEach(async () => {
    process.on('unhandledRejection', onFailure);
    process.on('uncaughtException', onFailure);
    server = await HostileServer.start();
  });
  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
    await server?.close();
    process.off('unhandledRejection', onFailure);
    process.off('uncaughtException', onFailure);
    expect(failures.splice(0)).toEqual([]);
  });

  const suite: HostileSuite = {
    get server() {
      if (!server) throw new Error('the hostile server starts in beforeEach');
      return server;
    },
    async connect(script = {}, identity = 'alice') {
      suite.server.script = script;
      const room = new Room({ connectTimeoutMs: 10_000 });
      rooms.push(room);
      const session = suite.server.nextSession();
      await room.connect(suite.server.url, await suite.server.token(identity));
      return { room, session: await session };
    },
    async subscribe(session, track, handle) {
      const stream = track.subscribe({ timeoutMs: 10_000 });
      await session.waitFor((r) => r.message.case === 'updateDataSubscription' && r.message.value.updates.some((u) => u.trackSid === track.sid && u.subscribe), 'a subscription');
      session.send(handles({ [handle]: { sid: track.sid, publisher: track.publisherIdentity } }));
      return stream;
    },
    async expectFreshRoomWorks() {
      const { room, session } = await suite.connect({ others: [participant('carol', [{ sid: 'DTR_fresh', pubHandle: 1, name: 'fresh' }])] }, 'fresh');
      const track = await trackNamed(room, 'carol', 'fresh');
      await session.waitDataTrack();
      const stream = await suite.subscribe(session, track, 9);
      session.sendPacket(buildPacket({ handle: 9, payload: Buffer.from('still works') }));
      const frame = await stream.read({ timeoutMs: 10_000 });
      expect(Buffer.from(frame!.payload).toString()).toBe('still works');
      await room.disconnect();
    },
  };
  return suite;
}
