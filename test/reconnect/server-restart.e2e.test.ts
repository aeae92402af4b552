// The server itself goes away: it comes back on the same port (both sides rejoin), or never comes
// back (the rooms give up within their policy and reject what is pending). Against livekit-server
// the process is killed with SIGKILL, a crash with no goodbye to anyone.

import { DataTrackPublishError } from '../../lib/datatrack/errors';
import { ConnectionState } from '../../lib/room/connection-state';
import { RoomEvent } from '../../lib/room/events';
import type { Room } from '../../lib/room/room';
import { serverKinds, startTestServer, type TestServer } from '../servers/test-server';
import { TcpProxy } from '../servers/tcp-proxy';
import { connectRoom, finish, flowingTrack, nextEvent, until, warmPath } from './helpers';

jest.setTimeout(90_000);

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

/** The crash each server kind can have here; an external server cannot be restarted by a test. */
async function crashAndRestart(server: TestServer): Promise<void> {
  if (server.process) {
    await server.process.kill();
    await server.process.restart();
  } else if (server.dev) {
    // The embedded SFU lives in this process, so it cannot be SIGKILLed; its restart drops every
    // socket and forgets every room on the same port.
    await server.dev.restart();
  }
}

describe.each(serverKinds().filter((k) => k !== 'external'))('the server goes away [%s]', (kind) => {
  const rooms: Room[] = [];
  const servers: TestServer[] = [];

  beforeAll(() => process.on('unhandledRejection', onUnhandled));
  afterEach(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });
  afterAll(() => {
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });

  it('6. crash and restart on the same port: both sides rejoin, the same objects deliver again, nothing misrouted', async () => {
    const server = await startTestServer(kind);
    servers.push(server);
    const pub = await connectRoom(server, 'pub', 'restart');
    const sub = await connectRoom(server, 'sub', 'restart');
    rooms.push(pub, sub);
    await warmPath(pub, sub);
    // Two tracks: after the rejoin, a frame under the wrong handle would land on the other one.
    const f = await flowingTrack(pub, sub, 'survivor');
    const g = await flowingTrack(pub, sub, 'sibling');
    let unpublished = 0;
    sub.on(RoomEvent.DataTrackUnpublished, () => unpublished++);
    pub.on(RoomEvent.LocalDataTrackUnpublished, () => unpublished++);
    const before = { pub: pub.localParticipant.sid, sub: sub.localParticipant.sid, track: f.local.sid };

    const reconnected = Promise.all([nextEvent(pub, RoomEvent.Reconnected, 45_000), nextEvent(sub, RoomEvent.Reconnected, 45_000)]);
    await crashAndRestart(server);
    await reconnected;
    await until(() => f.remote.sid === f.local.sid && f.local.sid !== before.track, 'the subscriber to follow the republished track', 30_000);
    for (const t of [f, g]) await t.collector.receivedAfter(t.pump.seq, 30_000);

    expect(pub.localParticipant.sid).not.toBe(before.pub);
    expect(sub.localParticipant.sid).not.toBe(before.sub);
    expect(pub.localParticipant.dataTracks.get('survivor')).toBe(f.local);
    expect(pub.connectionState).toBe(ConnectionState.Connected);
    expect(sub.connectionState).toBe(ConnectionState.Connected);
    expect(f.stream.ended).toBe(false);
    expect(unpublished).toBe(0);
    for (const [label, t] of [['6 restart survivor', f], ['6 restart sibling', g]] as const) {
      const { lost, sent } = await finish(`${label} (${kind})`, t);
      expect(t.collector.bad).toEqual([]);
      expect(t.collector.duplicates()).toBe(0);
      expect(lost).toBeLessThan(sent);
    }
  });

  it('7. a server that never comes back: the room gives up within its policy and rejects what is pending', async () => {
    const server = await startTestServer(kind);
    servers.push(server);
    const policy = { maxAttempts: 4, initialDelayMs: 50, maxDelayMs: 200, maxElapsedMs: 5_000, attemptTimeoutMs: 1_000 };
    // Through a proxy: killing it makes the signal server vanish without a word (no leave).
    const proxy = await TcpProxy.start(Number(new URL(server.url).port));
    const viaProxy = { url: proxy.url, token: server.token };
    const pub = await connectRoom(viaProxy, 'pub', 'gone', { reconnectPolicy: policy });
    const sub = await connectRoom(viaProxy, 'sub', 'gone', { reconnectPolicy: policy });
    rooms.push(pub, sub);
    await warmPath(pub, sub);
    const f = await flowingTrack(pub, sub, 'doomed');
    const disconnects: unknown[] = [];
    pub.on(RoomEvent.Disconnected, (reason) => disconnects.push(reason));

    const reconnecting = nextEvent(pub, RoomEvent.Reconnecting);
    const subGone = nextEvent(sub, RoomEvent.Disconnected, 15_000);
    const startedAt = Date.now();
    await proxy.kill();
    // …and the server's peer connections go too: nothing is left to come back to.
    if (server.process) await server.process.kill();
    else await server.close();
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
    expect(disconnects).toHaveLength(1);
    await pub.disconnect();
    expect(disconnects).toHaveLength(1);
    console.log(`[reconnect] 7 server gone (${kind}): gave up after ${elapsed} ms, reason ${String(disconnects[0])}`);
  });
});
