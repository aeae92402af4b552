// Other participants' data tracks as seen from JS: the native Subscriber owns which tracks exist,
// who holds a name, subscriptions with their requests, retries and deadlines, and the counters;
// this turns its events into RemoteDataTrack objects, streams, promises and EventEmitter events,
// and fans reassembled frames out to the streams.

import { type DataTrackSubscriberHandles, type ParticipantInfo, ParticipantInfo_State } from '../protocol';
import type {
  NativeSubscribedTrackStats,
  NativeSubscribeError,
  NativeSubscriber,
  NativeSubscriberEvent,
} from '../native/binding';
import type { DataTrackFrameCryptor } from '../e2ee/frame-cryptor';
import { DataTrackSubscribeError } from './errors';
import { DataTrackStream } from './frame-stream';
import type { DataTrackHost } from './host';
import { metadataFromNative, remoteTrackInfo, subscriberHandles, updateSubscription } from './proto';
import { RemoteDataTrack, type RemoteTrackOwner } from './remote-track';
import type { DataTrackSubscribeOptions, RemoteDataTrackStats } from './types';
import { Waiters } from './waiters';

export interface RemoteTrackEvents {
  published(track: RemoteDataTrack): void;
  unpublished(track: RemoteDataTrack): void;
}

/** How this reaches the Subscriber of the current connection and tells the controller it was fed. */
export interface SubscriberAccess {
  subscriber(): NativeSubscriber;
  now(): number;
  /** Call after every input: drains the machines' events and re-arms the timer. */
  fed(): void;
}

export class RemoteTracks implements RemoteTrackOwner {
  /** The objects of the current connection's tracks, by the Subscriber's track id. */
  private readonly byTrackId = new Map<number, RemoteDataTrack>();
  /**
   * identity → name → track: the public `participant.dataTracks`, kept as the Subscriber reports
   * who holds each name (live Maps that callers may hold on to).
   */
  private readonly byParticipant = new Map<string, Map<string, RemoteDataTrack>>();
  /** Streams waiting to be ready, by the Subscriber's stream id. */
  private readonly pendingStreams = new Map<number, { track: RemoteDataTrack; stream: DataTrackStream }>();
  private readonly subscribes = new Waiters<DataTrackStream>();
  private readonly trackWaits = new Waiters<RemoteDataTrack>();

  constructor(
    private readonly host: DataTrackHost,
    private readonly access: SubscriberAccess,
    private readonly cryptor: DataTrackFrameCryptor | null,
    private readonly events: RemoteTrackEvents,
  ) {}

  /** The live map for one participant (created on demand so callers can hold on to it). */
  tracksOf(identity: string): Map<string, RemoteDataTrack> {
    let m = this.byParticipant.get(identity);
    if (!m) {
      m = new Map();
      this.byParticipant.set(identity, m);
    }
    return m;
  }

  waitForTrack(identity: string, name: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<RemoteDataTrack> {
    const subscriber = this.access.subscriber();
    const wait = subscriber.waitForTrack(identity, name, options.timeoutMs ?? null, this.access.now());
    const cancel = () => {
      subscriber.cancelWait(wait);
      this.access.fed();
    };
    const found = this.trackWaits.add(wait, options.signal, cancel);
    if (options.signal?.aborted) subscriber.cancelWait(wait);
    this.access.fed();
    return found;
  }

  // ---- discovery ----

  onParticipantInfo(info: ParticipantInfo): void {
    if (info.identity === this.host.localIdentity()) return;
    if (info.state === ParticipantInfo_State.DISCONNECTED) {
      this.onParticipantLeft(info.identity);
      return;
    }
    this.access.subscriber().updateParticipant(info.identity, info.dataTracks.map(remoteTrackInfo), this.access.now());
    this.access.fed();
  }

  onParticipantLeft(identity: string): void {
    this.access.subscriber().removeParticipant(identity, this.access.now());
    this.access.fed();
    this.byParticipant.delete(identity);
  }

  // ---- subscriptions ----

  async subscribe(track: RemoteDataTrack, options: DataTrackSubscribeOptions): Promise<DataTrackStream> {
    const { signal } = options;
    const cancelled = () => new DataTrackSubscribeError('cancelled', `subscribing to '${track.name}' was cancelled`);
    const unpublished = () => new DataTrackSubscribeError('unpublished', `data track '${track.name}' is not published`);
    if (signal?.aborted) throw cancelled();
    if (!track.isPublished) throw unpublished();
    if (!this.host.isConnected()) throw new DataTrackSubscribeError('disconnected', 'the room is not connected');
    if (this.host.isReconnecting()) {
      try {
        await this.host.waitUntilReady(signal);
      } catch (err) {
        if (signal?.aborted) throw cancelled();
        throw new DataTrackSubscribeError('disconnected', 'the room disconnected while reconnecting', { cause: err });
      }
      if (!track.isPublished) throw unpublished();
    }
    const subscriber = this.access.subscriber();
    const started = subscriber.subscribe(track._trackId, options.timeoutMs ?? null, this.access.now());
    if (started.error) throw subscribeError(started.error);
    const id = started.stream;
    const stream = new DataTrackStream(options.bufferSize ?? 16, (s) => this.streamCancelled(id, track, s));
    this.pendingStreams.set(id, { track, stream });
    const ready = this.subscribes.add(id, signal, () => {
      subscriber.cancelSubscribe(id, this.access.now());
      this.access.fed();
    });
    this.access.fed();
    return ready;
  }

  setPipelineOptions(track: RemoteDataTrack, maxPartialFrames: number): void {
    if (track.isPublished) this.access.subscriber().setPipelineOptions(track._trackId, maxPartialFrames);
  }

  onSubscriberHandles(msg: DataTrackSubscriberHandles): void {
    this.access.subscriber().setSubscriberHandles(subscriberHandles(msg), this.access.now());
    this.access.fed();
  }

  /** Our `_data_track` channel opened: subscriptions that only waited for it are ready now. */
  onChannelOpen(): void {
    this.access.subscriber().channelOpened();
    this.access.fed();
  }

  isSubscribed(track: RemoteDataTrack): boolean {
    return track.isPublished && this.access.subscriber().isSubscribed(track._trackId);
  }

  countDecryptFailure(track: RemoteDataTrack): void {
    if (track.isPublished) this.access.subscriber().countDecryptFailure(track._trackId);
  }

  setOpenKey(track: RemoteDataTrack, keyIndex: number, keyId: number): void {
    if (track.isPublished) this.access.subscriber().setOpenKey(track._trackId, keyIndex, keyId);
  }

  stats(track: RemoteDataTrack): RemoteDataTrackStats {
    const n = track._finalStats ?? (track.isPublished ? this.access.subscriber().trackStats(track._trackId) : null);
    let overflow = track._overflowOfEnded;
    for (const s of track._streams) overflow += s.stats().framesDroppedOverflow;
    return {
      framesReceived: n?.framesReceived ?? 0,
      bytesReceived: n?.bytesReceived ?? 0,
      packetsReceived: n?.packetsReceived ?? 0,
      framesDelivered: track._framesDelivered,
      framesDropped: {
        interrupted: n?.droppedInterrupted ?? 0,
        incomplete: n?.droppedIncomplete ?? 0,
        unknownFrame: n?.droppedUnknownFrame ?? 0,
        bufferFull: n?.droppedBufferFull ?? 0,
        subscriberOverflow: overflow,
        decryptFailed: n?.decryptFailed ?? 0,
      },
    };
  }

  // ---- the machine's outputs ----

  handle(event: NativeSubscriberEvent): void {
    switch (event.kind) {
      case 'sendUpdateSubscription':
        this.host.sendSignal(updateSubscription(event.sid, event.subscribe));
        break;
      case 'trackPublished': {
        const t = event.track;
        const info = { sid: t.sid, name: t.name, usesE2ee: t.usesE2ee, ...metadataFromNative(t.metadata) };
        const track = new RemoteDataTrack(t.trackId, info, t.identity, this, this.cryptor);
        this.byTrackId.set(t.trackId, track);
        if (event.holdsName) this.tracksOf(t.identity).set(t.name, track);
        this.events.published(track);
        break;
      }
      case 'trackReassigned':
        this.byTrackId.get(event.trackId)?._setSid(event.sid);
        break;
      case 'trackUnpublished':
        this.trackEnded(event.trackId, event.end, event.stats, event.namePassesTo);
        break;
      case 'subscribeReady': {
        const entry = this.pendingStreams.get(event.stream);
        if (!entry) break;
        this.pendingStreams.delete(event.stream);
        // Attach before resolving: frames may arrive before the caller's continuation runs.
        entry.track._streams.push(entry.stream);
        this.subscribes.resolve(event.stream, entry.stream);
        break;
      }
      case 'subscribeFailed': {
        this.pendingStreams.get(event.stream)?.stream._end('cancelled');
        this.pendingStreams.delete(event.stream);
        this.subscribes.reject(event.stream, subscribeError(event.error));
        break;
      }
      case 'trackWaitResolved': {
        const track = this.byTrackId.get(event.trackId);
        if (track) this.trackWaits.resolve(event.wait, track);
        break;
      }
      case 'trackWaitFailed':
        this.trackWaits.reject(event.wait, subscribeError(event.error));
        break;
    }
  }

  // ---- receive path ----

  onPacket(packet: Uint8Array): void {
    const frames = this.access.subscriber().handlePacket(packet);
    if (frames === null) return;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      this.byTrackId.get(f.trackId)?._receive(f);
    }
  }

  // ---- connection lifecycle ----

  onRestarting(): void {
    this.access.subscriber().restarting();
    this.access.fed();
  }

  /**
   * After a (re)join: participants missing from the new session left while we were away, and the
   * new session must be asked for our subscriptions. The infos of those present arrive through
   * onParticipantInfo (the Room delivers them once its participant objects exist).
   */
  onJoined(others: ParticipantInfo[]): void {
    const present = others.map((p) => p.identity);
    for (const identity of [...this.byParticipant.keys()]) if (!present.includes(identity)) this.byParticipant.delete(identity);
    this.access.subscriber().joined(present, this.access.now());
    this.access.fed();
  }

  /** After the Subscriber's disconnect events: the next connection starts from scratch. */
  forgetConnection(): void {
    this.byTrackId.clear();
    this.byParticipant.clear();
    this.pendingStreams.clear();
  }

  // ---- internals ----

  private trackEnded(trackId: number, end: 'unpublished' | 'disconnected', stats: NativeSubscribedTrackStats, namePassesTo: number | null): void {
    const track = this.byTrackId.get(trackId);
    if (!track) return;
    this.byTrackId.delete(trackId);
    this.access.subscriber().forgetOpenKeys(trackId);
    const map = this.byParticipant.get(track.publisherIdentity);
    if (map?.get(track.name) === track) {
      map.delete(track.name);
      const next = namePassesTo !== null ? this.byTrackId.get(namePassesTo) : undefined;
      if (next) map.set(track.name, next);
    }
    track._ended(end, stats);
    this.events.unpublished(track);
  }

  /** The reader cancelled a ready stream; the machine unsubscribes after the last one. */
  private streamCancelled(id: number, track: RemoteDataTrack, stream: DataTrackStream): void {
    track._detach(stream);
    // An ended track's subscription went with it (and its machine, after a disconnect).
    if (!track.isPublished) return;
    this.access.subscriber().releaseStream(id, this.access.now());
    this.access.fed();
  }
}

function subscribeError(e: NativeSubscribeError): DataTrackSubscribeError {
  return new DataTrackSubscribeError(e.reason, e.message);
}
