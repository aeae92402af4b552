import * as net from 'node:net';
import {
  DisconnectReason,
  JoinResponse,
  LeaveRequest,
  LeaveRequest_Action,
  ParticipantInfo,
  Room as RoomInfo,
} from '@livekit/protocol';
import { buildClientInfo } from '../../lib/signal/client-info';
import { ConnectError, ConnectErrorReason } from '../../lib/signal/errors';
import { buildJoinRequest, decodeJoinRequest } from '../../lib/signal/join-request';
import { SignalClient, type SignalClientHandler } from '../../lib/signal/signal-client';
import { FakeEndpoint } from './helpers/fake-endpoint';
import { freeTcpPort } from '../../scripts/livekit-server/ports';

const TOKEN = 'header.payload.signature';
const silent: SignalClientHandler = { onMessage() {}, onLost() {} };
const joinRequest = () => buildJoinRequest({ clientInfo: buildClientInfo(), publisherOffer: { sdp: 'v=0\r\n', id: 1 } });

async function connectError(promise: Promise<unknown>): Promise<ConnectError> {
  const err = await promise.then(
    () => {
      throw new Error('connect unexpectedly succeeded');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConnectError);
  return err as ConnectError;
}

describe('SignalClient connect errors', () => {
  let endpoint: FakeEndpoint | undefined;
  afterEach(async () => {
    await endpoint?.close();
    endpoint = undefined;
  });

  it('maps a refused upgrade (401) to unauthorized with the validate explanation', async () => {
    endpoint = await FakeEndpoint.start({
      refuse: { status: 401, body: '' },
      validate: { status: 401, body: 'invalid token: token is expired' },
    });
    const client = new SignalClient(silent);
    const err = await connectError(client.connect(endpoint.url, TOKEN, joinRequest()));
    expect(err.reason).toBe(ConnectErrorReason.Unauthorized);
    expect(err.httpStatus).toBe(401);
    expect(err.body).toBe('invalid token: token is expired');
    expect(err.message).toContain('token is expired');

    // Validate was asked with the same credentials and join request, over http.
    expect(endpoint.validateRequests).toHaveLength(1);
    const v = endpoint.validateRequests[0];
    expect(v.url.pathname).toBe('/rtc/v1/validate');
    expect(v.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(v.url.searchParams.get('access_token')).toBe(TOKEN);
    expect(v.url.searchParams.get('join_request')).toBe(endpoint.upgrades[0].url.searchParams.get('join_request'));
    await client.close();
  });

  it('keeps the upgrade body when validate has nothing better', async () => {
    endpoint = await FakeEndpoint.start({ refuse: { status: 403, body: 'no permission' } });
    const err = await connectError(new SignalClient(silent).connect(endpoint.url, TOKEN, joinRequest()));
    expect(err.reason).toBe(ConnectErrorReason.Unauthorized);
    expect(err.httpStatus).toBe(403);
    expect(err.body).toBe('no permission');
  });

  it('maps 404 to notFound and 5xx to serverUnreachable', async () => {
    endpoint = await FakeEndpoint.start({
      refuse: { status: 404, body: '' },
      validate: { status: 404, body: 'requested room does not exist' },
    });
    const notFound = await connectError(new SignalClient(silent).connect(endpoint.url, TOKEN, joinRequest()));
    expect(notFound.reason).toBe(ConnectErrorReason.NotFound);
    expect(notFound.httpStatus).toBe(404);
    expect(notFound.body).toBe('requested room does not exist');
    await endpoint.close();

    endpoint = await FakeEndpoint.start({ refuse: { status: 503, body: 'overloaded' } });
    const unavailable = await connectError(new SignalClient(silent).connect(endpoint.url, TOKEN, joinRequest()));
    expect(unavailable.reason).toBe(ConnectErrorReason.ServerUnreachable);
    expect(unavailable.httpStatus).toBe(503);
  });

  it('sends the token as Bearer header and access_token, and the join request, on /rtc/v1', async () => {
    endpoint = await FakeEndpoint.start();
    const client = new SignalClient(silent);
    const connecting = client.connect(`${endpoint.url}/prefix`, TOKEN, joinRequest());
    await endpoint.send({
      case: 'join',
      value: new JoinResponse({ room: new RoomInfo({ name: 'r' }), participant: new ParticipantInfo({ sid: 'PA_x' }) }),
    });
    const first = await connecting;
    expect(first.case).toBe('join');
    const upgrade = endpoint.upgrades[0];
    expect(upgrade.url.pathname).toBe('/prefix/rtc/v1');
    expect(upgrade.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(upgrade.url.searchParams.get('access_token')).toBe(TOKEN);
    const sent = decodeJoinRequest(upgrade.url.searchParams.get('join_request')!);
    expect(sent.publisherOffer?.id).toBe(1);
    await client.close();
  });

  it('fails fast with serverUnreachable on a closed port', async () => {
    const port = await freeTcpPort();
    const started = Date.now();
    const err = await connectError(new SignalClient(silent).connect(`ws://127.0.0.1:${port}`, TOKEN, joinRequest()));
    expect(err.reason).toBe(ConnectErrorReason.ServerUnreachable);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('times out when the server never answers the upgrade', async () => {
    endpoint = await FakeEndpoint.start({ hang: true });
    const err = await connectError(
      new SignalClient(silent).connect(endpoint.url, TOKEN, joinRequest(), { timeoutMs: 300 }),
    );
    expect(err.reason).toBe(ConnectErrorReason.Timeout);
  });

  it('is cancelled by an AbortSignal, before and during the attempt', async () => {
    endpoint = await FakeEndpoint.start({ hang: true });
    const before = await connectError(
      new SignalClient(silent).connect(endpoint.url, TOKEN, joinRequest(), { signal: AbortSignal.abort('nope') }),
    );
    expect(before.reason).toBe(ConnectErrorReason.Cancelled);

    const controller = new AbortController();
    const during = new SignalClient(silent).connect(endpoint.url, TOKEN, joinRequest(), { signal: controller.signal });
    await waitUntil(() => endpoint!.upgrades.length > 0);
    controller.abort(new Error('user gave up'));
    const err = await connectError(during);
    expect(err.reason).toBe(ConnectErrorReason.Cancelled);
    expect(err.message).toContain('user gave up');
  });

  it('is cancelled by close() during the attempt', async () => {
    endpoint = await FakeEndpoint.start({ hang: true });
    const client = new SignalClient(silent);
    const connecting = client.connect(endpoint.url, TOKEN, joinRequest());
    await waitUntil(() => endpoint!.upgrades.length > 0);
    await client.close();
    expect((await connectError(connecting)).reason).toBe(ConnectErrorReason.Cancelled);
  });

  it('requires the join response to be the first message', async () => {
    endpoint = await FakeEndpoint.start();
    const connecting = new SignalClient(silent).connect(endpoint.url, TOKEN, joinRequest());
    await endpoint.send({ case: 'refreshToken', value: 'x' });
    const err = await connectError(connecting);
    expect(err.reason).toBe(ConnectErrorReason.Protocol);
    expect(err.message).toContain('refreshToken');
  });

  it('reports a leave instead of a join as leaveRequest with the leave attached', async () => {
    endpoint = await FakeEndpoint.start();
    const connecting = new SignalClient(silent).connect(endpoint.url, TOKEN, joinRequest());
    await endpoint.send({
      case: 'leave',
      value: new LeaveRequest({ reason: DisconnectReason.STATE_MISMATCH, action: LeaveRequest_Action.RECONNECT }),
    });
    const err = await connectError(connecting);
    expect(err.reason).toBe(ConnectErrorReason.LeaveRequest);
    expect(err.leave?.action).toBe(LeaveRequest_Action.RECONNECT);
    expect(err.leave?.reason).toBe(DisconnectReason.STATE_MISMATCH);
  });

  it('reports a socket closed before the join', async () => {
    endpoint = await FakeEndpoint.start();
    const connecting = new SignalClient(silent).connect(endpoint.url, TOKEN, joinRequest());
    (await endpoint.client()).close(1011, 'boom');
    const err = await connectError(connecting);
    expect(err.reason).toBe(ConnectErrorReason.ServerUnreachable);
    expect(err.message).toContain('1011');
  });
});

async function waitUntil(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setImmediate(r));
  }
}
