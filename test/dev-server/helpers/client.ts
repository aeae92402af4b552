// A minimal LiveKit signal + WebRTC client for testing the dev SFU over real sockets:
// ws + @livekit/protocol + node-datachannel, joining via /rtc/v1 with the offer in join_request.

import { gzipSync } from 'node:zlib';
import {
  ClientInfo,
  ClientInfo_SDK,
  ConnectionSettings,
  JoinRequest,
  LeaveRequest,
  LeaveRequest_Action,
  DisconnectReason,
  PublishDataTrackRequest,
  SessionDescription,
  SignalRequest,
  SignalResponse,
  SignalTarget,
  TrickleRequest,
  UpdateDataSubscription,
  UpdateDataSubscription_Update,
  WrappedJoinRequest,
  WrappedJoinRequest_Compression,
  type JoinResponse,
  type SyncState,
} from '@livekit/protocol';
import { Audio, PeerConnection, Video, type DataChannel } from 'node-datachannel';
import WebSocket from 'ws';
import { withTimeout } from './wait';
import { Condition } from '../../helpers/condition';

type Message = SignalResponse['message'];
type Case = NonNullable<Message['case']>;
type ValueOf<C extends Case> = Extract<Message, { case: C }>['value'];

export interface ConnectOptions {
  autoSubscribeDataTrack?: boolean;
  /** Use the v0 `/rtc` query form (offer sent after join). */
  v0?: boolean;
  /** Token in `Authorization: Bearer` instead of `access_token`. */
  bearer?: boolean;
  gzip?: boolean;
  /** Strip base64 padding from join_request. */
  unpadded?: boolean;
  /** Add 3 audio + 3 video recvonly sections, like livekit-client does. */
  media?: boolean;
  /** Resume: reconnect=true with this participant SID. */
  resumeSid?: string;
  /** Do not create a peer connection at all (signal-only tests). */
  noPeerConnection?: boolean;
  /** Wait for `join` (or `reconnect`) before resolving (default true). */
  waitJoin?: boolean;
}

const TIMEOUT = 10_000;

export class TestClient {
  readonly inbox: Message[] = [];
  /** The case of every message received, in order (never consumed). */
  readonly caseLog: string[] = [];
  readonly packets: Buffer[] = [];
  /** Signal messages that arrived as text (protojson) frames. */
  textFrames = 0;
  private readonly changes = new Condition();
  join!: JoinResponse;
  pc: PeerConnection | null = null;
  readonly channels = new Map<string, DataChannel>();
  private ws!: WebSocket;
  private wsClosed = false;
  /**
   * Local candidates are held until the SFU's answer is applied. libdatachannel verifies the DTLS
   * peer against the remote description's fingerprint and fails the connection if there is none yet;
   * the SFU's answer reaches us a little after `join` (it comes from an asynchronous native callback
   * there), while our trickled candidates would let the SFU start ICE and DTLS right away. Holding
   * them is what lib/transport's PublisherTransport does too.
   */
  private localCandidates: string[] = [];
  private answered = false;
  private offerId = 1;
  closeInfo: { code: number } | null = null;
  pcState = 'new';
  /** Every peer-connection state, in order (for diagnosing failed connections). */
  readonly pcStates: string[] = [];

  private constructor(readonly identity: string) {}

  static async connect(baseUrl: string, token: string, identity: string, opts: ConnectOptions = {}): Promise<TestClient> {
    const c = new TestClient(identity);
    await c.open(baseUrl, token, opts);
    return c;
  }

  private async open(baseUrl: string, token: string, opts: ConnectOptions): Promise<void> {
    let offer: string | null = null;
    if (!opts.noPeerConnection) offer = await this.createPeerConnection(!!opts.media);
    const url = new URL(baseUrl);
    const settings = new ConnectionSettings({ autoSubscribe: true });
    if (opts.autoSubscribeDataTrack !== undefined) settings.autoSubscribeDataTrack = opts.autoSubscribeDataTrack;
    if (opts.v0) {
      url.pathname = url.pathname.replace(/\/$/, '') + '/rtc';
      url.searchParams.set('protocol', '17');
      url.searchParams.set('sdk', 'node');
      if (opts.autoSubscribeDataTrack !== undefined) url.searchParams.set('auto_subscribe_data_track', opts.autoSubscribeDataTrack ? '1' : '0');
      if (opts.resumeSid) {
        url.searchParams.set('reconnect', '1');
        url.searchParams.set('sid', opts.resumeSid);
      }
    } else {
      url.pathname = url.pathname.replace(/\/$/, '') + '/rtc/v1';
      const join = new JoinRequest({
        clientInfo: new ClientInfo({ sdk: ClientInfo_SDK.NODE, protocol: 17, clientProtocol: 2, version: '0.0.0-test' }),
        connectionSettings: settings,
        reconnect: !!opts.resumeSid,
        participantSid: opts.resumeSid ?? '',
        // A resume's offer goes as a signal `offer` after the ReconnectResponse, as livekit-server
        // ignores one inside the resume request.
        publisherOffer: offer && !opts.resumeSid ? new SessionDescription({ type: 'offer', sdp: offer, id: this.offerId }) : undefined,
      });
      url.searchParams.set('join_request', encodeJoinRequest(join, !!opts.gzip, !!opts.unpadded));
    }
    const headers: Record<string, string> = {};
    if (opts.bearer) headers.Authorization = `Bearer ${token}`;
    else url.searchParams.set('access_token', token);

    this.ws = new WebSocket(url.toString(), { headers });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('message', (data: Buffer, isBinary: boolean) => this.receive(data, isBinary));
    this.ws.on('close', (code) => {
      this.wsClosed = true;
      this.closeInfo = { code };
      this.wake();
    });
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        this.ws.once('open', () => resolve());
        this.ws.once('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString()));
          res.on('end', () => reject(Object.assign(new Error(`HTTP ${res.statusCode}: ${body}`), { status: res.statusCode, body })));
        });
        this.ws.once('error', reject);
      }),
      TIMEOUT,
      'the signal socket to open',
    );
    if (opts.waitJoin === false) return;
    if (opts.resumeSid) {
      await this.next('reconnect');
    } else {
      this.join = await this.next('join');
    }
    if ((opts.v0 || opts.resumeSid) && offer) this.send({ case: 'offer', value: new SessionDescription({ type: 'offer', sdp: offer, id: this.offerId }) });
  }

  /** Resolves with the first local offer once the three LiveKit channels exist. */
  private createPeerConnection(media: boolean): Promise<string> {
    const pc = new PeerConnection(`test-${this.identity}`, { iceServers: [], bindAddress: '127.0.0.1', maxMessageSize: 65536 });
    this.pc = pc;
    const offer = new Promise<string>((resolve) => {
      pc.onLocalDescription((sdp, type) => {
        if (type === 'offer') resolve(sdp);
      });
    });
    pc.onLocalCandidate((candidate, mid) => {
      const init = JSON.stringify({ candidate: candidate.replace(/^a=/, ''), sdpMid: mid, sdpMLineIndex: 0 });
      if (this.answered) this.sendTrickle(init);
      else this.localCandidates.push(init);
    });
    pc.onStateChange((state) => {
      this.pcState = state;
      this.pcStates.push(state);
      this.wake();
    });
    if (media) {
      // node-datachannel keeps the event loop alive for every Track until its closed event has been
      // delivered (or the wrapper is garbage collected): listen for it so closing the connection
      // releases the tracks at once and the process can exit.
      for (let i = 0; i < 3; i++) {
        const a = new Audio(`a${i}`, 'RecvOnly');
        a.addOpusCodec(111);
        pc.addTrack(a).onClosed(() => undefined);
      }
      for (let i = 0; i < 3; i++) {
        const v = new Video(`v${i}`, 'RecvOnly');
        v.addVP8Codec(96);
        pc.addTrack(v).onClosed(() => undefined);
      }
    }
    this.addChannel(pc.createDataChannel('_reliable'));
    this.addChannel(pc.createDataChannel('_lossy', { unordered: true, maxRetransmits: 0 }));
    this.addChannel(pc.createDataChannel('_data_track', { unordered: true, maxRetransmits: 0 }));
    return withTimeout(offer, TIMEOUT, 'the local offer');
  }

  private addChannel(dc: DataChannel): void {
    const label = dc.getLabel();
    this.channels.set(label, dc);
    dc.onOpen(() => this.wake());
    dc.onClosed(() => this.wake());
    dc.onMessage((msg) => {
      if (label !== '_data_track' || typeof msg === 'string') return;
      this.packets.push(Buffer.isBuffer(msg) ? msg : Buffer.from(msg));
      this.wake();
    });
  }

  private receive(data: Buffer, isBinary: boolean): void {
    if (!isBinary) this.textFrames++;
    const res = isBinary ? SignalResponse.fromBinary(data) : SignalResponse.fromJsonString(data.toString('utf8'));
    const msg = res.message;
    if (msg.case === 'answer' && this.pc) {
      try {
        this.pc.setRemoteDescription(msg.value.sdp, 'answer');
      } catch (err) {
        this.inbox.push({ case: 'leave', value: new LeaveRequest() });
        throw err;
      }
      this.answered = true;
      for (const c of this.localCandidates.splice(0)) this.sendTrickle(c);
    } else if (msg.case === 'trickle' && this.pc) {
      const init = JSON.parse(msg.value.candidateInit);
      try {
        this.pc.addRemoteCandidate(init.candidate, init.sdpMid);
      } catch {
        /* a candidate for a connection that is gone */
      }
    }
    this.caseLog.push(msg.case ?? 'empty');
    this.inbox.push(msg);
    this.wake();
  }

  private wake(): void {
    this.changes.wake();
  }

  /** Resolves when `check` returns a value; re-checked on every message, packet or state change. */
  private until<T>(check: () => T | undefined, what: string, timeout = TIMEOUT): Promise<T> {
    return this.changes.until(check, `${this.identity}: ${what}`, timeout);
  }

  /** Takes the first unconsumed message of this case (matching `pred`) from the inbox, waiting for it. */
  next<C extends Case>(kind: C, pred: (v: ValueOf<C>) => boolean = () => true, timeout = TIMEOUT): Promise<ValueOf<C>> {
    return this.until(() => {
      const i = this.inbox.findIndex((m) => m.case === kind && pred(m.value as ValueOf<C>));
      if (i < 0) return undefined;
      return this.inbox.splice(i, 1)[0].value as ValueOf<C>;
    }, `a ${kind} message`, timeout);
  }

  /** Messages of this case received so far (not consumed). */
  received<C extends Case>(kind: C): ValueOf<C>[] {
    return this.inbox.filter((m) => m.case === kind).map((m) => m.value as ValueOf<C>);
  }

  /** Waits for an update carrying `identity` that satisfies pred; returns that ParticipantInfo. */
  nextUpdate(identity: string, pred: (p: NonNullable<ValueOf<'update'>['participants'][number]>) => boolean = () => true) {
    return this.next('update', (u) => u.participants.some((p) => p.identity === identity && pred(p))).then(
      (u) => u.participants.find((p) => p.identity === identity && pred(p))!,
    );
  }

  /** The next subscriber-handle snapshot satisfying pred. */
  nextHandles(pred: (h: Record<number, { trackSid: string; publisherIdentity: string; publisherSid: string }>) => boolean = () => true) {
    return this.next('dataTrackSubscriberHandles', (h) => pred(h.subHandles)).then((h) => h.subHandles);
  }

  nextPacket(timeout = TIMEOUT): Promise<Buffer> {
    return this.until(() => this.packets.shift(), 'a data-track packet', timeout);
  }

  waitClosed(timeout = TIMEOUT): Promise<{ code: number }> {
    return this.until(() => (this.wsClosed ? this.closeInfo! : undefined), 'the signal socket to close', timeout);
  }

  /** Waits until `_data_track` is open (the peer connection is up). */
  waitDataChannel(timeout = TIMEOUT): Promise<void> {
    return this.until(() => (this.channels.get('_data_track')?.isOpen() ? true : undefined), '_data_track to open', timeout).then(
      () => undefined,
    );
  }

  send(message: SignalRequest['message']): void {
    this.ws.send(new SignalRequest({ message }).toBinary());
  }

  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  publish(pubHandle: number, name: string, extra: Partial<PublishDataTrackRequest> = {}): void {
    this.send({ case: 'publishDataTrackRequest', value: new PublishDataTrackRequest({ pubHandle, name, ...extra }) });
  }

  /** Publishes and waits for the success response. */
  async publishOk(pubHandle: number, name: string, extra: Partial<PublishDataTrackRequest> = {}) {
    this.publish(pubHandle, name, extra);
    const res = await this.next('publishDataTrackResponse', (r) => r.info?.pubHandle === pubHandle);
    return res.info!;
  }

  subscribe(trackSid: string, subscribe = true): void {
    this.send({
      case: 'updateDataSubscription',
      value: new UpdateDataSubscription({ updates: [new UpdateDataSubscription_Update({ trackSid, subscribe })] }),
    });
  }

  syncState(state: SyncState): void {
    this.send({ case: 'syncState', value: state });
  }

  sendPacket(packet: Uint8Array): void {
    const dc = this.channels.get('_data_track');
    if (!dc?.isOpen()) throw new Error(`${this.identity}: _data_track is not open`);
    dc.sendMessageBinary(packet);
  }

  leave(): void {
    this.send({ case: 'leave', value: new LeaveRequest({ reason: DisconnectReason.CLIENT_INITIATED, action: LeaveRequest_Action.DISCONNECT }) });
  }

  private sendTrickle(candidateInit: string): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.send({ case: 'trickle', value: new TrickleRequest({ candidateInit, target: SignalTarget.PUBLISHER }) });
  }

  /** Drops the socket without a leave (as a network failure would) but keeps the peer connection. */
  dropSignal(): Promise<void> {
    this.ws.terminate();
    return this.waitClosed().then(() => undefined);
  }

  /** Closes socket and peer connection. */
  async close(): Promise<void> {
    if (this.ws && this.ws.readyState !== WebSocket.CLOSED) {
      this.ws.terminate();
      await this.waitClosed().catch(() => undefined);
    }
    for (const dc of this.channels.values()) {
      try {
        dc.close();
      } catch {
        /* gone */
      }
    }
    if (!this.pc) return;
    try {
      this.pc.close();
    } catch {
      return;
    }
    // libdatachannel releases its native handles once it reports 'closed'; wait so jest can exit.
    await this.until(() => (this.pcState === 'closed' ? true : undefined), 'the peer connection to close', 3000).catch(() => undefined);
  }

  /** Waits until `_data_track` is no longer open (the connection went away). */
  waitDataChannelGone(timeout = TIMEOUT): Promise<void> {
    return this.until(() => (this.channels.get('_data_track')?.isOpen() ? undefined : true), '_data_track to close', timeout).then(
      () => undefined,
    );
  }

  /** Waits for the peer connection to reach a state. */
  waitPcState(state: string, timeout = TIMEOUT): Promise<void> {
    return this.until(() => (this.pcState === state ? true : undefined), `pc state ${state}`, timeout).then(() => undefined);
  }
}

export function encodeJoinRequest(join: JoinRequest, gzip: boolean, unpadded: boolean): string {
  const inner = join.toBinary();
  const wrapped = new WrappedJoinRequest({
    compression: gzip ? WrappedJoinRequest_Compression.GZIP : WrappedJoinRequest_Compression.NONE,
    joinRequest: gzip ? gzipSync(inner) : inner,
  });
  const b64 = Buffer.from(wrapped.toBinary()).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
  return unpadded ? b64.replace(/=+$/, '') : b64;
}
