// The local participant's data tracks as seen from JS: the native Publisher owns their state,
// requests, deadlines and counters; this turns its events into LocalDataTrack objects, promises
// and EventEmitter events, and runs the push path (checks, encryption) into it.

import type { DataTrackInfo as ProtoDataTrackInfo, PublishDataTrackResponse, RequestResponse } from '../protocol';
import { type NativeError, type NativePublishError, type NativePublisher, type NativePublisherEvent, PushResult } from '../native/binding';
import type { DataTrackFrameCryptor } from '../e2ee/frame-cryptor';
import { DataTrackPublishError, DataTrackPushError } from './errors';
import { type DataTrackFrame, checkFrame, maxFramePayload } from './frame';
import { type DataTrackFrameBatch, type DataTrackPushFramesResult, type PackedFrames, packFrames } from './frame-batch';
import type { DataTrackHost } from './host';
import { LocalDataTrack, type LocalTrackOwner } from './local-track';
import { metadataFromNative, metadataFromProto, metadataToNative, publishRequest, syncStateTrack, unpublishRequest } from './proto';
import { DataTrackSchemaError, validateSchema } from './schema';
import type { FrameSender } from './sender';
import type { DataTrackPublishOptions, LocalDataTrackStats, QueueFullPolicy } from './types';
import { Waiters } from './waiters';

export interface LocalTrackEvents {
  published(track: LocalDataTrack): void;
  unpublished(track: LocalDataTrack): void;
}

/** How this reaches the Publisher of the current connection and tells the controller it was fed. */
export interface PublisherAccess {
  /** The current connection's Publisher (created on first use). */
  publisher(): NativePublisher;
  /** Current time, on the clock the machines are driven by. */
  now(): number;
  /** Call after every input: drains the machines' events and re-arms the timer. */
  fed(): void;
}

export class LocalTracks implements LocalTrackOwner {
  /** Published tracks by name: the public `localParticipant.dataTracks`. */
  readonly byName = new Map<string, LocalDataTrack>();
  /** The objects of the current connection's tracks, by handle (to resolve the machine's events). */
  private readonly byHandle = new Map<number, LocalDataTrack>();
  private readonly publishes = new Waiters<LocalDataTrack>();
  private readonly unpublishes = new Waiters<void>();

  constructor(
    private readonly host: DataTrackHost,
    private readonly access: PublisherAccess,
    private readonly sender: FrameSender,
    private readonly cryptor: DataTrackFrameCryptor | null,
    private readonly events: LocalTrackEvents,
  ) {}

  async publish(input: string | DataTrackPublishOptions): Promise<LocalDataTrack> {
    const options: DataTrackPublishOptions = typeof input === 'string' ? { name: input } : { ...input };
    const { name, signal } = options;
    const cancelled = () => new DataTrackPublishError('cancelled', `publishing '${name}' was cancelled`);

    if (typeof name !== 'string') throw new DataTrackPublishError('invalidName', 'a data track name must be a string');
    try {
      validateSchema(options.frameEncoding, options.schema);
    } catch (err) {
      if (err instanceof DataTrackSchemaError) {
        throw new DataTrackPublishError('invalidSchema', err.message, { schemaError: err.reason, cause: err });
      }
      throw err;
    }
    if (signal?.aborted) throw cancelled();
    if (!this.host.isConnected()) throw new DataTrackPublishError('disconnected', 'the room is not connected');
    if (this.host.isReconnecting()) {
      try {
        await this.host.waitUntilReady(signal);
      } catch (err) {
        if (signal?.aborted) throw cancelled();
        throw new DataTrackPublishError('disconnected', 'the room disconnected while reconnecting', { cause: err });
      }
    }
    const publisher = this.access.publisher();
    const started = publisher.publish(
      {
        name,
        usesE2ee: this.cryptor !== null,
        metadata: metadataToNative(options.frameEncoding, options.schema),
        queueCapacity: options.queueCapacity ?? null,
        timeoutMs: options.timeoutMs ?? null,
      },
      this.access.now(),
    );
    if (started.error) throw publishError(started.error);
    const handle = started.handle;
    const done = this.publishes.add(handle, signal, () => {
      publisher.cancelPublish(handle);
      this.access.fed();
    });
    this.access.fed();
    return done;
  }

  // ---- signal answers ----

  onPublishResponse(info: ProtoDataTrackInfo | undefined): void {
    if (!info) return;
    this.access.publisher().handlePublishResponse(info.pubHandle, info.sid, metadataFromProto(info), this.access.now());
    this.access.fed();
  }

  onUnpublishResponse(info: ProtoDataTrackInfo | undefined): void {
    if (!info) return;
    this.access.publisher().handleUnpublishResponse(info.pubHandle, info.sid);
    this.access.fed();
  }

  /** Returns true if the RequestResponse was about a local publication. */
  onRequestResponse(rr: RequestResponse): boolean {
    const req = rr.request;
    if (req.case === 'publishDataTrack') {
      this.access.publisher().handlePublishRejected(req.value.pubHandle, rr.reason, rr.message);
    } else if (req.case === 'unpublishDataTrack') {
      this.access.publisher().handleUnpublishRejected(req.value.pubHandle);
    } else {
      return false;
    }
    this.access.fed();
    return true;
  }

  // ---- the machine's outputs ----

  handle(event: NativePublisherEvent): void {
    switch (event.kind) {
      case 'sendPublishRequest':
        this.host.sendSignal(publishRequest(event.request));
        break;
      case 'sendUnpublishRequest':
        this.host.sendSignal(unpublishRequest(event.handle));
        break;
      case 'published': {
        const t = event.track;
        const info = { sid: t.sid, name: t.name, usesE2ee: t.usesE2ee, ...metadataFromNative(t.metadata) };
        const track = new LocalDataTrack(t.handle, info, this, this.access.publisher());
        this.byHandle.set(t.handle, track);
        this.byName.set(track.name, track);
        if (this.publishes.resolve(t.handle, track)) this.events.published(track);
        break;
      }
      case 'publishFailed':
        this.publishes.reject(event.handle, publishError(event.error));
        break;
      case 'republished': {
        const track = this.byHandle.get(event.handle);
        track?._setSid(event.sid);
        this.sender.flush();
        break;
      }
      case 'unpublished': {
        const track = this.byHandle.get(event.handle);
        if (!track) break;
        this.byHandle.delete(event.handle);
        if (this.byName.get(track.name) === track) this.byName.delete(track.name);
        track._markUnpublished();
        this.events.unpublished(track);
        break;
      }
      case 'unpublishDone':
        this.unpublishes.resolve(event.handle, undefined);
        break;
    }
  }

  // ---- LocalTrackOwner ----

  push(track: LocalDataTrack, frame: DataTrackFrame, policy: QueueFullPolicy): void {
    this.pushOne(track, frame, policy);
  }

  pushFrames(track: LocalDataTrack, input: Iterable<DataTrackFrame | Uint8Array> | DataTrackFrameBatch, policy: QueueFullPolicy): DataTrackPushFramesResult {
    const batch = packFrames(input, track.info.usesE2ee);
    const result = { queued: 0, dropped: 0, evicted: 0 };
    if (batch.count === 0) return result;
    if (!track.isPublished) throw unpublishedError(track, batch.frame(0), 0);
    // Each encrypted frame has its own IV, sealed here; a batch mixing stamped and unstamped
    // frames has no one timestamp array: both go frame by frame.
    if (track.info.usesE2ee || batch.userTimestamps === undefined) return this.pushEach(track, batch, policy, result);
    const { data, ends, userTimestamps } = batch;
    const publisher = track._publisher;
    /** Frames from..to-1; `to` short of the end only to refuse (and count) exactly one. */
    const pushFrom = (from: number, dropOldest: boolean, transmitNow: number | null, to = batch.count) => {
      const cut = to < batch.count;
      try {
        return publisher.pushFrames(
          track._handle,
          data,
          cut ? ends.subarray(0, to) : ends,
          cut ? (userTimestamps?.subarray(0, to) ?? null) : userTimestamps,
          from,
          dropOldest,
          transmitNow,
        );
      } catch (err) {
        if ((err as NativeError).code === 'UnknownTrack') throw unpublishedError(track, batch.frame(from), from);
        throw err;
      }
    };
    // As frame-by-frame pushes would: frames the channel takes at once go straight through (one
    // native call for all of them, then one flush), the queue absorbs what it cannot take yet,
    // and the policy applies to the frames that meet a queue still full after a flush.
    let next = 0;
    while (next < batch.count) {
      const c = pushFrom(next, false, framesThatFit(ends, next, this.sender.room()));
      const taken = c.queued + c.notPublished;
      result.queued += c.queued;
      result.dropped += c.notPublished;
      next += taken;
      if (taken > 0) {
        if (c.queued > 0) this.sender.flush();
        continue;
      }
      if (policy === 'throw') {
        // As tryPush: the refused frame is counted, the ones after it were never offered.
        pushFrom(next, false, null, next + 1);
        throw new DataTrackPushError('queueFull', `the send queue of '${track.name}' is full at frame ${next} of the batch`, batch.frame(next), { index: next });
      }
      const rest = pushFrom(next, policy === 'dropOldest', null);
      result.queued += rest.queued + rest.queuedDroppedOldest;
      result.evicted += rest.queuedDroppedOldest;
      result.dropped += rest.full + rest.notPublished;
      break;
    }
    return result;
  }

  private pushEach(track: LocalDataTrack, batch: PackedFrames, policy: QueueFullPolicy, result: DataTrackPushFramesResult): DataTrackPushFramesResult {
    for (let i = 0; i < batch.count; i++) {
      const frame = batch.frame(i);
      let pushed: PushResult;
      try {
        pushed = this.pushOne(track, frame, policy);
      } catch (err) {
        if (!(err instanceof DataTrackPushError)) throw err;
        throw new DataTrackPushError(err.reason, `frame ${i} of the batch: ${err.message}`, frame, { index: i, cause: err.cause });
      }
      if (pushed === PushResult.Queued || pushed === PushResult.QueuedDroppedOldest) result.queued++;
      else result.dropped++;
      if (pushed === PushResult.QueuedDroppedOldest) result.evicted++;
    }
    return result;
  }

  /** Counts an E2EE failure on the track and makes the push error for it. */
  private encryptionFailed(track: LocalDataTrack, frame: DataTrackFrame, err: unknown): DataTrackPushError {
    track._publisher.countEncryptionFailure(track._handle);
    return new DataTrackPushError('encryptionFailed', (err as Error).message, frame, { cause: err });
  }

  /** Pushes one frame; returns what the queue did with it (Full only under 'drop'). */
  private pushOne(track: LocalDataTrack, frame: DataTrackFrame, policy: QueueFullPolicy): PushResult {
    if (!track.isPublished) throw unpublishedError(track, frame);
    const userTimestamp = checkFrame(frame);
    const size = frame.payload.length;
    if (size === 0) {
      // Zero bytes packetize to zero packets: nothing would ever reach a subscriber.
      throw new DataTrackPushError('emptyFrame', 'a data track frame needs a non-empty payload', frame);
    }
    const max = maxFramePayload(userTimestamp !== null, track.info.usesE2ee);
    if (size > max) {
      throw new DataTrackPushError('frameTooLarge', `a frame of ${size} bytes exceeds what subscribers reassemble (${max} bytes)`, frame);
    }
    const publisher = track._publisher;
    // E2EE: the addon draws the IV and builds the extension, so `keyIndex` stands for it, and it
    // encrypts the queued copy with the key `sealWith` names (one copy, one AES-GCM pass).
    let keyIndex: number | null = null;
    let sealWith: number | null = null;
    if (track.info.usesE2ee) {
      try {
        ({ sealWith, keyIndex } = this.cryptor!.nextSeal(this.host.localIdentity()));
      } catch (err) {
        throw this.encryptionFailed(track, frame, err);
      }
    }
    let result: PushResult;
    try {
      result = publisher.pushFrame(track._handle, frame.payload, userTimestamp, keyIndex, policy === 'dropOldest', sealWith);
    } catch (err) {
      const code = (err as NativeError).code;
      if (code === 'UnknownTrack') throw unpublishedError(track, frame);
      if (code === 'EncryptionFailed') throw this.encryptionFailed(track, frame, err);
      throw err;
    }
    if (result === PushResult.Full) {
      if (policy === 'drop') return result;
      throw new DataTrackPushError('queueFull', `the send queue of '${track.name}' is full`, frame);
    }
    if (result !== PushResult.NotPublished) this.sender.flush();
    return result;
  }

  unpublish(track: LocalDataTrack): Promise<void> {
    const existing = this.unpublishes.get(track._handle);
    if (existing) return existing;
    // Unpublished by the SFU or a disconnect: nothing to ask, nobody to wait for.
    if (!track.isPublished) return Promise.resolve();
    const done = this.unpublishes.add(track._handle);
    track._publisher.unpublish(track._handle, this.access.now());
    this.access.fed();
    return done;
  }

  stats(track: LocalDataTrack): LocalDataTrackStats {
    const s = track._publisher.stats(track._handle);
    return {
      framesSent: s?.framesSent ?? 0,
      bytesSent: s?.bytesSent ?? 0,
      packetsSent: s?.packetsSent ?? 0,
      framesDropped: {
        queueFull: s?.framesDroppedQueueFull ?? 0,
        notPublished: s?.framesDroppedNotPublished ?? 0,
        encryptionFailed: s?.framesDroppedEncryptionFailed ?? 0,
      },
      queuedFrames: s?.queuedFrames ?? 0,
    };
  }

  syncStatePublishedTracks(): PublishDataTrackResponse[] {
    return this.access.publisher().syncStateTracks().map(syncStateTrack);
  }

  /** The connection is gone for good: the next one starts from scratch, handles included. */
  forgetConnection(): void {
    this.byHandle.clear();
  }
}

function publishError(e: NativePublishError): DataTrackPublishError {
  return new DataTrackPublishError(e.reason, e.message, e.rawMessage !== null ? { rawMessage: e.rawMessage } : undefined);
}

/** Wire bytes a frame costs beyond its payload, per started packet: header and extensions, rounded up. */
const PACKET_OVERHEAD = 64;
const PACKET_PAYLOAD = 15_900;

/**
 * How many frames from `from` on fit, packets and all, in `room` bytes: those a flush sends at
 * once. An estimate that errs low, so a frame it admits past the queue never waits there.
 */
function framesThatFit(ends: Uint32Array, from: number, room: number): number {
  let start = from === 0 ? 0 : ends[from - 1];
  let used = 0;
  let i = from;
  for (; i < ends.length; i++) {
    const size = ends[i] - start;
    used += size + PACKET_OVERHEAD * Math.ceil(size / PACKET_PAYLOAD);
    if (used > room) break;
    start = ends[i];
  }
  return i - from;
}

function unpublishedError(track: LocalDataTrack, frame: DataTrackFrame, index?: number): DataTrackPushError {
  return new DataTrackPushError('trackUnpublished', `data track '${track.name}' is not published`, frame, { index });
}
