import type { ForwardInfo } from '../../lib/dev-server';
import { buildPacket, handleOf, withHandle } from './helpers/dtp';
import { useDevServer } from './helpers/setup';

const h = useDevServer();

async function handleFor(sub: Awaited<ReturnType<typeof h.connect>>, trackSid: string): Promise<number> {
  const snap = await sub.nextHandles((m) => Object.values(m).some((t) => t.trackSid === trackSid));
  return Number(Object.entries(snap).find(([, t]) => t.trackSid === trackSid)![0]);
}

/** 'pub' publishes track 'a' under handle 1 and 'sub' subscribes to it; `hs` is the sub's handle. */
async function oneSubscriber() {
  const pub = await h.connectReady('pub');
  const sub = await h.connectReady('sub');
  const info = await pub.publishOk(1, 'a');
  sub.subscribe(info.sid);
  const hs = await handleFor(sub, info.sid);
  return { pub, sub, info, hs };
}

describe('subscription start', () => {
  test('a subscriber without a `_data_track` at the SFU gets no handle yet: the wish stays pending', async () => {
    const pub = await h.connect('pub', {}, { noPeerConnection: true });
    const sub = await h.connect('sub', {}, { noPeerConnection: true });
    const info = await pub.publishOk(1, 'a');
    sub.subscribe(info.sid);
    sub.send({ case: 'ping', value: 1n });
    await sub.next('pong'); // requests are handled in order: the subscription was processed
    expect(sub.received('dataTrackSubscriberHandles')).toEqual([]);
    expect(h.server.snapshot()[0].participants.find((p) => p.identity === 'sub')).toMatchObject({
      dataChannelOpen: false,
      subscriptions: [],
      pendingSubscriptions: [info.sid],
    });
  });

  test('packets sent right after the handle snapshot arrives are delivered, for every subscriber', async () => {
    const pub = await h.connectReady('pub');
    const info = await pub.publishOk(1, 'a');
    // Subscribe before each connection is up: the SFU may adopt the channels in any order and late.
    const names = ['s1', 's2', 's3', 's4'];
    const subs = await Promise.all(names.map((n) => h.connect(n)));
    for (const s of subs) s.subscribe(info.sid);
    const handles = await Promise.all(subs.map((s) => handleFor(s, info.sid)));
    const expected: Buffer[] = [];
    // Each subscriber's snapshot was the trigger; from then on nothing may be lost for lack of a channel.
    for (let i = 0; i < 3; i++) {
      const p = buildPacket({ handle: 1, sequence: i, payload: Buffer.from(`frame ${i}`) });
      expected.push(p);
      pub.sendPacket(p);
    }
    for (let k = 0; k < subs.length; k++) {
      const got = [await subs[k].nextPacket(), await subs[k].nextPacket(), await subs[k].nextPacket()];
      for (const p of expected) expect(got.some((g) => g.equals(withHandle(p, handles[k])))).toBe(true);
    }
    expect(h.server.stats().dropped.noChannel).toBe(0);
    expect(h.server.stats().packetsForwarded).toBe(3 * subs.length);
  });

  test('wishes made before the channel opens are fulfilled once it opens', async () => {
    const pub = await h.connect('pub', {}, { noPeerConnection: true });
    const a = await pub.publishOk(1, 'a');
    const b = await pub.publishOk(2, 'b');
    const sub = await h.connect('sub');
    sub.subscribe(a.sid);
    sub.subscribe(b.sid);
    const snap = await sub.nextHandles();
    // Whether the channel opened before, between or after the two requests, the client never sees a
    // handle before the SFU can deliver on it; the final map always has both.
    const all = Object.keys(snap).length === 2 ? snap : await sub.nextHandles((m) => Object.keys(m).length === 2);
    expect(Object.values(all).map((t) => t.trackSid).sort()).toEqual([a.sid, b.sid].sort());
    expect(h.server.snapshot()[0].participants.find((p) => p.identity === 'sub')!.dataChannelOpen).toBe(true);
  });
});

describe('forwarding', () => {
  test('packets reach each subscriber byte-exact except for the rewritten handle, never the publisher', async () => {
    const pub = await h.connectReady('pub');
    const s1 = await h.connectReady('s1');
    const s2 = await h.connectReady('s2');
    const idle = await h.connectReady('idle'); // in the room, not subscribed
    const info = await pub.publishOk(0x1234, 'telemetry');
    // s2 subscribes to another track first, so the two subscribers know the track under
    // different handles (the SFU re-serializes once and rewrites the handle per copy).
    const other = await pub.publishOk(0x0042, 'other');
    s2.subscribe(other.sid);
    await handleFor(s2, other.sid);
    s1.subscribe(info.sid);
    s2.subscribe(info.sid);
    const h1 = await handleFor(s1, info.sid);
    const h2 = await handleFor(s2, info.sid);
    expect(h2).not.toBe(h1);

    const forwarded: ForwardInfo[] = [];
    h.server.on('forward', (f: ForwardInfo) => forwarded.push(f));

    const packet = buildPacket({
      marker: 'single',
      handle: 0x1234,
      sequence: 0xabcd,
      frame: 0x0102,
      timestamp: 0xdeadbeef,
      userTimestamp: 0x0102030405060708n,
      payload: Buffer.from('hello data track'),
    });
    pub.sendPacket(packet);
    const got1 = await s1.nextPacket();
    const got2 = await s2.nextPacket();
    expect(got1.equals(withHandle(packet, h1))).toBe(true);
    expect(got2.equals(withHandle(packet, h2))).toBe(true);
    expect(handleOf(got1)).toBe(h1);

    // A second, multi-packet frame without extensions, to check ordering-independent delivery of each.
    const start = buildPacket({ marker: 'start', handle: 0x1234, sequence: 1, frame: 7, payload: Buffer.alloc(16000 - 12, 0xaa) });
    const final = buildPacket({ marker: 'final', handle: 0x1234, sequence: 2, frame: 7, payload: Buffer.from([1, 2, 3]) });
    pub.sendPacket(start);
    pub.sendPacket(final);
    const received = [await s1.nextPacket(), await s1.nextPacket()];
    expect(received.some((p) => p.equals(withHandle(start, h1)))).toBe(true);
    expect(received.some((p) => p.equals(withHandle(final, h1)))).toBe(true);
    await s2.nextPacket();
    await s2.nextPacket();

    // Everything was observed; the publisher and the unsubscribed participant got nothing.
    expect(forwarded).toHaveLength(3);
    expect(forwarded[0]).toMatchObject({ room: 'dev-room', from: 'pub', trackSid: info.sid });
    expect(Buffer.from(forwarded[0].packet).equals(packet)).toBe(true);
    expect(forwarded[0].to.sort()).toEqual(['s1', 's2']);
    expect(pub.packets).toHaveLength(0);
    expect(idle.packets).toHaveLength(0);
  });

  test('a forward listener that throws is reported as a warning; the SFU and the process go on', async () => {
    const { pub, sub, hs } = await oneSubscriber();
    // node-datachannel calls back through a thread-safe function: an exception escaping one
    // aborts the process, so this would take the jest worker down with it.
    const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    h.server.once('forward', () => {
      throw new Error('a bug in a forward listener');
    });
    const packet = (sequence: number) => buildPacket({ marker: 'single', handle: 1, sequence, frame: sequence, timestamp: 0, payload: Buffer.from([sequence]) });
    pub.sendPacket(packet(1));
    expect((await sub.nextPacket()).equals(withHandle(packet(1), hs))).toBe(true);
    expect(emitWarning).toHaveBeenCalledWith(expect.stringContaining('a bug in a forward listener'));
    emitWarning.mockRestore();
    pub.sendPacket(packet(2));
    expect((await sub.nextPacket()).equals(withHandle(packet(2), hs))).toBe(true);
  });

  test('forwarding re-serializes through the native codec: reserved bits are cleared (dtp.md §7.5)', async () => {
    const { pub, sub, hs } = await oneSubscriber();
    const dirty = Buffer.from('1bff0001' + '00'.repeat(8) + 'aa', 'hex');
    pub.sendPacket(dirty);
    const expected = Buffer.from('18000000' + '00'.repeat(8) + 'aa', 'hex');
    expected.writeUInt16BE(hs, 2);
    expect((await sub.nextPacket()).toString('hex')).toBe(expected.toString('hex'));
  });

  test('packets with an unpublished handle or too short to carry one are dropped', async () => {
    const { pub, sub, hs } = await oneSubscriber();
    pub.sendPacket(buildPacket({ handle: 2, payload: Buffer.from('wrong handle') }));
    pub.sendPacket(Buffer.from([0x18, 0, 0, 1, 0, 0])); // 6 bytes
    const marker = buildPacket({ handle: 1, sequence: 99, payload: Buffer.from('ok') });
    pub.sendPacket(marker);
    // The channel is unordered, so wait for the good packet and then make sure nothing else came.
    const got = await sub.nextPacket();
    expect(got.equals(withHandle(marker, hs))).toBe(true);
    pub.sendPacket(marker);
    await sub.nextPacket();
    expect(sub.packets).toHaveLength(0);
    // Every drop is counted by reason (the second marker came back, so all four were handled).
    expect(h.server.stats()).toMatchObject({
      packetsReceived: 4,
      packetsForwarded: 2,
      dropped: { unknownHandle: 1, malformed: 1, noChannel: 0, congestion: 0, sendError: 0 },
    });
  });

  test('a packet the codec refuses is counted as malformed and reaches nobody', async () => {
    const { pub, sub, hs } = await oneSubscriber();
    // X=1 with an extension length pointing past the end of the packet (HeaderOverrun).
    const seen = new Promise<void>((resolve) => h.server.once('forward', () => resolve()));
    pub.sendPacket(Buffer.from('1c000001' + '00'.repeat(8) + '00ff', 'hex'));
    const good = buildPacket({ handle: 1, payload: Buffer.from('fine') });
    pub.sendPacket(good);
    expect((await sub.nextPacket()).equals(withHandle(good, hs))).toBe(true);
    await seen;
    expect(h.server.stats().dropped.malformed).toBe(1);
    expect(h.server.stats().packetsForwarded).toBe(1);
  });

  test('after unsubscribing no packets arrive', async () => {
    const pub = await h.connectReady('pub');
    const sub = await h.connectReady('sub');
    const other = await h.connectReady('other');
    const info = await pub.publishOk(1, 'a');
    sub.subscribe(info.sid);
    other.subscribe(info.sid);
    await handleFor(sub, info.sid);
    const ho = await handleFor(other, info.sid);
    sub.subscribe(info.sid, false);
    await sub.nextHandles((m) => Object.keys(m).length === 0);
    const p = buildPacket({ handle: 1, payload: Buffer.from('x') });
    pub.sendPacket(p);
    expect((await other.nextPacket()).equals(withHandle(p, ho))).toBe(true);
    expect(sub.packets).toHaveLength(0);
  });

  test('rooms are isolated: same handles and names in two rooms never cross', async () => {
    const pubA = await h.connectReady('pub', { room: 'room-a' });
    const subA = await h.connectReady('sub', { room: 'room-a' });
    const pubB = await h.connectReady('pub', { room: 'room-b' }); // same identity, other room: no duplicate
    const subB = await h.connectReady('sub', { room: 'room-b' });
    expect(subB.join.otherParticipants.map((p) => p.sid)).toEqual([pubB.join.participant!.sid]);
    const infoA = await pubA.publishOk(1, 'same');
    const infoB = await pubB.publishOk(1, 'same');
    // A SID from another room cannot be subscribed to.
    subB.subscribe(infoA.sid);
    subA.subscribe(infoA.sid);
    const ha = await handleFor(subA, infoA.sid);
    subB.subscribe(infoB.sid);
    const snapB = await subB.nextHandles();
    expect(Object.values(snapB).map((t) => t.trackSid)).toEqual([infoB.sid]);
    const hb = Number(Object.keys(snapB)[0]);
    const pa = buildPacket({ handle: 1, payload: Buffer.from('room a') });
    const pb = buildPacket({ handle: 1, payload: Buffer.from('room b') });
    pubA.sendPacket(pa);
    pubB.sendPacket(pb);
    expect((await subA.nextPacket()).equals(withHandle(pa, ha))).toBe(true);
    expect((await subB.nextPacket()).equals(withHandle(pb, hb))).toBe(true);
    expect(pubA.received('update').every((u) => u.participants.every((p) => p.sid !== pubB.join.participant!.sid))).toBe(true);
    expect(subA.packets).toHaveLength(0);
    expect(subB.packets).toHaveLength(0);
  });
});
