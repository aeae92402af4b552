// A data track published by another participant. The object is stable for the life of the
// publication, including a SID change when the publisher does a full reconnect.

import type { NativeSubscribedTrackStats, RemoteFrame } from '../native/binding';
import type { DataTrackFrameCryptor } from '../e2ee/frame-cryptor';
import type { DataTrackFrame } from './frame';
import type { DataTrackStream } from './frame-stream';
import type {
  DataTrackInfo,
  DataTrackSubscribeOptions,
  RemoteDataTrackPipelineOptions,
  RemoteDataTrackStats,
} from './types';

/** @internal What a RemoteDataTrack needs from the layer that owns it. */
export interface RemoteTrackOwner {
  subscribe(track: RemoteDataTrack, options: DataTrackSubscribeOptions): Promise<DataTrackStream>;
  setPipelineOptions(track: RemoteDataTrack, maxPartialFrames: number): void;
  stats(track: RemoteDataTrack): RemoteDataTrackStats;
  isSubscribed(track: RemoteDataTrack): boolean;
  countDecryptFailure(track: RemoteDataTrack): void;
  /** The addon opens this track's frames at `keyIndex` with the key of id `keyId` from now on (0: no longer). */
  setOpenKey(track: RemoteDataTrack, keyIndex: number, keyId: number): void;
}

/** Frames waiting for a ratchet search at once, per track; more are counted as failures. */
const MAX_RATCHET_BACKLOG = 8;

export class RemoteDataTrack {
  private _info: DataTrackInfo;
  private _published = true;
  private unpublishedPromise?: Promise<void>;
  private resolveUnpublished?: () => void;

  /** @internal Streams that receive frames (the fan-out). An array: iterated per frame, rarely changed. */
  _streams: DataTrackStream[] = [];
  /** @internal Fan-out counters: the fan-out and the streams' buffers live on this side. */
  _framesDelivered = 0;
  /** @internal Overflow of streams that have ended. */
  _overflowOfEnded = 0;
  /** @internal The native counters as they were when the publication ended (the native side forgets it). */
  _finalStats: NativeSubscribedTrackStats | null = null;
  private ratchetBacklog = 0;

  /** @internal */
  constructor(
    /** @internal */ readonly _trackId: number,
    info: DataTrackInfo,
    readonly publisherIdentity: string,
    private readonly owner: RemoteTrackOwner,
    private readonly cryptor: DataTrackFrameCryptor | null,
  ) {
    this._info = Object.freeze({ ...info });
  }

  get info(): DataTrackInfo {
    return this._info;
  }

  get sid(): string {
    return this._info.sid;
  }

  get name(): string {
    return this._info.name;
  }

  get isPublished(): boolean {
    return this._published;
  }

  /** True while at least one stream is open (or a subscribe is under way). */
  get isSubscribed(): boolean {
    return this.owner.isSubscribed(this);
  }

  /**
   * Resolves with a stream once the SFU has assigned a subscriber handle. Several streams on one
   * track share one SFU subscription; each has its own buffer and sees frames from its subscribe on.
   * Rejects with DataTrackSubscribeError: 'unpublished', 'timeout', 'disconnected', 'cancelled'.
   */
  subscribe(options: DataTrackSubscribeOptions = {}): Promise<DataTrackStream> {
    return this.owner.subscribe(this, options);
  }

  /** Applies now if subscribed, and to later subscriptions. */
  setPipelineOptions(options: RemoteDataTrackPipelineOptions): void {
    if (options.maxPartialFrames === undefined) return;
    this.owner.setPipelineOptions(this, Math.max(1, Math.floor(options.maxPartialFrames)));
  }

  waitForUnpublish(): Promise<void> {
    if (!this._published) return Promise.resolve();
    this.unpublishedPromise ??= new Promise((resolve) => (this.resolveUnpublished = resolve));
    return this.unpublishedPromise;
  }

  stats(): RemoteDataTrackStats {
    return this.owner.stats(this);
  }

  /** @internal A frame reassembled by the addon. The receive path: keep it lean. */
  _receive(frame: RemoteFrame): void {
    if (!this._info.usesE2ee) {
      this.fanOut(frame.payload, frame.userTimestamp);
      return;
    }
    const cryptor = this.cryptor;
    const opened = frame.opened;
    if (opened !== null && cryptor !== null) {
      // The addon opened it with the key that opened this track's last frame at that index, which
      // counts only while the key ring still holds that key: a key replaced there stops at once.
      if (cryptor.keyIdFor(this.publisherIdentity, opened.keyIndex) === opened.keyId) {
        this.fanOut(frame.payload, frame.userTimestamp);
        return;
      }
      this.owner.setOpenKey(this, opened.keyIndex, 0);
      this.owner.countDecryptFailure(this);
      return;
    }
    const e2ee = frame.e2ee;
    if (e2ee === null || cryptor === null) {
      this.owner.countDecryptFailure(this);
      return;
    }
    const plain = cryptor.decryptInPlace(this.publisherIdentity, frame.payload, e2ee);
    if (plain !== null) {
      // The addon opens the next frames under this key itself, in the call that reassembles them.
      this.owner.setOpenKey(this, e2ee.keyIndex, cryptor.keyIdFor(this.publisherIdentity, e2ee.keyIndex));
      this.fanOut(plain, frame.userTimestamp);
      return;
    }
    // The sender may have ratcheted its key: search ahead off the receive path.
    if (this.ratchetBacklog >= MAX_RATCHET_BACKLOG || !cryptor.canRatchet(this.publisherIdentity, e2ee)) {
      this.owner.countDecryptFailure(this);
      return;
    }
    this.ratchetBacklog++;
    cryptor.decryptWithRatchet(this.publisherIdentity, frame.payload, e2ee).then(
      (late) => {
        this.ratchetBacklog--;
        if (late !== null && this._published) this.fanOut(late, frame.userTimestamp);
        else this.owner.countDecryptFailure(this);
      },
      () => {
        this.ratchetBacklog--;
        this.owner.countDecryptFailure(this);
      },
    );
  }

  private fanOut(payload: Uint8Array, userTimestamp: bigint | null): void {
    const out: DataTrackFrame = userTimestamp === null ? { payload } : { payload, userTimestamp };
    const streams = this._streams;
    if (streams.length === 0) return;
    this._framesDelivered++;
    for (let i = 0; i < streams.length; i++) streams[i]._push(out);
  }

  /** @internal */
  _setSid(sid: string): void {
    this._info = Object.freeze({ ...this._info, sid });
  }

  /** @internal The publication ended: streams end (buffered frames stay readable). */
  _ended(reason: 'unpublished' | 'disconnected', finalStats: NativeSubscribedTrackStats): void {
    if (!this._published) return;
    this._published = false;
    this._finalStats = finalStats;
    for (const s of this._streams) {
      this._overflowOfEnded += s.stats().framesDroppedOverflow;
      s._end(reason);
    }
    this._streams = [];
    this.resolveUnpublished?.();
  }

  /** @internal A stream its reader cancelled. */
  _detach(stream: DataTrackStream): void {
    const i = this._streams.indexOf(stream);
    if (i < 0) return;
    this._streams.splice(i, 1);
    this._overflowOfEnded += stream.stats().framesDroppedOverflow;
  }
}
