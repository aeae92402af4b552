// A subscriber's view of a remote track: a bounded buffer that keeps the freshest frames.
// A slow reader must never stall the receive path or the other readers of the same track, so a
// full buffer evicts its oldest frame (and counts it) instead of pushing back.

import type { DataTrackFrame } from './frame';

export type DataTrackStreamEndReason = 'cancelled' | 'unpublished' | 'disconnected';

export interface DataTrackStreamStats {
  /** Frames handed to this stream by the track. */
  framesReceived: number;
  /** Frames evicted because this stream's buffer was full. */
  framesDroppedOverflow: number;
  /** Frames currently buffered. */
  buffered: number;
}

type Waiter = (result: IteratorResult<DataTrackFrame>) => void;

const DONE: IteratorResult<DataTrackFrame> = Object.freeze({ done: true, value: undefined });

export class DataTrackStream implements AsyncIterableIterator<DataTrackFrame> {
  readonly bufferSize: number;
  private readonly ring: Array<DataTrackFrame | undefined>;
  private head = 0;
  private size = 0;
  private waiters: Waiter[] = [];
  private received = 0;
  private overflow = 0;
  private reason: DataTrackStreamEndReason | null = null;
  private readonly endListeners: Array<(reason: DataTrackStreamEndReason) => void> = [];
  private readableView?: ReadableStream<DataTrackFrame>;

  /**
   * @param bufferSize frames kept for a slow reader; 0 and negatives mean 1.
   * @param onCancel called once when the reader cancels (not when the track ends it).
   */
  constructor(
    bufferSize: number = 16,
    private readonly onCancel?: (stream: DataTrackStream) => void,
  ) {
    const n = Number.isFinite(bufferSize) ? Math.floor(bufferSize) : 16;
    this.bufferSize = Math.max(1, n);
    this.ring = new Array(this.bufferSize);
  }

  /** True once the stream has ended (buffered frames may still be readable). */
  get ended(): boolean {
    return this.reason !== null;
  }

  /** Why the stream ended, or null while it is live. */
  get endReason(): DataTrackStreamEndReason | null {
    return this.reason;
  }

  stats(): DataTrackStreamStats {
    return { framesReceived: this.received, framesDroppedOverflow: this.overflow, buffered: this.size };
  }

  /** Calls `listener` once when the stream ends (immediately if it already has). */
  onEnd(listener: (reason: DataTrackStreamEndReason) => void): void {
    if (this.reason !== null) listener(this.reason);
    else this.endListeners.push(listener);
  }

  next(): Promise<IteratorResult<DataTrackFrame>> {
    if (this.size > 0) return Promise.resolve({ done: false, value: this.shift() });
    if (this.reason !== null) return Promise.resolve(DONE);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * The next frame, or undefined if the stream ended or `timeoutMs` passed first.
   * A timeout does not end the stream.
   */
  async read(options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<DataTrackFrame | undefined> {
    if (this.size > 0) return this.shift();
    if (this.reason !== null) return undefined;
    const { timeoutMs, signal } = options;
    if (signal?.aborted) return undefined;
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = (r) => {
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', giveUp);
        resolve(r.done ? undefined : r.value);
      };
      const giveUp = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', giveUp);
        resolve(undefined);
      };
      if (timeoutMs !== undefined) timer = setTimeout(giveUp, timeoutMs);
      signal?.addEventListener('abort', giveUp, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Ends the stream from the reader's side; the track unsubscribes when its last stream goes. */
  cancel(): void {
    if (this.reason !== null) return;
    this.clear();
    this.finish('cancelled');
    this.onCancel?.(this);
  }

  return(): Promise<IteratorResult<DataTrackFrame>> {
    this.cancel();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.cancel();
  }

  /**
   * The same frames as a WHATWG ReadableStream (one object per stream): for `pipeTo`,
   * `pipeThrough` or `Readable.fromWeb`. Read through it or through this iterator, not both: each
   * frame is delivered once. Cancelling it cancels this stream; this stream ending closes it.
   */
  get readable(): ReadableStream<DataTrackFrame> {
    this.readableView ??= new ReadableStream<DataTrackFrame>(
      {
        pull: async (controller) => {
          const r = await this.next();
          if (r.done) controller.close();
          else controller.enqueue(r.value);
        },
        cancel: () => this.cancel(),
      },
      // The buffer lives here, with drop-oldest; a second queue in the ReadableStream would hide overflow.
      { highWaterMark: 0 },
    );
    return this.readableView;
  }

  /** @internal The track delivers a frame. Runs on the receive path: no allocation beyond the ring slot. */
  _push(frame: DataTrackFrame): void {
    if (this.reason !== null) return;
    this.received++;
    if (this.waiters.length > 0) {
      this.waiters.shift()!({ done: false, value: frame });
      return;
    }
    const cap = this.bufferSize;
    if (this.size === cap) {
      this.ring[this.head] = undefined;
      this.head = (this.head + 1) % cap;
      this.size--;
      this.overflow++;
    }
    this.ring[(this.head + this.size) % cap] = frame;
    this.size++;
  }

  /** @internal The track ended the stream; frames already buffered stay readable. */
  _end(reason: DataTrackStreamEndReason): void {
    if (this.reason !== null) return;
    this.finish(reason);
  }

  private finish(reason: DataTrackStreamEndReason): void {
    this.reason = reason;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w(DONE);
    for (const l of this.endListeners.splice(0)) l(reason);
  }

  private shift(): DataTrackFrame {
    const frame = this.ring[this.head]!;
    this.ring[this.head] = undefined;
    this.head = (this.head + 1) % this.bufferSize;
    this.size--;
    return frame;
  }

  private clear(): void {
    this.ring.fill(undefined);
    this.head = 0;
    this.size = 0;
  }
}
