import { useDevServer } from './helpers/setup';

const h = useDevServer();

// Subscriptions only become active once the subscriber's `_data_track` is open at the SFU, so every
// subscriber here has a peer connection (publishers can stay signal-only).
describe('data-track subscriptions', () => {
  test('subscribe yields a full handle snapshot; each subscription gets a fresh non-zero handle', async () => {
    const pub = await h.connect('pub', {}, { noPeerConnection: true });
    const sub = await h.connectReady('sub');
    const a = await pub.publishOk(1, 'a');
    const b = await pub.publishOk(2, 'b');

    sub.subscribe(a.sid);
    const s1 = await sub.nextHandles();
    expect(Object.keys(s1)).toHaveLength(1);
    const [ha] = Object.keys(s1).map(Number);
    expect(ha).toBeGreaterThan(0);
    expect(ha).toBeLessThan(65536);
    expect(s1[ha]).toMatchObject({ publisherIdentity: 'pub', publisherSid: pub.join.participant!.sid, trackSid: a.sid });

    sub.subscribe(b.sid);
    const s2 = await sub.nextHandles();
    expect(Object.values(s2).map((t) => t.trackSid).sort()).toEqual([a.sid, b.sid].sort());
    const hb = Number(Object.entries(s2).find(([, t]) => t.trackSid === b.sid)![0]);
    expect(hb).not.toBe(ha);

    sub.subscribe(a.sid, false);
    const s3 = await sub.nextHandles();
    expect(Object.values(s3).map((t) => t.trackSid)).toEqual([b.sid]);

    sub.subscribe(a.sid);
    const s4 = await sub.nextHandles();
    const ha2 = Number(Object.entries(s4).find(([, t]) => t.trackSid === a.sid)![0]);
    expect(ha2).not.toBe(ha); // fresh handle for a new subscription
    expect(ha2).not.toBe(hb);
  });

  test('subscribing twice does not produce a new handle', async () => {
    const pub = await h.connect('pub', {}, { noPeerConnection: true });
    const sub = await h.connectReady('sub');
    const a = await pub.publishOk(1, 'a');
    sub.subscribe(a.sid);
    const first = await sub.nextHandles();
    sub.subscribe(a.sid);
    sub.send({ case: 'ping', value: 1n });
    await sub.next('pong');
    expect(sub.received('dataTrackSubscriberHandles')).toHaveLength(0);
    expect(Object.keys(first)).toHaveLength(1);
  });

  test('without canSubscribe the request is silently ignored', async () => {
    const pub = await h.connect('pub', {}, { noPeerConnection: true });
    const sub = await h.connectReady('nosub', { canSubscribe: false });
    const a = await pub.publishOk(1, 'a');
    sub.subscribe(a.sid);
    sub.send({ case: 'ping', value: 1n });
    await sub.next('pong'); // requests are handled in order: the subscription was processed
    expect(sub.received('dataTrackSubscriberHandles')).toHaveLength(0);
    expect(sub.received('requestResponse')).toHaveLength(0);
    expect(h.server.snapshot()[0].participants.find((p) => p.identity === 'nosub')!.subscriptions).toEqual([]);
  });

  test('unpublish sends subscribers a snapshot without the track', async () => {
    const pub = await h.connect('pub', {}, { noPeerConnection: true });
    const sub = await h.connectReady('sub');
    const a = await pub.publishOk(1, 'a');
    const b = await pub.publishOk(2, 'b');
    sub.subscribe(a.sid);
    await sub.nextHandles();
    sub.subscribe(b.sid);
    await sub.nextHandles((m) => Object.keys(m).length === 2);
    pub.send({ case: 'unpublishDataTrackRequest', value: { pubHandle: 1 } as never });
    const snap = await sub.nextHandles();
    expect(Object.values(snap).map((t) => t.trackSid)).toEqual([b.sid]);
  });

  test('auto_subscribe_data_track subscribes to existing and new tracks of others (v1 and v0)', async () => {
    const pub = await h.connect('pub', {}, { noPeerConnection: true });
    const a = await pub.publishOk(1, 'a');
    const v1 = await h.connect('auto-v1', {}, { autoSubscribeDataTrack: true });
    const v0 = await h.connect('auto-v0', {}, { autoSubscribeDataTrack: true, v0: true });
    const manual = await h.connectReady('manual');
    for (const c of [v1, v0]) {
      expect(Object.values(await c.nextHandles()).map((t) => t.trackSid)).toEqual([a.sid]);
    }
    const b = await pub.publishOk(2, 'b');
    for (const c of [v1, v0]) {
      const snap = await c.nextHandles((m) => Object.keys(m).length === 2);
      expect(Object.values(snap).map((t) => t.trackSid).sort()).toEqual([a.sid, b.sid].sort());
    }
    // Not for participants that did not ask, and never for the publisher itself.
    await manual.nextUpdate('pub', (p) => p.dataTracks.length === 2);
    expect(manual.received('dataTrackSubscriberHandles')).toHaveLength(0);
    expect(pub.received('dataTrackSubscriberHandles')).toHaveLength(0);
  });
});
