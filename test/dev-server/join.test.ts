import {
  DisconnectReason,
  LeaveRequest_Action,
  ParticipantInfo_State,
  Ping,
  SignalTarget,
  UpdateParticipantMetadata,
} from '@livekit/protocol';
import { useDevServer } from './helpers/setup';

const h = useDevServer();

describe('join sequence', () => {
  test('join is the first message and carries room, self, others (with data tracks), versions and ping settings', async () => {
    const alice = await h.connect('alice', { name: 'Alice', metadata: 'm-a' }, { noPeerConnection: true });
    const info = await alice.publishOk(7, 'telemetry');
    const bob = await h.connect('bob', { canPublish: false }, { noPeerConnection: true });
    expect(bob.caseLog[0]).toBe('join');
    const j = bob.join;
    expect(j.room?.sid).toMatch(/^RM_[2-9A-HJ-NP-Za-km-z]{12}$/);
    expect(j.room?.name).toBe('dev-room');
    expect(j.participant?.sid).toMatch(/^PA_[2-9A-HJ-NP-Za-km-z]{12}$/);
    expect(j.participant?.identity).toBe('bob');
    expect(j.participant?.state).toBe(ParticipantInfo_State.JOINING);
    expect(j.participant?.permission?.canPublish).toBe(false);
    expect(j.participant?.permission?.canPublishData).toBe(false); // defaults to canPublish
    expect(j.participant?.permission?.canSubscribe).toBe(true);
    expect(j.participant?.clientProtocol).toBe(2);
    expect(j.otherParticipants.map((p) => p.identity)).toEqual(['alice']);
    const a = j.otherParticipants[0];
    expect(a.name).toBe('Alice');
    expect(a.metadata).toBe('m-a');
    expect(a.dataTracks.map((t) => t.sid)).toEqual([info.sid]);
    expect(a.dataTracks[0].pubHandle).toBe(7);
    expect(j.serverInfo?.version).toBe('1.13.5');
    expect(j.serverInfo?.protocol).toBe(17);
    expect(j.serverVersion).toBe('1.13.5');
    expect(j.pingInterval).toBe(5);
    expect(j.pingTimeout).toBe(15);
    expect(j.subscriberPrimary).toBe(false);
  });

  test('the answer follows join, echoes the offer id, keeps the bundle and marks audio/video inactive', async () => {
    const c = await h.connect('media', {}, { media: true });
    const answer = await c.next('answer');
    expect(c.caseLog.indexOf('join')).toBe(0);
    expect(c.caseLog.indexOf('answer')).toBeGreaterThan(0);
    expect(answer.id).toBe(1);
    expect(answer.type).toBe('answer');
    const sections = answer.sdp.split(/\r?\nm=/).slice(1);
    expect(sections).toHaveLength(7);
    for (const s of sections.filter((s) => s.startsWith('audio') || s.startsWith('video'))) {
      expect(s).toMatch(/a=inactive/);
      expect(s).not.toMatch(/^(audio|video) 0 /); // not rejected
    }
    expect(answer.sdp).toMatch(/a=group:BUNDLE( \S+){7}/);
    expect(answer.sdp).toMatch(/a=max-message-size:(\d+)/);
    expect(Number(/a=max-message-size:(\d+)/.exec(answer.sdp)![1])).toBeGreaterThanOrEqual(16384);
    const trickle = await c.next('trickle');
    expect(trickle.target).toBe(SignalTarget.PUBLISHER);
    expect(JSON.parse(trickle.candidateInit).candidate).toMatch(/^candidate:/);
    await c.waitDataChannel();
  });

  test('participants become ACTIVE once their connection is up, and everyone hears about it', async () => {
    const watcher = await h.connect('watcher', {}, { noPeerConnection: true });
    const c = await h.connect('joiner');
    const joined = await watcher.nextUpdate('joiner', (p) => p.state === ParticipantInfo_State.JOINED);
    const active = await watcher.nextUpdate('joiner', (p) => p.state === ParticipantInfo_State.ACTIVE);
    expect(active.version).toBeGreaterThan(joined.version);
    await c.nextUpdate('joiner', (p) => p.state === ParticipantInfo_State.ACTIVE);
  });

  test('the v0 flow (offer after join) connects as well', async () => {
    const c = await h.connect('v0', {}, { v0: true });
    expect((await c.next('answer')).id).toBe(1);
    await c.waitDataChannel();
  });

  test('ping is answered with pong, ping_req with pong_resp', async () => {
    const c = await h.connect('pinger', {}, { noPeerConnection: true });
    const before = Date.now();
    c.send({ case: 'ping', value: 1234n });
    expect(Number(await c.next('pong'))).toBeGreaterThanOrEqual(before);
    c.send({ case: 'pingReq', value: new Ping({ timestamp: 42n, rtt: 3n }) });
    const pong = await c.next('pongResp');
    expect(pong.lastPingTimestamp).toBe(42n);
    expect(Number(pong.timestamp)).toBeGreaterThanOrEqual(before);
  });

  test('garbage frames do not hurt the server or the session', async () => {
    const c = await h.connect('fuzzer', {}, { noPeerConnection: true });
    c.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]));
    c.sendRaw('this is text, not protobuf');
    c.send({ case: 'trickle', value: { candidateInit: '{not json', target: SignalTarget.PUBLISHER } as never });
    c.send({ case: 'updateMetadata', value: new UpdateParticipantMetadata({ requestId: 9, metadata: 'x' }) });
    const unsupported = await c.next('requestResponse', (r) => r.requestId === 9);
    expect(unsupported.request.case).toBe('updateMetadata');
    c.send({ case: 'ping', value: 1n });
    await c.next('pong');
    const other = await h.connect('after-fuzz', {}, { noPeerConnection: true });
    expect(other.join.otherParticipants.map((p) => p.identity)).toEqual(['fuzzer']);
  });

  test('a second join with the same identity replaces the first, which gets leave DUPLICATE_IDENTITY', async () => {
    const watcher = await h.connect('watcher', {}, { noPeerConnection: true });
    const first = await h.connect('dup', {}, { noPeerConnection: true });
    const firstSid = first.join.participant!.sid;
    const second = await h.connect('dup', {}, { noPeerConnection: true });
    const leave = await first.next('leave');
    expect(leave.reason).toBe(DisconnectReason.DUPLICATE_IDENTITY);
    expect(leave.action).toBe(LeaveRequest_Action.DISCONNECT);
    await first.waitClosed();
    expect(second.join.participant!.sid).not.toBe(firstSid);
    expect(second.join.otherParticipants.map((p) => p.identity)).toEqual(['watcher']);
    const gone = await watcher.nextUpdate('dup', (p) => p.sid === firstSid && p.state === ParticipantInfo_State.DISCONNECTED);
    expect(gone.dataTracks).toEqual([]);
    expect(h.server.snapshot()[0].participants.map((p) => p.sid)).toContain(second.join.participant!.sid);
  });
});
