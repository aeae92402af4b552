import {
  DataBlob,
  DataBlobKey,
  DataTrackSchemaId,
  DisconnectReason,
  GetDataBlobRequest,
  LeaveRequest_Action,
  ParticipantInfo_State,
  PublishDataTrackResponse,
  RequestResponse_Reason,
  StoreDataBlobRequest,
  SyncState,
  DataTrackInfo,
} from '@livekit/protocol';
import { DevServer } from '../../lib/dev-server';
import { TestClient } from './helpers/client';
import { buildPacket, withHandle } from './helpers/dtp';
import { sfuChannelOpen, useDevServer } from './helpers/setup';

async function handleFor(sub: TestClient, trackSid: string): Promise<number> {
  const snap = await sub.nextHandles((m) => Object.values(m).some((t) => t.trackSid === trackSid));
  return Number(Object.entries(snap).find(([, t]) => t.trackSid === trackSid)![0]);
}

describe('leave', () => {
  const h = useDevServer();

  test('leave removes the participant: final DISCONNECTED update with no data tracks, subscribers lose the handle', async () => {
    const pub = await h.connect('pub', {}, { noPeerConnection: true });
    const sub = await h.connectReady('sub');
    const info = await pub.publishOk(1, 'a');
    sub.subscribe(info.sid);
    await handleFor(sub, info.sid);
    const before = await sub.nextUpdate('pub', (p) => p.dataTracks.length === 1);
    pub.leave();
    const gone = await sub.nextUpdate('pub', (p) => p.state === ParticipantInfo_State.DISCONNECTED);
    expect(gone.dataTracks).toEqual([]);
    expect(gone.version).toBeGreaterThan(before.version);
    expect(await sub.nextHandles()).toEqual({});
    await pub.waitClosed();
    expect(h.server.snapshot()[0].participants.map((p) => p.identity)).toEqual(['sub']);
    // A newcomer does not see the departed participant.
    const late = await h.connect('late', {}, { noPeerConnection: true });
    expect(late.join.otherParticipants.map((p) => p.identity)).toEqual(['sub']);
  });
});

describe('resume', () => {
  const h = useDevServer();

  test('after a signal drop the same participant resumes: reconnect first, then updates; tracks and handles persist', async () => {
    const pub = await h.connectReady('pub');
    const sub = await h.connectReady('sub');
    const info = await pub.publishOk(1, 'a');
    sub.subscribe(info.sid);
    const hs = await handleFor(sub, info.sid);
    const sid = pub.join.participant!.sid;

    await pub.dropSignal();
    const resumed = await h.connect('pub', {}, { resumeSid: sid, noPeerConnection: true });
    expect(resumed.caseLog[0]).toBe('reconnect');
    const update = await resumed.next('update');
    expect(resumed.caseLog[1]).toBe('update');
    const self = update.participants.find((p) => p.identity === 'pub')!;
    expect(self.sid).toBe(sid);
    expect(self.dataTracks.map((t) => t.sid)).toEqual([info.sid]);
    expect(update.participants.map((p) => p.identity).sort()).toEqual(['pub', 'sub']);

    resumed.syncState(new SyncState({ publishDataTracks: [new PublishDataTrackResponse({ info })] }));
    // The old peer connection is still up: packets keep flowing with the same subscriber handle.
    const p = buildPacket({ handle: 1, payload: Buffer.from('still here') });
    pub.sendPacket(p);
    expect((await sub.nextPacket()).equals(withHandle(p, hs))).toBe(true);
    resumed.send({ case: 'ping', value: 1n });
    await resumed.next('pong');
    expect(resumed.received('leave')).toEqual([]);
    expect(sub.received('update').filter((u) => u.participants.some((x) => x.state === ParticipantInfo_State.DISCONNECTED))).toEqual([]);
  });

  test('a resume with a new peer connection (ICE restart offer) is answered and carries packets', async () => {
    const pub = await h.connectReady('pub');
    const sub = await h.connectReady('sub');
    const info = await pub.publishOk(1, 'a');
    sub.subscribe(info.sid);
    const hs = await handleFor(sub, info.sid);

    await sub.dropSignal();
    // The subscription survives the resume, so no new snapshot tells the client when the SFU has
    // adopted the new `_data_track`; the server's event does.
    const adopted = sfuChannelOpen(h.server, 'sub');
    const sub2 = await h.connect('sub', {}, { resumeSid: sub.join.participant!.sid });
    const answer = await sub2.next('answer');
    expect(answer.id).toBe(1);
    await Promise.all([sub2.waitDataChannel(), adopted.promise]);
    const p = buildPacket({ handle: 1, sequence: 5, payload: Buffer.from('via the new connection') });
    pub.sendPacket(p);
    expect((await sub2.nextPacket()).equals(withHandle(p, hs))).toBe(true);
    expect(sub2.received('dataTrackSubscriberHandles')).toEqual([]);
    expect(h.server.snapshot()[0].participants.find((x) => x.identity === 'sub')!.subscriptions).toEqual([{ trackSid: info.sid, handle: hs }]);
  });

  test('while a resumed subscriber has no channel its packets are counted as noChannel drops', async () => {
    const pub = await h.connectReady('pub');
    const sub = await h.connectReady('sub');
    const info = await pub.publishOk(1, 'a');
    sub.subscribe(info.sid);
    await handleFor(sub, info.sid);
    // The SFU side of the subscriber's connection goes away; the subscription stays for a resume.
    expect(h.server.testHooks.closePeerConnection('sub')).toBe(true);
    const seen = new Promise<string[]>((resolve) => h.server.once('forward', (f) => resolve(f.to)));
    pub.sendPacket(buildPacket({ handle: 1, payload: Buffer.from('nowhere to go') }));
    expect(await seen).toEqual([]);
    expect(h.server.stats().dropped).toMatchObject({ noChannel: 1, congestion: 0 });
    expect(h.server.snapshot()[0].participants.find((x) => x.identity === 'sub')).toMatchObject({
      dataChannelOpen: false,
      subscriptions: [{ trackSid: info.sid }],
    });
  });

  test('a sync_state naming a track the server does not know forces a full reconnect', async () => {
    const pub = await h.connect('pub', {}, { noPeerConnection: true });
    await pub.publishOk(1, 'a');
    await pub.dropSignal();
    const resumed = await h.connect('pub', {}, { resumeSid: pub.join.participant!.sid, noPeerConnection: true });
    expect(resumed.caseLog[0]).toBe('reconnect');
    resumed.syncState(
      new SyncState({ publishDataTracks: [new PublishDataTrackResponse({ info: new DataTrackInfo({ pubHandle: 1, sid: 'DTR_unknown00000', name: 'a' }) })] }),
    );
    const leave = await resumed.next('leave');
    expect(leave.action).toBe(LeaveRequest_Action.RECONNECT);
    await resumed.waitClosed();
  });

  test('resuming an unknown participant gets leave{STATE_MISMATCH, RECONNECT} as the only message', async () => {
    await h.connect('someone', {}, { noPeerConnection: true }); // the room exists
    const c = await h.connect('ghost', {}, { resumeSid: 'PA_doesnotexist1', noPeerConnection: true, waitJoin: false });
    const leave = await c.next('leave');
    expect(leave.reason).toBe(DisconnectReason.STATE_MISMATCH);
    expect(leave.action).toBe(LeaveRequest_Action.RECONNECT);
    await c.waitClosed();
    expect(c.caseLog).toEqual(['leave']);
  });

  test('a stale participant SID for a live identity is a state mismatch too', async () => {
    await h.connect('pub', {}, { noPeerConnection: true });
    const c = await h.connect('pub', {}, { resumeSid: 'PA_stalestale12', noPeerConnection: true, waitJoin: false });
    expect((await c.next('leave')).reason).toBe(DisconnectReason.STATE_MISMATCH);
    expect(c.caseLog).toEqual(['leave']);
  });
});

describe('participants that do not come back', () => {
  const h = useDevServer({ resumeWindowMs: 100 });

  test('are removed once the resume window has passed', async () => {
    const watcher = await h.connect('watcher', {}, { noPeerConnection: true });
    const pub = await h.connect('pub', {}, { noPeerConnection: true });
    await pub.publishOk(1, 'a');
    await pub.dropSignal();
    const gone = await watcher.nextUpdate('pub', (p) => p.state === ParticipantInfo_State.DISCONNECTED);
    expect(gone.dataTracks).toEqual([]);
  });
});

describe('fault hooks', () => {
  const h = useDevServer();

  test('dropSignal cuts the socket without a leave; the participant can resume', async () => {
    const c = await h.connect('victim', {}, { noPeerConnection: true });
    expect(h.server.testHooks.dropSignal('victim')).toBe(true);
    await c.waitClosed();
    expect(c.received('leave')).toEqual([]);
    const r = await h.connect('victim', {}, { resumeSid: c.join.participant!.sid, noPeerConnection: true });
    await r.next('update');
    expect(h.server.testHooks.dropSignal('nobody')).toBe(false);
  });

  test('closePeerConnection takes down the SFU side of the connection', async () => {
    const c = await h.connectReady('victim');
    expect(h.server.testHooks.closePeerConnection('victim')).toBe(true);
    await c.waitDataChannelGone();
  });

  test('restart drops everyone and listens again on the same port; old sessions cannot resume', async () => {
    const c = await h.connect('before', {}, { noPeerConnection: true });
    const port = h.server.port;
    await h.server.restart();
    expect(h.server.port).toBe(port);
    await c.waitClosed();
    expect(c.received('leave')).toEqual([]);
    const r = await h.connect('before', {}, { resumeSid: c.join.participant!.sid, noPeerConnection: true, waitJoin: false });
    expect((await r.next('leave')).reason).toBe(DisconnectReason.STATE_MISMATCH);
    const fresh = await h.connect('before', {}, { noPeerConnection: true });
    expect(fresh.join.otherParticipants).toEqual([]);
  });
});

describe('congestion', () => {
  const h = useDevServer({ maxSubscriberBufferedBytes: -1 });

  test('packets are dropped, not queued, when a subscriber channel is over the limit', async () => {
    const pub = await h.connectReady('pub');
    const sub = await h.connectReady('sub');
    const info = await pub.publishOk(1, 'a');
    sub.subscribe(info.sid);
    await handleFor(sub, info.sid);
    const seen = new Promise<string[]>((resolve) => h.server.once('forward', (f) => resolve(f.to)));
    pub.sendPacket(buildPacket({ handle: 1, payload: Buffer.from('x') }));
    expect(await seen).toEqual([]);
    expect(sub.packets).toHaveLength(0);
    expect(h.server.stats()).toMatchObject({ packetsReceived: 1, packetsForwarded: 0, dropped: { congestion: 1, noChannel: 0 } });
  });
});

describe('data blobs', () => {
  const h = useDevServer();
  const schemaKey = () =>
    new DataBlobKey({ key: { case: 'schemaId', value: new DataTrackSchemaId({ name: 'pkg.Telemetry' }) } });

  test('store then get from another participant; errors carry the request id', async () => {
    const owner = await h.connect('owner', {}, { noPeerConnection: true });
    const reader = await h.connect('reader', {}, { noPeerConnection: true });
    const contents = Buffer.from('syntax = "proto3";');
    owner.send({ case: 'storeDataBlobRequest', value: new StoreDataBlobRequest({ requestId: 11, blob: new DataBlob({ key: schemaKey(), contents }) }) });
    const stored = await owner.next('storeDataBlobResponse');
    expect(stored.requestId).toBe(11);
    expect(stored.key?.equals(schemaKey())).toBe(true);

    reader.send({ case: 'getDataBlobRequest', value: new GetDataBlobRequest({ requestId: 12, participantIdentity: 'owner', key: schemaKey() }) });
    const got = await reader.next('getDataBlobResponse');
    expect(got.requestId).toBe(12);
    expect(Buffer.from(got.blob!.contents).equals(contents)).toBe(true);

    const generic = new DataBlobKey({ key: { case: 'generic', value: 'nope' } });
    reader.send({ case: 'getDataBlobRequest', value: new GetDataBlobRequest({ requestId: 13, participantIdentity: 'owner', key: generic }) });
    expect((await reader.next('requestResponse', (r) => r.requestId === 13)).reason).toBe(RequestResponse_Reason.NOT_FOUND);
    reader.send({ case: 'getDataBlobRequest', value: new GetDataBlobRequest({ requestId: 14, participantIdentity: 'nobody', key: schemaKey() }) });
    expect((await reader.next('requestResponse', (r) => r.requestId === 14)).reason).toBe(RequestResponse_Reason.NOT_FOUND);
  });

  test('empty, keyless and over-limit blobs are refused', async () => {
    const c = await h.connect('owner', {}, { noPeerConnection: true });
    const store = (requestId: number, blob: DataBlob) => c.send({ case: 'storeDataBlobRequest', value: new StoreDataBlobRequest({ requestId, blob }) });
    store(1, new DataBlob({ key: schemaKey(), contents: new Uint8Array() }));
    expect((await c.next('requestResponse', (r) => r.requestId === 1)).reason).toBe(RequestResponse_Reason.INVALID_REQUEST);
    store(2, new DataBlob({ contents: Buffer.from('x') }));
    expect((await c.next('requestResponse', (r) => r.requestId === 2)).reason).toBe(RequestResponse_Reason.INVALID_REQUEST);
    store(3, new DataBlob({ key: schemaKey(), contents: Buffer.alloc(40_000) }));
    await c.next('storeDataBlobResponse', (r) => r.requestId === 3);
    const other = new DataBlobKey({ key: { case: 'generic', value: 'second' } });
    store(4, new DataBlob({ key: other, contents: Buffer.alloc(24_001) }));
    expect((await c.next('requestResponse', (r) => r.requestId === 4)).reason).toBe(RequestResponse_Reason.LIMIT_EXCEEDED);
    store(5, new DataBlob({ key: other, contents: Buffer.alloc(24_000) })); // exactly 64,000 in total
    await c.next('storeDataBlobResponse', (r) => r.requestId === 5);
    // Replacing a blob counts only its new size.
    store(6, new DataBlob({ key: schemaKey(), contents: Buffer.alloc(40_000) }));
    await c.next('storeDataBlobResponse', (r) => r.requestId === 6);
  });
});

describe('close', () => {
  test('close is idempotent and refuses new connections afterwards', async () => {
    const server = await DevServer.start();
    const c = await TestClient.connect(server.url, await server.token('x'), 'x');
    await c.waitDataChannel();
    await Promise.all([server.close(), server.close()]);
    await server.close();
    await c.waitClosed();
    await c.close();
    await expect(TestClient.connect(server.url, await server.token('y'), 'y', { noPeerConnection: true })).rejects.toThrow();
  });
});
