import {
  DisconnectReason,
  JoinResponse,
  LeaveRequest_Action,
  ParticipantInfo,
  ParticipantUpdate,
  Pong,
  ReconnectResponse,
  Room as RoomInfo,
  SignalTarget,
  TrickleRequest,
  UpdateDataSubscription,
  UpdateDataSubscription_Update,
  type SignalRequest,
} from '@livekit/protocol';
import { buildClientInfo } from '../../lib/signal/client-info';
import { buildJoinRequest } from '../../lib/signal/join-request';
import {
  SignalClient,
  SignalLossReason,
  type SignalClientHandler,
  type SignalResponseMessage,
} from '../../lib/signal/signal-client';
import { FakeEndpoint, withTimeout } from './helpers/fake-endpoint';

const TOKEN = 'header.payload.signature';

/** Collects what the client hands its owner, with waits instead of sleeps. */
class Recorder implements SignalClientHandler {
  readonly messages: SignalResponseMessage[] = [];
  lost: { reason: SignalLossReason; detail: string } | undefined;
  private wake: (() => void)[] = [];

  onMessage(message: SignalResponseMessage): void {
    this.messages.push(message);
    this.notify();
  }

  onLost(reason: SignalLossReason, detail: string): void {
    this.lost = { reason, detail };
    this.notify();
  }

  async until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    while (!cond()) await withTimeout(new Promise<void>((r) => this.wake.push(r)), timeoutMs, what);
  }

  private notify(): void {
    for (const w of this.wake.splice(0)) w();
  }
}

function join(pingInterval: number, pingTimeout: number): SignalResponseMessage {
  return {
    case: 'join',
    value: new JoinResponse({
      room: new RoomInfo({ sid: 'RM_1', name: 'r' }),
      participant: new ParticipantInfo({ sid: 'PA_1', identity: 'me' }),
      pingInterval,
      pingTimeout,
    }),
  };
}

const subscribe = (sid: string): SignalRequest['message'] => ({
  case: 'updateDataSubscription',
  value: new UpdateDataSubscription({ updates: [new UpdateDataSubscription_Update({ trackSid: sid, subscribe: true })] }),
});

const trickle = (candidate: string): SignalRequest['message'] => ({
  case: 'trickle',
  value: new TrickleRequest({ candidateInit: JSON.stringify({ candidate }), target: SignalTarget.PUBLISHER }),
});

describe('SignalClient session behaviour', () => {
  let endpoint: FakeEndpoint;
  let client: SignalClient;
  let rec: Recorder;

  beforeEach(async () => {
    endpoint = await FakeEndpoint.start();
    rec = new Recorder();
    client = new SignalClient(rec);
  });
  afterEach(async () => {
    await client.close();
    await endpoint.close();
  });

  async function connect(first: SignalResponseMessage = join(0, 0), reconnect = false) {
    const req = reconnect
      ? buildJoinRequest({ clientInfo: buildClientInfo(), resume: { participantSid: 'PA_1', reason: 1 } })
      : buildJoinRequest({ clientInfo: buildClientInfo() });
    const connecting = client.connect(endpoint.url, TOKEN, req);
    await endpoint.send(first);
    return connecting;
  }

  it('holds messages that follow the join until release()', async () => {
    const connecting = client.connect(endpoint.url, TOKEN, buildJoinRequest({ clientInfo: buildClientInfo() }));
    // Join and the next message leave the server back to back.
    await endpoint.send(join(0, 0));
    await endpoint.send({ case: 'update', value: new ParticipantUpdate() });
    const first = await connecting;
    expect(first.case).toBe('join');
    await endpoint.send({ case: 'refreshToken', value: 'next' });
    // Both later messages have reached the client, yet its owner has seen neither.
    await waitUntil(() => (client as unknown as { held?: unknown[] }).held?.length === 2);
    expect(rec.messages).toHaveLength(0);
    client.release();
    await rec.until(() => rec.messages.length === 2, 'held messages');
    expect(rec.messages.map((m) => m.case)).toEqual(['update', 'refreshToken']);
  });

  it('queues requests made before the join and sends them after it, in order', async () => {
    client.send(subscribe('DTR_a'));
    client.send(subscribe('DTR_b'));
    await connect();
    await endpoint.waitFor((r) => r.message.case === 'updateDataSubscription' && r.message.value.updates[0].trackSid === 'DTR_b');
    const sids = endpoint.requests
      .filter((r) => r.message.case === 'updateDataSubscription')
      .map((r) => (r.message.value as UpdateDataSubscription).updates[0].trackSid);
    expect(sids).toEqual(['DTR_a', 'DTR_b']);
  });

  it('pings at ping_interval with both ping kinds and measures RTT from pong_resp', async () => {
    await connect(join(1, 10));
    client.release();
    const pingReq = await endpoint.waitFor((r) => r.message.case === 'pingReq', 3000, 'ping_req');
    await endpoint.waitFor((r) => r.message.case === 'ping', 3000, 'legacy ping');
    const sentAt = pingReq.message.case === 'pingReq' ? pingReq.message.value.timestamp : 0n;
    expect(Number(sentAt)).toBeGreaterThan(Date.now() - 5000);
    await endpoint.send({ case: 'pongResp', value: new Pong({ lastPingTimestamp: sentAt, timestamp: BigInt(Date.now()) }) });
    // The next ping carries the measured RTT.
    const second = await endpoint.waitFor(
      (r) => r.message.case === 'pingReq' && r.message.value.timestamp !== sentAt,
      3000,
      'second ping_req',
    );
    expect(second.message.case === 'pingReq' && second.message.value.rtt).toBeGreaterThanOrEqual(0n);
    expect(client.rttMs).toBeGreaterThanOrEqual(0);
    // Pongs are consumed by the client, not passed on.
    expect(rec.messages.some((m) => m.case === 'pongResp' || m.case === 'pong')).toBe(false);
  });

  it('declares the signal lost when nothing arrives within ping_timeout', async () => {
    await connect(join(0, 1));
    client.release();
    const started = Date.now();
    await rec.until(() => rec.lost !== undefined, 'ping timeout', 4000);
    expect(rec.lost?.reason).toBe(SignalLossReason.PingTimeout);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(client.isOpen).toBe(false);
  });

  it('treats any message as liveness, not just pongs', async () => {
    await connect(join(0, 1));
    client.release();
    // Keep talking for longer than ping_timeout; the client must stay up.
    for (let i = 0; i < 6; i++) {
      await endpoint.send({ case: 'refreshToken', value: `t${i}` });
      await rec.until(() => rec.messages.length === i + 1, 'refresh token');
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(rec.lost).toBeUndefined();
    expect(client.isOpen).toBe(true);
  });

  it('probe(): true on the pong, after what the server sent before it; false when the socket ends first', async () => {
    await connect();
    client.release();
    const probing = client.probe(5_000);
    const req = await endpoint.waitFor((r) => r.message.case === 'pingReq', 3000, 'the probe ping_req');
    const sentAt = req.message.case === 'pingReq' ? req.message.value.timestamp : 0n;
    await endpoint.send({ case: 'refreshToken', value: 'before-the-pong' });
    await endpoint.send({ case: 'pongResp', value: new Pong({ lastPingTimestamp: sentAt, timestamp: BigInt(Date.now()) }) });
    expect(await probing).toBe(true);
    expect(rec.messages.map((m) => m.case)).toEqual(['refreshToken']);

    const unanswered = client.probe(5_000);
    // The second ping_req may carry the same millisecond as the first: wait for it by position.
    const pingReqs = (r: SignalRequest) => r.message.case === 'pingReq';
    const first = endpoint.requests.find(pingReqs);
    await endpoint.waitFor((r) => pingReqs(r) && r !== first, 3000, 'second probe');
    (await endpoint.client()).close(1001, 'going away');
    expect(await unanswered).toBe(false);
    expect(await client.probe(5_000)).toBe(false);
  });

  it('reports a socket closed by the server as lost', async () => {
    await connect();
    client.release();
    (await endpoint.client()).close(1001, 'going away');
    await rec.until(() => rec.lost !== undefined, 'loss');
    expect(rec.lost?.reason).toBe(SignalLossReason.SocketClosed);
    expect(rec.lost?.detail).toContain('1001');
  });

  it('during a resume passes sync_state/trickle through and holds the rest until setResumed()', async () => {
    const first = await connect({ case: 'reconnect', value: new ReconnectResponse() }, true);
    expect(first.case).toBe('reconnect');
    client.release();
    client.send(subscribe('DTR_held'));
    client.send(trickle('candidate:1'));
    await endpoint.waitFor((r) => r.message.case === 'trickle');
    expect(endpoint.requests.some((r) => r.message.case === 'updateDataSubscription')).toBe(false);
    client.setResumed();
    await endpoint.waitFor((r) => r.message.case === 'updateDataSubscription');
  });

  it('a resume expects the reconnect response, not a join', async () => {
    const connecting = connect(join(0, 0), true);
    await expect(connecting).rejects.toMatchObject({ reason: 'protocol' });
  });

  it('close() sends leave(CLIENT_INITIATED, DISCONNECT) and waits for the socket to close', async () => {
    await connect();
    const ws = await endpoint.client();
    const closed = new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));
    await client.close();
    const leave = await endpoint.waitFor((r) => r.message.case === 'leave');
    expect(leave.message.case === 'leave' && leave.message.value.reason).toBe(DisconnectReason.CLIENT_INITIATED);
    expect(leave.message.case === 'leave' && leave.message.value.action).toBe(LeaveRequest_Action.DISCONNECT);
    expect(await closed).toBe(1000);
    expect(client.isClosed).toBe(true);
    // After close nothing is sent, nothing is reported, and a second close is a no-op.
    client.send(subscribe('DTR_late'));
    await client.close();
    expect(rec.lost).toBeUndefined();
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
