// The Room's side of the data-track contract (lib/datatrack/host.ts), with a recording listener
// in place of the data-track controller, against the dev SFU over real WebRTC.

import {
  JoinResponse,
  ParticipantInfo,
  PublishDataTrackRequest,
  RequestResponse_Reason,
  UpdateDataSubscription,
  UpdateDataSubscription_Update,
  type PublishDataTrackResponse,
  type SignalResponse,
} from '@livekit/protocol';
import { DevServer } from '../../lib/dev-server';
import type { DataTrackHostListener } from '../../lib/datatrack/host';
import { ROOM_INTERNALS } from '../../lib/room/internals';
import { Room } from '../../lib/room/room';
import { Condition } from '../helpers/condition';

type Msg = SignalResponse['message'];

class Recorder implements DataTrackHostListener {
  readonly joins: JoinResponse[] = [];
  readonly infos: ParticipantInfo[] = [];
  readonly left: string[] = [];
  readonly responses: Msg[] = [];
  readonly packets: Uint8Array[] = [];
  channelOpens = 0;
  disconnects: string[] = [];
  private readonly changes = new Condition();

  onJoined(join: JoinResponse): void {
    this.joins.push(join);
    this.changes.wake();
  }
  onRemoteParticipantInfo(info: ParticipantInfo): void {
    this.infos.push(info);
    this.changes.wake();
  }
  onRemoteParticipantLeft(identity: string): void {
    this.left.push(identity);
    this.changes.wake();
  }
  onSignalResponse(message: Msg): void {
    this.responses.push(message);
    this.changes.wake();
  }
  onDataTrackMessage(packet: Uint8Array): void {
    this.packets.push(Uint8Array.from(packet));
    this.changes.wake();
  }
  onChannelOpen(): void {
    this.channelOpens++;
    this.changes.wake();
  }
  syncStatePublishedTracks(): PublishDataTrackResponse[] {
    return [];
  }
  onResumed(): void {}
  onRestarting(): void {}
  onDisconnected(reason: string): void {
    this.disconnects.push(reason);
    this.changes.wake();
  }

  until<T>(find: () => T | undefined | false, what: string, timeoutMs = 10_000): Promise<T> {
    return this.changes.until(find, what, timeoutMs);
  }
}

/** A Room whose data-track facts go to a Recorder instead of its controller. */
function recordingRoom(): { room: Room; recorder: Recorder } {
  const room = new Room();
  const recorder = new Recorder();
  room[ROOM_INTERNALS].replaceDataTrackListener(recorder);
  return { room, recorder };
}

/** A single-packet DTP frame (S and F set) for `handle`. */
function packet(handle: number, sequence: number, payload: number[]): Uint8Array {
  const p = new Uint8Array(12 + payload.length);
  const v = new DataView(p.buffer);
  p[0] = 0x18;
  v.setUint16(2, handle);
  v.setUint16(4, sequence);
  v.setUint16(6, sequence);
  v.setUint32(8, 90_000);
  p.set(payload, 12);
  return p;
}

describe('Room as DataTrackHost', () => {
  let server: DevServer;
  const rooms: Room[] = [];

  beforeAll(async () => {
    server = await DevServer.start({ port: 0 });
  });
  afterAll(async () => {
    await Promise.all(rooms.map((r) => r.disconnect()));
    await server.close();
  });

  it('routes join, participants, data-track responses and packets both ways', async () => {
    const { room: alice, recorder: a } = recordingRoom();
    rooms.push(alice);
    const host = alice[ROOM_INTERNALS].host;
    expect(host.isConnected()).toBe(false);
    expect(host.dataTrackChannel()).toBeNull();

    await alice.connect(server.url, await server.token('alice', { room: 'dt' }));
    expect(a.joins).toHaveLength(1);
    expect(a.joins[0].participant?.identity).toBe('alice');
    expect(host.localIdentity()).toBe('alice');
    expect(host.isConnected()).toBe(true);
    expect(host.isReconnecting()).toBe(false);
    await a.until(() => a.channelOpens === 1, 'alice channel open');

    const { room: bob, recorder: b } = recordingRoom();
    rooms.push(bob);
    await bob.connect(server.url, await server.token('bob', { room: 'dt' }));
    await b.until(() => b.channelOpens === 1, 'bob channel open');
    expect(b.infos.map((i) => i.identity)).toContain('alice');
    await a.until(() => a.infos.find((i) => i.identity === 'bob'), 'alice told about bob');
    // The local participant never reaches the listener as a remote.
    expect(a.infos.some((i) => i.identity === 'alice')).toBe(false);
    expect(b.infos.some((i) => i.identity === 'bob')).toBe(false);

    // Publish: the response comes back through onSignalResponse.
    host.sendSignal({ case: 'publishDataTrackRequest', value: new PublishDataTrackRequest({ pubHandle: 1, name: 'telemetry' }) });
    const published = await a.until(
      () => a.responses.find((m) => m.case === 'publishDataTrackResponse'),
      'publish response',
    );
    const trackSid = published.case === 'publishDataTrackResponse' ? published.value.info!.sid : '';
    expect(trackSid).toMatch(/^DTR_/);

    // Errors arrive as request_response, also through onSignalResponse.
    host.sendSignal({ case: 'publishDataTrackRequest', value: new PublishDataTrackRequest({ pubHandle: 1, name: 'again' }) });
    const refused = await a.until(() => a.responses.find((m) => m.case === 'requestResponse'), 'request response');
    expect(refused.case === 'requestResponse' && refused.value.reason).toBe(RequestResponse_Reason.DUPLICATE_HANDLE);

    // Bob learns about the track from alice's info and subscribes.
    await b.until(
      () => b.infos.find((i) => i.identity === 'alice' && i.dataTracks.some((t) => t.sid === trackSid)),
      'publication in alice info',
    );
    bob[ROOM_INTERNALS].host.sendSignal({
      case: 'updateDataSubscription',
      value: new UpdateDataSubscription({ updates: [new UpdateDataSubscription_Update({ trackSid, subscribe: true })] }),
    });
    const handles = await b.until(
      () => b.responses.find((m) => m.case === 'dataTrackSubscriberHandles' && Object.keys(m.value.subHandles).length > 0),
      'subscriber handles',
    );
    const subHandle = Number(
      Object.entries(handles.case === 'dataTrackSubscriberHandles' ? handles.value.subHandles : {}).find(
        ([, t]) => t.trackSid === trackSid,
      )![0],
    );

    // Alice's packet reaches bob's listener with only the handle rewritten.
    const channel = host.dataTrackChannel()!;
    expect(channel.isOpen).toBe(true);
    expect(channel.bufferedAmount).toBeGreaterThanOrEqual(0);
    const payload = [1, 2, 3, 4, 5];
    expect(channel.send(packet(1, 7, payload))).toBe(true);
    const got = await b.until(() => b.packets[0], 'forwarded packet');
    expect(Buffer.from(got).toString('hex')).toBe(Buffer.from(packet(subHandle, 7, payload)).toString('hex'));

    // Bob leaving: alice's listener hears it; bob's listener is told the room ended.
    await bob.disconnect();
    await a.until(() => a.left.includes('bob'), 'bob left');
    expect(b.disconnects).toEqual(['clientInitiated']);
    expect(bob[ROOM_INTERNALS].host.dataTrackChannel()).toBeNull();
    await expect(bob[ROOM_INTERNALS].host.waitUntilReady()).rejects.toMatchObject({ reason: 'notConnected' });
  });

  it('waitUntilReady resolves on connect, honours its AbortSignal, and rejects on disconnect', async () => {
    const { room, recorder } = recordingRoom();
    rooms.push(room);
    const host = room[ROOM_INTERNALS].host;
    const connecting = room.connect(server.url, await server.token('ready', { room: 'ready' }));
    const ready = host.waitUntilReady();
    const aborted = host.waitUntilReady(AbortSignal.abort());
    await connecting;
    await ready;
    await expect(aborted).rejects.toMatchObject({ reason: 'cancelled' });
    await room.disconnect();
    expect(recorder.disconnects).toEqual(['clientInitiated']);
  });
});
