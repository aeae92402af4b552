// Rooms over real sockets and real WebRTC, against the development SFU and livekit-server.

import * as net from 'node:net';
import { describeEachServer } from '../servers/server-suite';
import { freeTcpPort } from '../../scripts/livekit-server/ports';
import { ConnectionState } from '../../lib/room/connection-state';
import { DisconnectReason } from '../../lib/room/disconnect-reason';
import { RoomErrorReason } from '../../lib/room/errors';
import { RoomEvent } from '../../lib/room/events';
import { ROOM_INTERNALS } from '../../lib/room/internals';
import type { RemoteParticipant } from '../../lib/room/remote-participant';
import { Room } from '../../lib/room/room';
import { ConnectError, ConnectErrorReason } from '../../lib/signal/errors';
import { rejectionOf, waitForRoomEvent, waitUntil } from './helpers/wait';

describeEachServer('Room', (suite) => {

  function newRoom(): Room {
    const room = new Room({ connectTimeoutMs: 10_000 });
    suite.rooms.push(room);
    return room;
  }

  async function join(identity: string, roomName = 'e2e'): Promise<Room> {
    const room = newRoom();
    await room.connect(suite.server.url, await suite.server.token(identity, { room: roomName }));
    return room;
  }

  it('connects: state changes, connected event, room and local participant filled in', async () => {
    const room = newRoom();
    const states: ConnectionState[] = [];
    let connectedEvents = 0;
    room.on(RoomEvent.ConnectionStateChanged, (s) => states.push(s));
    room.on(RoomEvent.Connected, () => connectedEvents++);
    expect(room.connectionState).toBe(ConnectionState.Disconnected);

    await room.connect(suite.server.url, await suite.server.token('alice', { room: 'basic', name: 'Alice', metadata: 'm' }));

    expect(states).toEqual([ConnectionState.Connecting, ConnectionState.Connected]);
    expect(connectedEvents).toBe(1);
    expect(room.connectionState).toBe(ConnectionState.Connected);
    expect(room.name).toBe(suite.server.roomName('basic'));
    expect(room.sid).toMatch(/^RM_/);
    expect(room.localParticipant.identity).toBe('alice');
    expect(room.localParticipant.sid).toMatch(/^PA_/);
    expect(room.localParticipant.name).toBe('Alice');
    expect(room.localParticipant.metadata).toBe('m');
    expect(room.localParticipant.permissions?.canPublishData).toBe(true);
    expect(room.remoteParticipants.size).toBe(0);
    const host = room[ROOM_INTERNALS].host;
    expect(host.isConnected()).toBe(true);
    expect(host.dataTrackChannel()?.isOpen).toBe(true);
    await host.waitUntilReady();
  });

  it('two rooms see each other: existing participants listed, newcomers announced', async () => {
    const alice = await join('alice', 'pair');
    const announced = waitForRoomEvent(alice, RoomEvent.ParticipantConnected);
    const bob = await join('bob', 'pair');

    const [p] = await announced;
    expect(p.identity).toBe('bob');
    expect(p.sid).toBe(bob.localParticipant.sid);
    expect(alice.remoteParticipants.get('bob')).toBe(p);
    // Bob found Alice in the join response, without an event.
    expect(bob.remoteParticipants.get('alice')?.sid).toBe(alice.localParticipant.sid);
    expect(bob.remoteParticipants.has('bob')).toBe(false);
  });

  it('three and more rooms: everyone sees everyone else', async () => {
    const identities = ['p1', 'p2', 'p3', 'p4'];
    const joined: Room[] = [];
    for (const id of identities) joined.push(await join(id, 'many'));
    for (const [i, room] of joined.entries()) {
      const others = identities.filter((_, j) => j !== i).sort();
      await waitUntil(() => room.remoteParticipants.size === others.length, `${identities[i]} sees ${others}`);
      expect([...room.remoteParticipants.keys()].sort()).toEqual(others);
    }
  });

  it('announces a participant leaving and disconnects the leaver cleanly', async () => {
    const alice = await join('alice', 'leave');
    const bob = await join('bob', 'leave');
    await waitUntil(() => alice.remoteParticipants.has('bob'), 'alice sees bob');
    const bobAsSeen = alice.remoteParticipants.get('bob');

    const left = waitForRoomEvent(alice, RoomEvent.ParticipantDisconnected);
    const bobStates: ConnectionState[] = [];
    bob.on(RoomEvent.ConnectionStateChanged, (s) => bobStates.push(s));
    const bobDisconnected = waitForRoomEvent(bob, RoomEvent.Disconnected);
    await bob.disconnect();

    expect((await bobDisconnected)[0]).toBe(DisconnectReason.ClientInitiated);
    expect(bobStates).toEqual([ConnectionState.Disconnected]);
    expect(bob.connectionState).toBe(ConnectionState.Disconnected);
    expect(bob.remoteParticipants.size).toBe(0);
    expect(bob[ROOM_INTERNALS].host.dataTrackChannel()).toBeNull();

    const [gone] = await left;
    expect(gone).toBe(bobAsSeen);
    expect(alice.remoteParticipants.has('bob')).toBe(false);
  });

  it('disconnect() is safe before connect, twice, and concurrently', async () => {
    const never = newRoom();
    await never.disconnect();
    expect(never.connectionState).toBe(ConnectionState.Disconnected);

    const room = await join('twice', 'twice');
    let events = 0;
    room.on(RoomEvent.Disconnected, () => events++);
    await Promise.all([room.disconnect(), room.disconnect()]);
    await room.disconnect();
    expect(events).toBe(1);
    expect(room.connectionState).toBe(ConnectionState.Disconnected);
    await expect(room[ROOM_INTERNALS].host.waitUntilReady()).rejects.toMatchObject({ reason: RoomErrorReason.NotConnected });
  });

  it('a room can connect again after disconnecting', async () => {
    const room = await join('again', 'again');
    const firstSid = room.localParticipant.sid;
    await room.disconnect();
    await room.connect(suite.server.url, await suite.server.token('again', { room: 'again' }));
    expect(room.connectionState).toBe(ConnectionState.Connected);
    expect(room.localParticipant.sid).toMatch(/^PA_/);
    expect(room.localParticipant.sid).not.toBe(firstSid);
  });

  it('rejects connect() while already connected', async () => {
    const room = await join('busy', 'busy');
    const err = await rejectionOf(room.connect(suite.server.url, await suite.server.token('busy', { room: 'busy' })));
    expect(err).toMatchObject({ reason: RoomErrorReason.InvalidState });
    expect(room.connectionState).toBe(ConnectionState.Connected);
  });

  it('a bad token fails with ConnectError unauthorized (401) and leaves the room reusable', async () => {
    const room = newRoom();
    const states: ConnectionState[] = [];
    room.on(RoomEvent.ConnectionStateChanged, (s) => states.push(s));
    const good = await suite.server.token('mallory', { room: 'auth' });
    const [header, payload] = good.split('.');
    const forged = `${header}.${payload}.${Buffer.alloc(32, 7).toString('base64url')}`;

    const err = await rejectionOf(room.connect(suite.server.url, forged));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).reason).toBe(ConnectErrorReason.Unauthorized);
    expect((err as ConnectError).httpStatus).toBe(401);
    expect((err as ConnectError).message.length).toBeGreaterThan(0);
    expect(states).toEqual([ConnectionState.Connecting, ConnectionState.Disconnected]);

    const expired = await rejectionOf(room.connect(suite.server.url, await suite.server.token('mallory', { room: 'auth', ttl: -120 })));
    expect(expired).toMatchObject({ reason: ConnectErrorReason.Unauthorized, httpStatus: 401 });

    await room.connect(suite.server.url, good);
    expect(room.connectionState).toBe(ConnectionState.Connected);
  });

  it('a closed port fails fast with serverUnreachable', async () => {
    const port = await freeTcpPort();
    const room = newRoom();
    const started = Date.now();
    const err = await rejectionOf(room.connect(`ws://127.0.0.1:${port}`, await suite.server.token('x')));
    expect(err).toMatchObject({ reason: ConnectErrorReason.ServerUnreachable });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(room.connectionState).toBe(ConnectionState.Disconnected);
  });

  it('an AbortSignal cancels connect, before or while it runs', async () => {
    const token = await suite.server.token('abort', { room: 'abort' });
    const room = newRoom();
    const pre = await rejectionOf(room.connect(suite.server.url, token, { signal: AbortSignal.abort() }));
    expect(pre).toMatchObject({ reason: ConnectErrorReason.Cancelled });
    expect(room.connectionState).toBe(ConnectionState.Disconnected);

    const controller = new AbortController();
    room.once(RoomEvent.ConnectionStateChanged, (s) => {
      if (s === ConnectionState.Connecting) controller.abort(new Error('changed my mind'));
    });
    const during = await rejectionOf(room.connect(suite.server.url, token, { signal: controller.signal }));
    expect(during).toBeInstanceOf(ConnectError);
    expect((during as ConnectError).reason).toBe(ConnectErrorReason.Cancelled);
    expect((during as ConnectError).message).toContain('changed my mind');
    expect(room.connectionState).toBe(ConnectionState.Disconnected);

    // Late abort after success does nothing.
    const late = new AbortController();
    await room.connect(suite.server.url, token, { signal: late.signal });
    late.abort();
    expect(room.connectionState).toBe(ConnectionState.Connected);
  });

  it('disconnect() during connect cancels it', async () => {
    const room = newRoom();
    const connecting = room.connect(suite.server.url, await suite.server.token('hasty', { room: 'hasty' }));
    await room.disconnect();
    expect(await rejectionOf(connecting)).toMatchObject({ reason: ConnectErrorReason.Cancelled });
    expect(room.connectionState).toBe(ConnectionState.Disconnected);
  });

  it('the connect timeout applies to the whole connect', async () => {
    // A TCP listener that never answers the upgrade.
    const silent = net.createServer(() => {});
    const sockets = new Set<net.Socket>();
    silent.on('connection', (s) => sockets.add(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const room = new Room({ connectTimeoutMs: 300 });
      suite.rooms.push(room);
      const port = (silent.address() as net.AddressInfo).port;
      const err = await rejectionOf(room.connect(`ws://127.0.0.1:${port}`, 'x.y.z'));
      expect(err).toMatchObject({ reason: ConnectErrorReason.Timeout });
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise((r) => silent.close(r));
    }
  });

  it('a server leave (duplicate identity) disconnects with the server reason', async () => {
    const first = await join('dup', 'dup');
    const disconnected = waitForRoomEvent(first, RoomEvent.Disconnected);
    const second = await join('dup', 'dup');
    expect((await disconnected)[0]).toBe(DisconnectReason.DuplicateIdentity);
    expect(first.connectionState).toBe(ConnectionState.Disconnected);
    expect(second.connectionState).toBe(ConnectionState.Connected);
  });
});
