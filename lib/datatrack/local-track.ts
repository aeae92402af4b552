// The publisher's handle on one published data track.

import type { NativePublisher } from '../native/binding';
import { DataTrackPushError } from './errors';
import type { DataTrackFrame } from './frame';
import type { DataTrackFrameBatch, DataTrackPushFramesResult } from './frame-batch';
import type { DataTrackInfo, LocalDataTrackStats, QueueFullPolicy } from './types';

/** @internal What a LocalDataTrack needs from the layer that owns it. */
export interface LocalTrackOwner {
  push(track: LocalDataTrack, frame: DataTrackFrame, policy: QueueFullPolicy): void;
  pushFrames(track: LocalDataTrack, frames: Iterable<DataTrackFrame | Uint8Array> | DataTrackFrameBatch, policy: QueueFullPolicy): DataTrackPushFramesResult;
  unpublish(track: LocalDataTrack): Promise<void>;
  stats(track: LocalDataTrack): LocalDataTrackStats;
}

export interface DataTrackSendOptions {
  /** @default 'drop' (tryPush defaults to 'throw'; see QueueFullPolicy) */
  onQueueFull?: QueueFullPolicy;
  /** Stops consuming the source when aborted (the track stays published). */
  signal?: AbortSignal;
}

export class LocalDataTrack {
  private published = true;
  private _info: DataTrackInfo;
  private unpublishedPromise?: Promise<void>;
  private resolveUnpublished?: () => void;

  /** @internal */
  constructor(
    /** @internal */ readonly _handle: number,
    info: DataTrackInfo,
    private readonly owner: LocalTrackOwner,
    /** @internal The state machine of the connection that published it: it keeps the track's state and counters. */
    readonly _publisher: NativePublisher,
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

  /** True from publish until unpublish (including while it is republished after a full reconnect). */
  get isPublished(): boolean {
    return this.published;
  }

  /**
   * Queues a frame and sends it right away if the data channel has room. Synchronous.
   * Throws DataTrackPushError carrying the rejected frame: 'queueFull' (with `onQueueFull: 'throw'`,
   * the default here; send() and writable() default to 'drop'), 'emptyFrame', 'frameTooLarge',
   * 'trackUnpublished', 'encryptionFailed' (E2EE has no key).
   * While the track is being republished after a full reconnect, frames are dropped and counted.
   */
  tryPush(frame: DataTrackFrame, options?: { onQueueFull?: QueueFullPolicy }): void {
    this.owner.push(this, frame, options?.onQueueFull ?? 'throw');
  }

  /**
   * tryPush for many frames in one call, for many small frames (telemetry, sensor samples): the
   * per-call cost of crossing into the addon is paid once per batch instead of once per frame.
   * Takes frames (or bare payloads), or the cheaper contiguous form `{ payloads, ends,
   * userTimestamps? }` that is handed to the addon without a copy.
   *
   * Every frame is checked first: a malformed one rejects the whole call before anything is
   * pushed (DataTrackPushError 'emptyFrame' or 'frameTooLarge' with the frame's `index`, or a
   * TypeError/RangeError; 'trackUnpublished' with index 0). Then each frame meets the queue in
   * order, as with tryPush: frames go out while the data channel has room, and `onQueueFull`
   * (default 'throw') applies only to those that find the queue still full. With 'throw', frames
   * before the error's `index` were pushed and the rest were not; with 'drop' or 'dropOldest',
   * the result says how many frames were queued, dropped or evicted.
   *
   * E2EE tracks seal each frame with its own IV, so they are pushed frame by frame (same
   * semantics, without the batch speed-up); so is a batch that mixes frames with and without a
   * userTimestamp. An 'encryptionFailed' error has the `index` of the first frame not pushed.
   */
  pushFrames(
    frames: Iterable<DataTrackFrame | Uint8Array> | DataTrackFrameBatch,
    options?: { onQueueFull?: QueueFullPolicy },
  ): DataTrackPushFramesResult {
    return this.owner.pushFrames(this, frames, options?.onQueueFull ?? 'throw');
  }

  /**
   * Pushes every item of `source` (frames or bare payloads) as it arrives. Resolves when the source
   * ends; ends quietly if the track is unpublished meanwhile. A full queue drops the frame by
   * default (`onQueueFull: 'drop'`); with 'throw' it rejects with the first queueFull error. Rejects
   * with DataTrackPushError for an empty or oversized frame.
   */
  async send(
    source: AsyncIterable<DataTrackFrame | Uint8Array> | Iterable<DataTrackFrame | Uint8Array> | ReadableStream<DataTrackFrame | Uint8Array>,
    options: DataTrackSendOptions = {},
  ): Promise<void> {
    const policy = options.onQueueFull ?? 'drop';
    const signal = options.signal;
    if (!this.isPublished || signal?.aborted) return;
    for await (const item of source as AsyncIterable<DataTrackFrame | Uint8Array>) {
      if (signal?.aborted) return;
      const frame: DataTrackFrame = item instanceof Uint8Array ? { payload: item } : item;
      try {
        this.owner.push(this, frame, policy);
      } catch (err) {
        if (err instanceof DataTrackPushError && err.reason === 'trackUnpublished') return;
        throw err;
      }
    }
  }

  /**
   * A WritableStream sink for the track (e.g. `readable.pipeTo(track.writable())`). A full queue
   * drops the frame by default (`onQueueFull: 'drop'`); a write that throws (an empty or oversized
   * frame, 'throw' on a full queue, the track unpublished) errors the stream with the DataTrackPushError.
   */
  writable(options: { onQueueFull?: QueueFullPolicy } = {}): WritableStream<DataTrackFrame | Uint8Array> {
    const policy = options.onQueueFull ?? 'drop';
    return new WritableStream({
      write: (item) => {
        this.owner.push(this, item instanceof Uint8Array ? { payload: item } : item, policy);
      },
    });
  }

  /** Unpublishes; resolves once the SFU confirms (or gives up waiting). Idempotent. */
  unpublish(): Promise<void> {
    return this.owner.unpublish(this);
  }

  /** Resolves once the track is unpublished, by `unpublish()`, the SFU or a disconnect. */
  waitForUnpublish(): Promise<void> {
    if (!this.published) return Promise.resolve();
    this.unpublishedPromise ??= new Promise((resolve) => (this.resolveUnpublished = resolve));
    return this.unpublishedPromise;
  }

  stats(): LocalDataTrackStats {
    return this.owner.stats(this);
  }

  /** `await using track = await room.localParticipant.publishDataTrack(...)` unpublishes at scope exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.unpublish();
  }

  /** @internal */
  _setSid(sid: string): void {
    this._info = Object.freeze({ ...this._info, sid });
  }

  /** @internal Returns false if it was already unpublished. */
  _markUnpublished(): boolean {
    if (!this.published) return false;
    this.published = false;
    this.resolveUnpublished?.();
    return true;
  }
}
