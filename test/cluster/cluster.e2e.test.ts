// Scale-out on the real engine: two livekit-server nodes sharing a Redis, clients behind a
// round-robin TCP balancer (as a load balancer would stand in front of a cluster). Frames cross
// nodes; the node one participant's signal goes through is killed with SIGKILL, and it resumes
// through the surviving one.

import * as fs from 'node:fs';
import { mintToken } from '../../lib/dev-server/auth';
import { ConnectionState } from '../../lib/room/connection-state';
import { RoomEvent } from '../../lib/room/events';
import type { Room } from '../../lib/room/room';
import { builtLivekitServer } from '../../scripts/livekit-server/build';
import { LivekitServerProcess } from '../../scripts/livekit-server/process';
import { RedisProcess, redisAvailable } from '../../scripts/livekit-server/redis';
import { connectRoom, finish, flowingTrack, nextEvent, until, warmPath } from '../reconnect/helpers';
import { TcpProxy } from '../servers/tcp-proxy';

jest.setTimeout(120_000);

const binary = builtLivekitServer();
const redis = redisAvailable();
const required = Boolean(process.env.LIVEKIT_SERVER_REQUIRED);
if ((!binary || !redis) && required) throw new Error(`the cluster suite needs ${!binary ? 'livekit-server' : 'redis-server'} (LIVEKIT_SERVER_REQUIRED is set)`);
if (!binary || !redis) console.log(`cluster suite skipped: ${!binary ? 'livekit-server is not built' : 'redis-server is not installed (apt-get install redis-server)'}`);

/** Which node hosts `room`: the one whose log shows its RTC sessions (signal-only nodes do not). */
function hostOf(nodes: LivekitServerProcess[], room: string): LivekitServerProcess | undefined {
  return nodes.find((n) => fs.readFileSync(n.logPath, 'utf8').split('\n').some((l) => l.includes('starting RTC session') && l.includes(`"room": "${room}"`)));
}

(binary && redis ? describe : describe.skip)('a two-node livekit-server cluster on one Redis', () => {
  let store: RedisProcess;
  let nodes: LivekitServerProcess[] = [];
  let balancer: TcpProxy;
  const rooms: Room[] = [];

  beforeAll(async () => {
    store = await RedisProcess.start();
    nodes = [
      await LivekitServerProcess.start({ binary: binary!, redisAddress: store.address }),
      await LivekitServerProcess.start({ binary: binary!, redisAddress: store.address }),
    ];
    let next = 0;
    balancer = await TcpProxy.start(() => {
      // Round robin over the nodes still running: a dead node takes no new connections.
      const live = nodes.filter((n) => n.running);
      return live[next++ % live.length].ports.http;
    });
  });
  afterAll(async () => {
    await Promise.all(rooms.splice(0).map((r) => r.disconnect()));
    await balancer?.kill();
    await Promise.all(nodes.map((n) => n.stop()));
    await store?.stop();
  });

  it('publisher and subscriber on different nodes exchange frames; killing one node, its participant resumes through the other', async () => {
    const [a] = nodes;
    const endpoint = { url: balancer.url, token: (identity: string, grants = {}) => mintToken(a.apiKey, a.apiSecret, identity, grants) };
    // The balancer alternates: the publisher's signal goes through one node, the subscriber's through the other.
    const pub = await connectRoom(endpoint, 'pub', 'cluster');
    const sub = await connectRoom(endpoint, 'sub', 'cluster');
    rooms.push(pub, sub);
    await warmPath(pub, sub);
    const f = await flowingTrack(pub, sub, 'telemetry');

    const host = hostOf(nodes, 'cluster');
    expect(host).toBeDefined();
    const other = nodes.find((n) => n !== host)!;
    // Whoever's signal went through the node that does not host the room loses it with that node.
    const victim = host === nodes[0] ? sub : pub;
    const before = { sid: victim.localParticipant.sid, track: f.local.sid };
    const reconnected = nextEvent(victim, RoomEvent.Reconnected, 45_000);
    await other.kill();
    await reconnected;
    const mark = f.pump.seq;
    await f.collector.receivedAfter(mark, 30_000);

    expect(victim.connectionState).toBe(ConnectionState.Connected);
    expect(victim.localParticipant.sid).toBe(before.sid); // resumed, not rejoined
    expect(f.local.sid).toBe(before.track);
    expect(f.stream.ended).toBe(false);
    const { lost, sent } = await finish(`cluster, ${victim === pub ? 'publisher' : 'subscriber'}'s node killed`, f);
    expect(f.collector.bad).toEqual([]);
    expect(lost).toBeLessThan(sent);
    await until(() => sub.remoteParticipants.has('pub'), 'the subscriber to still see the publisher');
  });
});
