// A server that sends garbage, truncated, JSON or absurd signal messages: the SDK keeps the
// session, drops what it cannot use with a typed warning, and clamps what it must not obey.

import { type Ping, SignalResponse } from '@livekit/protocol';
import { SIGNAL_PROTOCOL_WARNING_CODE, SignalProtocolError, SignalProtocolErrorReason } from '../../lib';
import { effectivePingSettings } from '../../lib/signal/ping';
import { buildPacket } from '../dev-server/helpers/dtp';
import { participant, update } from './helpers/hostile-server';
import { hostileSuite, trackNamed } from './helpers/suite';

const h = hostileSuite();

describe('hostile signal messages', () => {
  test('garbage, truncated and empty messages are dropped with one typed warning; the session goes on', async () => {
    // Jest's process object is not the one 'warning' listeners live on: watch the call itself.
    const emitted = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const { room, session } = await h.connect();
      const valid = new SignalResponse({ message: update(participant('bob', [{ sid: 'DTR_1', pubHandle: 1, name: 'a' }])) }).toBinary();
      session.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
      session.sendRaw(valid.subarray(0, valid.length - 3)); // truncated
      session.sendRaw('definitely { not json');
      session.sendRaw(new Uint8Array(0));
      for (let i = 0; i < 200; i++) session.sendRaw(Buffer.from([0x0a, 0x80 + (i % 100), 0xff]));
      session.sendRaw(valid);
      const track = await trackNamed(room, 'bob', 'a');
      expect(track.sid).toBe('DTR_1');
      const typed = emitted.mock.calls.map((c) => c[0]).filter((x) => x instanceof SignalProtocolError) as SignalProtocolError[];
      expect(typed).toHaveLength(1);
      expect(typed[0].reason).toBe(SignalProtocolErrorReason.Undecodable);
      expect(typed[0].code).toBe(SIGNAL_PROTOCOL_WARNING_CODE);
      expect(room.connectionState).toBe('connected');
    } finally {
      emitted.mockRestore();
    }
    await h.expectFreshRoomWorks();
  });

  test('a JSON (text) participant update is understood like the binary one', async () => {
    const { room, session } = await h.connect();
    session.sendRaw(new SignalResponse({ message: update(participant('bob', [{ sid: 'DTR_j', pubHandle: 4, name: 'json' }])) }).toJsonString());
    const track = await trackNamed(room, 'bob', 'json');
    expect(track.sid).toBe('DTR_j');
  });

  test('a server that answers everything in JSON, join included: connect, discovery and frames work', async () => {
    const { room, session } = await h.connect({ json: true, others: [participant('bob', [{ sid: 'DTR_J', pubHandle: 1, name: 'all-json' }])] });
    const track = await trackNamed(room, 'bob', 'all-json');
    await session.waitDataTrack();
    const stream = await h.subscribe(session, track, 3);
    session.sendPacket(buildPacket({ handle: 3, payload: Buffer.from('json era') }));
    expect(Buffer.from((await stream.read({ timeoutMs: 10_000 }))!.payload).toString()).toBe('json era');
  });

  test('contradictory updates: an older version, then a newer one from a replaced SID, never resurrect a track', async () => {
    const { room, session } = await h.connect();
    session.send(update(participant('bob', [{ sid: 'DTR_a', pubHandle: 1, name: 'a' }], 5)));
    const a = await trackNamed(room, 'bob', 'a');
    // Removed in version 6, then a stale version 4 lists it again, then version 7 confirms the removal.
    session.send(update(participant('bob', [], 6)));
    await a.waitForUnpublish();
    session.send(update(participant('bob', [{ sid: 'DTR_a', pubHandle: 1, name: 'a' }], 4)));
    session.send(update(participant('bob', [{ sid: 'DTR_b', pubHandle: 2, name: 'b' }], 7)));
    await trackNamed(room, 'bob', 'b');
    expect([...room.remoteParticipants.get('bob')!.dataTracks.keys()]).toEqual(['b']);
    expect(a.isPublished).toBe(false);
    await h.expectFreshRoomWorks();
  });

  test('ping_interval and ping_timeout of 2^31-1 s are clamped: no timer overflow, no ping storm, connect succeeds', async () => {
    {
      const { room, session } = await h.connect({ pingInterval: 2 ** 31 - 1, pingTimeout: 2 ** 31 - 1 });
      // A round trip through the session proves it has been up for a while of loop turns.
      session.send(update(participant('bob', [{ sid: 'DTR_p', pubHandle: 1, name: 'p' }])));
      await trackNamed(room, 'bob', 'p');
      expect(room.connectionState).toBe('connected');
      // An overflowed interval fires every millisecond (3,650 pings in 2 s before the fix).
      expect(session.count('pingReq')).toBeLessThanOrEqual(1);
    }
  });

  test('clamping keeps sane values as sent and bounds absurd ones', () => {
    expect(effectivePingSettings(5, 15)).toEqual({ intervalSec: 5, timeoutSec: 15 });
    expect(effectivePingSettings(0, 0)).toEqual({ intervalSec: 0, timeoutSec: 0 });
    expect(effectivePingSettings(2 ** 31 - 1, 2 ** 31 - 1)).toEqual({ intervalSec: 300, timeoutSec: 600 });
    // A timeout shorter than the interval would drop every idle session: it gets two intervals.
    expect(effectivePingSettings(10, 1)).toEqual({ intervalSec: 10, timeoutSec: 20 });
    expect(effectivePingSettings(-5, 15)).toEqual({ intervalSec: 0, timeoutSec: 15 });
  });

  test('a ping_timeout of 1 s no longer fails the session before its first pong', async () => {
    const { room, session } = await h.connect({ pingInterval: 1, pingTimeout: 1 });
    // The server answers pings: with the timeout raised to 2 intervals the session stays up.
    const answered = new Set<bigint>();
    const answer = async () => {
      for (;;) {
        const req = await session.waitFor((r) => r.message.case === 'pingReq' && !answered.has(r.message.value.timestamp), 'a ping');
        const ts = (req.message.value as Ping).timestamp;
        answered.add(ts);
        session.send({ case: 'pongResp', value: { lastPingTimestamp: ts, timestamp: BigInt(Date.now()) } as never });
        if (answered.size === 3) return;
      }
    };
    await answer();
    expect(room.connectionState).toBe('connected');
  });
});
