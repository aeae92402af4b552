// A signal endpoint that we script message by message, to see what the SDK does with a server that
// lies, contradicts itself or sends garbage. It speaks the real protocol over a real WebSocket on
// 127.0.0.1 and answers the SDK's offer with the dev SFU's transport code, so it also has a real
// `_data_track` to send arbitrary DTP packets on. Nothing here routes or validates anything.

import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  DataTrackInfo,
  DataTrackSubscriberHandles,
  DataTrackSubscriberHandles_PublishedDataTrack,
  JoinResponse,
  ParticipantInfo,
  ParticipantInfo_State,
  ParticipantUpdate,
  Room as RoomInfo,
  ServerInfo,
  SessionDescription,
  SignalRequest,
  SignalResponse,
  SignalTarget,
  TrickleRequest,
  type JoinRequest,
} from '@livekit/protocol';
import type { DataChannel } from 'node-datachannel';
import { WebSocketServer, type WebSocket } from 'ws';
import { mintToken } from '../../../lib/dev-server/auth';
import { decodeJoinRequestParam } from '../../../lib/dev-server/join-request';
import { createLogger } from '../../../lib/dev-server/log';
import { PeerTransport } from '../../../lib/dev-server/transport';
import { withTimeout } from '../../signal/helpers/fake-endpoint';
import { Condition } from '../../helpers/condition';

export type Response = SignalResponse['message'];

export interface JoinScript {
  /** Seconds, as sent (default 5 / 15). */
  pingInterval?: number;
  pingTimeout?: number;
  /** Participants already in the room. */
  others?: ParticipantInfo[];
  /** Every message as protojson text frames, as livekit-server answers a JSON client. */
  json?: boolean;
}

const TIMEOUT_MS = 10_000;

/** A remote participant's info with the given data tracks. */
export function participant(identity: string, tracks: Array<Partial<DataTrackInfo>>, version = 1, sid = `PA_${identity}`): ParticipantInfo {
  return new ParticipantInfo({
    sid,
    identity,
    state: ParticipantInfo_State.ACTIVE,
    version,
    dataTracks: tracks.map((t) => new DataTrackInfo(t)),
  });
}

export function update(...infos: ParticipantInfo[]): Response {
  return { case: 'update', value: new ParticipantUpdate({ participants: infos }) };
}

export function handles(map: Record<number, { sid: string; publisher?: string }>): Response {
  const subHandles: Record<number, DataTrackSubscriberHandles_PublishedDataTrack> = {};
  for (const [h, { sid, publisher }] of Object.entries(map)) {
    subHandles[Number(h)] = new DataTrackSubscriberHandles_PublishedDataTrack({ trackSid: sid, publisherIdentity: publisher ?? 'bob', publisherSid: `PA_${publisher ?? 'bob'}` });
  }
  return { case: 'dataTrackSubscriberHandles', value: new DataTrackSubscriberHandles({ subHandles }) };
}

/** One SDK connection to the hostile server. */
export class HostileSession {
  readonly requests: SignalRequest[] = [];
  private readonly changes = new Condition();
  private transport: PeerTransport | null = null;
  private dataTrack: DataChannel | null = null;
  closed = false;

  constructor(
    private readonly ws: WebSocket,
    readonly identity: string,
    join: JoinRequest,
    private readonly script: JoinScript,
  ) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (!isBinary) return;
      const req = SignalRequest.fromBinary(data);
      this.requests.push(req);
      if (req.message.case === 'trickle') this.transport?.addRemoteCandidate(req.message.value.candidateInit);
      if (req.message.case === 'offer') this.answer(req.message.value);
      this.wake();
    });
    ws.on('close', () => {
      this.closed = true;
      this.wake();
    });
    this.send({
      case: 'join',
      value: new JoinResponse({
        room: new RoomInfo({ sid: 'RM_hostile', name: 'hostile' }),
        participant: new ParticipantInfo({ sid: `PA_${identity}`, identity, state: ParticipantInfo_State.JOINED, version: 1 }),
        otherParticipants: script.others ?? [],
        serverInfo: new ServerInfo({ version: '1.13.5', protocol: 17 }),
        pingInterval: script.pingInterval ?? 5,
        pingTimeout: script.pingTimeout ?? 15,
      }),
    });
    if (join.publisherOffer) this.answer(join.publisherOffer);
  }

  send(message: Response): void {
    const response = new SignalResponse({ message });
    this.sendRaw(this.script.json ? response.toJsonString() : response.toBinary());
  }

  sendRaw(bytes: Uint8Array | string): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(bytes);
  }

  /** Writes one message on the SDK's `_data_track`, as the SFU would forward a packet. */
  sendPacket(packet: Uint8Array): void {
    if (!this.dataTrack) throw new Error('no _data_track yet');
    this.dataTrack.sendMessageBinary(Buffer.from(packet));
  }

  /** Resolves once the SDK's `_data_track` is adopted and open. */
  waitDataTrack(): Promise<void> {
    return this.until(() => (this.dataTrack ? true : undefined), '_data_track').then(() => undefined);
  }

  /** The first request (received or future) matching `pred`. */
  waitFor(pred: (r: SignalRequest) => boolean, what: string): Promise<SignalRequest> {
    return this.until(() => this.requests.find(pred), what);
  }

  waitClosed(): Promise<void> {
    return this.until(() => (this.closed ? true : undefined), 'the socket to close').then(() => undefined);
  }

  count(kind: SignalRequest['message']['case']): number {
    return this.requests.filter((r) => r.message.case === kind).length;
  }

  async close(): Promise<void> {
    this.ws.terminate();
    await this.transport?.close();
  }

  private answer(offer: SessionDescription): void {
    const transport = new PeerTransport(
      { bindAddress: '127.0.0.1' },
      {
        onAnswer: (sdp) => this.send({ case: 'answer', value: new SessionDescription({ type: 'answer', sdp, id: offer.id }) }),
        onLocalCandidate: (candidateInit) =>
          this.send({ case: 'trickle', value: new TrickleRequest({ candidateInit, target: SignalTarget.PUBLISHER }) }),
        onConnected: () => undefined,
        onLost: () => undefined,
        onDataChannel: (label, channel) => {
          if (label === '_data_track') {
            this.dataTrack = channel;
            this.wake();
          }
        },
        onMessage: () => undefined,
      },
      createLogger(),
    );
    void this.transport?.close();
    this.transport = transport;
    transport.applyOffer(offer.sdp);
  }

  private wake(): void {
    this.changes.wake();
  }

  private until<T>(check: () => T | undefined, what: string): Promise<T> {
    return this.changes.until(check, `${this.identity}: ${what}`, TIMEOUT_MS);
  }
}

export class HostileServer {
  /** What the next join gets; tests set it before connecting. */
  script: JoinScript = {};
  private readonly sessions: HostileSession[] = [];
  private sessionWaiters: Array<(s: HostileSession) => void> = [];
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: http.Server) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const param = url.searchParams.get('join_request');
      if (!param) return void socket.destroy();
      const join = decodeJoinRequestParam(param);
      const token = url.searchParams.get('access_token') ?? req.headers.authorization?.slice('Bearer '.length) ?? '';
      const identity = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8') || '{}').sub ?? 'anonymous';
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const session = new HostileSession(ws, identity, join, this.script);
        this.sessions.push(session);
        for (const w of this.sessionWaiters.splice(0)) w(session);
      });
    });
  }

  static async start(): Promise<HostileServer> {
    const server = http.createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new HostileServer(server);
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  token(identity: string): Promise<string> {
    return mintToken('devkey', 'secret', identity, { room: 'hostile' });
  }

  /** The next SDK connection (call before connecting). */
  nextSession(): Promise<HostileSession> {
    return withTimeout(new Promise((resolve) => this.sessionWaiters.push(resolve)), TIMEOUT_MS, 'an SDK connection');
  }

  async close(): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.close()));
    this.wss.close();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
