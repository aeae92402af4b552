// The SFU itself goes away: it restarts on the same port (both sides rejoin), or never comes back
// (the rooms give up within their policy and reject what is pending).

import { DevServer } from '../../lib/dev-server';
import { DataTrackPublishError } from '../../lib/datatrack/errors';
import { ConnectionState } from '../../lib/room/connection-state';
import { RoomEvent } from '../../lib/room/events';
import type { Room } from '../../lib/room/room';
import { connectRoom, finish, flowingTrack, nextEvent, TcpRelay, until, warmPath } from './helpers';

jest.setTimeout(90_000);

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

describe('the SFU goes away', () => {
  const rooms: Room[] = [];
  const servers: DevServer[] = [];

  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  it('6. dev-server restart on the same port: both sides rejoin and the same stream delivers again', async () => {
    const server = await DevServer.start({ port: 0 });
    servers.push(server);
    const pub = await connectRoom(server, 'pub', 'restart');
    const sub = await connectRoom(server, 'sub', 'restart');
    rooms.push(pub, sub);
    await warmPath(pub, sub);
    const f = await flowingTrack(pub, sub, 'survivor');
    let unpublished = 0;
    sub.on(RoomEvent.DataTrackUnpublished, () => unpublished++);
    pub.on(RoomEvent.LocalDataTrackUnpublished, () => unpublished++);
    const before = { pub: pub.localParticipant.sid, sub: sub.localParticipant.sid, track: f.local.sid };

    const reconnected = Promise.all([nextEvent(pub, RoomEvent.Reconnected, 30_000), nextEvent(sub, RoomEvent.Reconnected, 30_000)]);
    await server.restart();
    await reconnected;
    await until(() => f.remote.sid === f.local.sid && f.local.sid !== before.track, 'the subscriber to follow the republished track', 20_000);
    const mark = f.pump.seq;
    await f.collector.receivedAfter(mark, 20_000);

    expect(pub.localParticipant.sid).not.toBe(before.pub);
    expect(sub.localParticipant.sid).not.toBe(before.sub);
    expect(pub.connectionState).toBe(ConnectionState.Connected);
    expect(sub.connectionState).toBe(ConnectionState.Connected);
    expect(f.stream.ended).toBe(false);
    expect(unpublished).toBe(0);
    const { lost, sent } = await finish('6 server restart', f);
    expect(f.collector.bad).toEqual([]);
    expect(lost).toBeLessThan(sent);
  });

  it('7. a server that never comes back: the room gives up within its policy and rejects what is pending', async () => {
    const server = await DevServer.start({ port: 0 });
    servers.push(server);
    const policy = { maxAttempts: 4, initialDelayMs: 50, maxDelayMs: 200, maxElapsedMs: 5_000, attemptTimeoutMs: 1_000 };
    // Through a relay: killing it makes the signal server vanish without a word (no leave).
    const relay = await TcpRelay.start(server.port);
    const viaRelay = { url: relay.url, token: server.token.bind(server) } as unknown as DevServer;
    const pub = await connectRoom(viaRelay, 'pub', 'gone', { reconnectPolicy: policy });
    const sub = await connectRoom(viaRelay, 'sub', 'gone', { reconnectPolicy: policy });
    rooms.push(pub, sub);
    await warmPath(pub, sub);
    const f = await flowingTrack(pub, sub, 'doomed');
    const disconnects: unknown[] = [];
    pub.on(RoomEvent.Disconnected, (reason) => disconnects.push(reason));

    const reconnecting = nextEvent(pub, RoomEvent.Reconnecting);
    const subGone = nextEvent(sub, RoomEvent.Disconnected, 15_000);
    const startedAt = Date.now();
    await relay.kill();
    // …and the SFU's peer connections go too: nothing is left to come back to.
    await server.close();
    await reconnecting;
    const publishing = pub.localParticipant.publishDataTrack('during-outage');
    const err = await publishing.then(
      () => new Error('publish should have failed'),
      (e: unknown) => e,
    );
    const elapsed = Date.now() - startedAt;
    expect(err).toBeInstanceOf(DataTrackPublishError);
    expect((err as DataTrackPublishError).reason).toBe('disconnected');
    await until(() => pub.connectionState === ConnectionState.Disconnected, 'the publisher to give up');
    await subGone;
    await f.collector.done;
    expect(f.stream.endReason).toBe('disconnected');
    expect(f.local.isPublished).toBe(false);
    // 4 attempts of at most 1 s plus backoff well under 5 s, with slack for a loaded machine.
    expect(elapsed).toBeLessThan(8_000);
    f.pump.stop();
    // Pushing after the room gave up fails as unpublished; nothing else is thrown.
    expect(disconnects).toHaveLength(1);
    await pub.disconnect();
    expect(disconnects).toHaveLength(1);
    console.log(`[reconnect] 7 server gone: gave up after ${elapsed} ms, reason ${String(disconnects[0])}`);
  });
});
