// A loopback stand-in for the Room + SFU, for unit tests of the data-track controller: each peer
// is a DataTrackHost, signal messages are answered the way the SFU answers them, and packets are
// forwarded with the native codec's handle rewrite. This tests the controller, not the SFU.

import {
  DataBlobKey,
  DataTrackInfo,
  DataTrackSubscriberHandles,
  DataTrackSubscriberHandles_PublishedDataTrack,
  GetDataBlobResponse,
  DataBlob,
  JoinResponse,
  ParticipantInfo,
  ParticipantInfo_State,
  PublishDataTrackResponse,
  RequestResponse,
  RequestResponse_Reason,
  type SignalResponse,
  StoreDataBlobResponse,
  UnpublishDataTrackResponse,
} from '@livekit/protocol';
import { native } from '../../lib/native/binding';
import { DataTrackController, type DataTrackControllerOptions } from '../../lib/datatrack/controller';
import type { DataTrackChannel, DataTrackHost, SignalMessage } from '../../lib/datatrack/host';

type Response = SignalResponse['message'];

/** A data channel with an SCTP-like send buffer that drains asynchronously. */
export class LoopbackChannel implements DataTrackChannel {
  isOpen = true;
  bufferedAmount = 0;
  /** Every packet accepted, in order (for assertions about framing). */
  readonly sent: Buffer[] = [];
  private lowThreshold = 0;
  private lowListeners: Array<() => void> = [];
  private queue: Buffer[] = [];
  private draining = false;
  /** Bytes delivered per drain step; small values simulate a slow link. */
  drainBytesPerTick = Number.POSITIVE_INFINITY;
  paused = false;

  constructor(private readonly deliver: (packet: Buffer) => void) {}

  send(packet: Uint8Array): boolean {
    if (!this.isOpen) return false;
    const copy = Buffer.from(packet);
    this.sent.push(copy);
    this.queue.push(copy);
    this.bufferedAmount += copy.length;
    this.scheduleDrain();
    return true;
  }

  onBufferedAmountLow(listener: () => void): void {
    this.lowListeners.push(listener);
  }

  setBufferedAmountLowThreshold(bytes: number): void {
    this.lowThreshold = bytes;
  }

  resume(): void {
    this.paused = false;
    this.scheduleDrain();
  }

  private scheduleDrain(): void {
    if (this.draining || this.paused) return;
    this.draining = true;
    setImmediate(() => {
      this.draining = false;
      if (this.paused) return;
      const before = this.bufferedAmount;
      let budget = this.drainBytesPerTick;
      while (this.queue.length > 0 && budget > 0) {
        const p = this.queue.shift()!;
        budget -= p.length;
        this.bufferedAmount -= p.length;
        this.deliver(p);
      }
      if (before > this.lowThreshold && this.bufferedAmount <= this.lowThreshold) {
        for (const l of this.lowListeners) l();
      }
      if (this.queue.length > 0) this.scheduleDrain();
    });
  }
}

interface Track {
  info: DataTrackInfo;
  publisher: FakePeer;
  subscribers: Map<FakePeer, number>;
}

export class FakePeer implements DataTrackHost {
  readonly controller: DataTrackController;
  readonly signals: SignalMessage[] = [];
  channel: LoopbackChannel | null;
  connected = true;
  reconnecting = false;
  version = 1;
  readonly sid: string;

  constructor(
    readonly sfu: FakeSfu,
    readonly identity: string,
    readonly canPublishData: boolean,
    options: DataTrackControllerOptions,
  ) {
    this.sid = `PA_${identity}`;
    this.channel = new LoopbackChannel((p) => sfu.onPacket(this, p));
    this.controller = new DataTrackController(this, options);
  }

  sendSignal(message: SignalMessage): void {
    this.signals.push(message);
    // The network: answers come back on a later turn of the event loop.
    setImmediate(() => this.sfu.onSignal(this, message));
  }

  dataTrackChannel(): DataTrackChannel | null {
    return this.channel;
  }

  localIdentity(): string {
    return this.identity;
  }

  isConnected(): boolean {
    return this.connected;
  }

  isReconnecting(): boolean {
    return this.reconnecting;
  }

  waitUntilReady(): Promise<void> {
    return this.connected ? Promise.resolve() : Promise.reject(new Error('not connected'));
  }

  /** Signal messages of one kind that this peer sent. */
  sentOf<C extends NonNullable<SignalMessage['case']>>(c: C): Array<Extract<SignalMessage, { case: C }>['value']> {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    return this.signals.filter((m) => m.case === c).map((m) => m.value) as any;
  }

  respond(message: Response): void {
    setImmediate(() => {
      if (this.connected) this.controller.onSignalResponse(message);
    });
  }
}

export class FakeSfu {
  readonly peers = new Map<string, FakePeer>();
  readonly tracks = new Map<string, Track>();
  private nextSid = 1;
  private nextSubHandle = 100;
  private readonly blobs = new Map<string, Uint8Array>();
  /** When false, publish requests are ignored (an SFU without data tracks). */
  answersPublish = true;
  /** Every packet forwarded to a subscriber (after the handle rewrite). */
  readonly forwarded: Buffer[] = [];

  join(identity: string, options: DataTrackControllerOptions & { canPublishData?: boolean } = {}): FakePeer {
    const peer = new FakePeer(this, identity, options.canPublishData ?? true, options);
    const others = [...this.peers.values()];
    this.peers.set(identity, peer);
    const otherInfos = others.map((p) => this.infoOf(p));
    peer.controller.onJoined(new JoinResponse({ participant: this.infoOf(peer), otherParticipants: otherInfos }));
    for (const info of otherInfos) peer.controller.onRemoteParticipantInfo(info);
    peer.controller.onChannelOpen();
    this.broadcastInfo(peer);
    return peer;
  }

  leave(peer: FakePeer): void {
    this.peers.delete(peer.identity);
    for (const [sid, t] of [...this.tracks]) {
      if (t.publisher === peer) this.removeTrack(sid);
      else if (t.subscribers.delete(peer)) void 0;
    }
    peer.connected = false;
    peer.controller.onDisconnected('client initiated');
    for (const p of this.peers.values()) setImmediate(() => p.controller.onRemoteParticipantLeft(peer.identity));
  }

  infoOf(peer: FakePeer): ParticipantInfo {
    return new ParticipantInfo({
      sid: peer.sid,
      identity: peer.identity,
      state: ParticipantInfo_State.ACTIVE,
      version: peer.version,
      dataTracks: [...this.tracks.values()].filter((t) => t.publisher === peer).map((t) => t.info),
    });
  }

  broadcastInfo(subject: FakePeer): void {
    subject.version++;
    const info = this.infoOf(subject);
    for (const p of this.peers.values()) {
      if (p !== subject) setImmediate(() => p.connected && p.controller.onRemoteParticipantInfo(info));
    }
  }

  /** A full reconnect of the publisher as the SFU sees it: same tracks, new SIDs. */
  reassignSids(peer: FakePeer): void {
    for (const [sid, t] of [...this.tracks]) {
      if (t.publisher !== peer) continue;
      this.tracks.delete(sid);
      const newSid = `DTR_${this.nextSid++}`;
      t.info = new DataTrackInfo({ ...t.info, sid: newSid });
      t.subscribers.clear();
      this.tracks.set(newSid, t);
    }
    this.broadcastInfo(peer);
  }

  onSignal(peer: FakePeer, m: SignalMessage): void {
    if (!peer.connected) return;
    switch (m.case) {
      case 'publishDataTrackRequest': {
        if (!this.answersPublish) return;
        const req = m.value;
        const reject = (reason: RequestResponse_Reason) =>
          peer.respond({ case: 'requestResponse', value: new RequestResponse({ reason, request: { case: 'publishDataTrack', value: req } }) });
        if (!peer.canPublishData) return reject(RequestResponse_Reason.NOT_ALLOWED);
        const mine = [...this.tracks.values()].filter((t) => t.publisher === peer);
        if (mine.some((t) => t.info.pubHandle === req.pubHandle)) return reject(RequestResponse_Reason.DUPLICATE_HANDLE);
        if (mine.some((t) => t.info.name === req.name)) return reject(RequestResponse_Reason.DUPLICATE_NAME);
        const info = new DataTrackInfo({
          pubHandle: req.pubHandle,
          sid: `DTR_${this.nextSid++}`,
          name: req.name,
          encryption: req.encryption,
          frameEncoding: req.frameEncoding,
          schema: req.schema,
        });
        this.tracks.set(info.sid, { info, publisher: peer, subscribers: new Map() });
        peer.respond({ case: 'publishDataTrackResponse', value: new PublishDataTrackResponse({ info }) });
        this.broadcastInfo(peer);
        return;
      }
      case 'unpublishDataTrackRequest': {
        const t = [...this.tracks.values()].find((x) => x.publisher === peer && x.info.pubHandle === m.value.pubHandle);
        if (!t) {
          peer.respond({
            case: 'requestResponse',
            value: new RequestResponse({ reason: RequestResponse_Reason.NOT_FOUND, request: { case: 'unpublishDataTrack', value: m.value } }),
          });
          return;
        }
        this.removeTrack(t.info.sid);
        peer.respond({ case: 'unpublishDataTrackResponse', value: new UnpublishDataTrackResponse({ info: t.info }) });
        return;
      }
      case 'updateDataSubscription': {
        for (const u of m.value.updates) {
          const t = this.tracks.get(u.trackSid);
          if (!t) continue;
          if (u.subscribe) {
            if (!t.subscribers.has(peer)) t.subscribers.set(peer, this.nextSubHandle++);
          } else t.subscribers.delete(peer);
        }
        this.sendHandles(peer);
        return;
      }
      case 'storeDataBlobRequest': {
        const key = `${peer.identity}/${keyOf(m.value.blob?.key)}`;
        this.blobs.set(key, m.value.blob?.contents ?? new Uint8Array());
        peer.respond({ case: 'storeDataBlobResponse', value: new StoreDataBlobResponse({ requestId: m.value.requestId }) });
        return;
      }
      case 'getDataBlobRequest': {
        const contents = this.blobs.get(`${m.value.participantIdentity}/${keyOf(m.value.key)}`);
        if (!contents) {
          peer.respond({ case: 'requestResponse', value: new RequestResponse({ requestId: m.value.requestId, reason: RequestResponse_Reason.NOT_FOUND }) });
          return;
        }
        peer.respond({
          case: 'getDataBlobResponse',
          value: new GetDataBlobResponse({ requestId: m.value.requestId, blob: new DataBlob({ key: m.value.key, contents }) }),
        });
        return;
      }
      default:
        return;
    }
  }

  onPacket(from: FakePeer, packet: Buffer): void {
    const handle = packet.readUInt16BE(2);
    const t = [...this.tracks.values()].find((x) => x.publisher === from && x.info.pubHandle === handle);
    if (!t) return;
    for (const [sub, subHandle] of t.subscribers) {
      const out = native().forwardPacket(packet, subHandle);
      this.forwarded.push(out);
      setImmediate(() => sub.connected && sub.controller.onDataTrackMessage(out));
    }
  }

  private removeTrack(sid: string): void {
    const t = this.tracks.get(sid);
    if (!t) return;
    this.tracks.delete(sid);
    this.broadcastInfo(t.publisher);
    for (const sub of t.subscribers.keys()) this.sendHandles(sub);
  }

  private sendHandles(peer: FakePeer): void {
    const subHandles: Record<number, DataTrackSubscriberHandles_PublishedDataTrack> = {};
    for (const t of this.tracks.values()) {
      const h = t.subscribers.get(peer);
      if (h !== undefined) {
        subHandles[h] = new DataTrackSubscriberHandles_PublishedDataTrack({
          publisherIdentity: t.publisher.identity,
          publisherSid: t.publisher.sid,
          trackSid: t.info.sid,
        });
      }
    }
    peer.respond({ case: 'dataTrackSubscriberHandles', value: new DataTrackSubscriberHandles({ subHandles }) });
  }
}

function keyOf(key: DataBlobKey | undefined): string {
  const k = key?.key;
  if (k?.case === 'schemaId') return `schema:${k.value.name}:${JSON.stringify(k.value.encoding?.value ?? null)}`;
  if (k?.case === 'generic') return `generic:${k.value}`;
  return '?';
}

/** Resolves on the first emission of `event` from `emitter` (bounded). */
export function nextEvent<T extends unknown[]>(
  emitter: { once(e: string, l: (...a: T) => void): unknown },
  event: string,
  timeoutMs = 2000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${event}' within ${timeoutMs} ms`)), timeoutMs);
    emitter.once(event, (...args: T) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}
