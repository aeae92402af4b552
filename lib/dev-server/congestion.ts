// Per-subscriber congestion control for `_data_track`, as livekit-server does it (signal-and-sfu.md
// §4.5, dtp.md §8): a packet is dropped, never queued, when the channel's buffered amount exceeds
// max(8 KiB, drain rate × target latency). Target latency defaults to 100 ms; 0 turns the rule off.
//
// The rate is what actually left the buffer (bytes written minus the growth of bufferedAmount), over
// a sliding window of 20 × 100 ms buckets, as the server's bitrate calculator measures it. Counting
// the bytes written instead would let a flood raise its own limit. The gate needs one
// bufferedAmount reading per packet, taken before the write, and allocates nothing.

/** Below this buffered amount a packet is never dropped (the server's `lossyDataChannelMinBufferedAmount`). */
export const MIN_BUFFERED_BYTES = 8 * 1024;
export const DEFAULT_TARGET_LATENCY_MS = 100;
const BUCKET_MS = 100;
const BUCKETS = 20;

export interface CongestionOptions {
  /** 0 disables the latency rule (only `hardCapBytes` applies). */
  targetLatencyMs: number;
  /**
   * Absolute ceiling on the bytes the dev SFU lets queue on one subscriber channel, whatever the
   * rate (and even with the latency rule off). livekit-server bounds its writes with a 50 ms write
   * deadline instead; libdatachannel's send never blocks, so without a cap a stalled subscriber could
   * grow the queue without limit. Infinity disables it.
   */
  hardCapBytes: number;
}

export type CongestionVerdict = 'send' | 'congestion';

/** The drop rule by itself, for the gate and for tests. */
export function shouldDrop(bufferedAmount: number, drainBytesPerSecond: number, opts: CongestionOptions): boolean {
  if (bufferedAmount > opts.hardCapBytes) return true;
  if (opts.targetLatencyMs <= 0) return false;
  const limit = Math.max(MIN_BUFFERED_BYTES, (drainBytesPerSecond * opts.targetLatencyMs) / 1000);
  return bufferedAmount > limit;
}

/** One subscriber channel's rate measurement and drop decision. */
export class CongestionGate {
  /** Bytes handed to the channel since the gate was created. */
  private written = 0;
  /** Bytes known to have left the buffer at the last observation. */
  private drained = 0;
  private readonly buckets = new Float64Array(BUCKETS);
  /** Index (time / BUCKET_MS) of the newest bucket. */
  private head: number;
  /** Sum of all buckets. */
  private windowBytes = 0;
  /**
   * When the current measurement began: the first drained bytes after the window was empty. Like the
   * server's calculator, a burst after an idle spell is measured over its own duration (at least one
   * bucket), not diluted over the whole window.
   */
  private spanStartMs: number;

  constructor(
    private readonly opts: CongestionOptions,
    nowMs: number,
  ) {
    this.spanStartMs = nowMs;
    this.head = Math.floor(nowMs / BUCKET_MS);
  }

  /**
   * Observes the channel's current buffered amount and decides about the next packet. Call
   * `sent(bytes)` after a successful write.
   */
  admit(bufferedAmount: number, nowMs: number): CongestionVerdict {
    this.observe(bufferedAmount, nowMs);
    return shouldDrop(bufferedAmount, this.rate(nowMs), this.opts) ? 'congestion' : 'send';
  }

  sent(bytes: number): void {
    this.written += bytes;
  }

  /** Drain rate over the window, in bytes per second. */
  rate(nowMs: number): number {
    this.advance(nowMs);
    if (this.windowBytes === 0) return 0;
    // Until a whole window has passed, divide by the time actually observed (at least one bucket).
    const span = Math.min(Math.max(nowMs - this.spanStartMs, BUCKET_MS), BUCKETS * BUCKET_MS);
    return (this.windowBytes * 1000) / span;
  }

  private observe(bufferedAmount: number, nowMs: number): void {
    const drained = this.written - bufferedAmount;
    const delta = drained - this.drained;
    if (delta <= 0) return;
    this.drained = drained;
    this.advance(nowMs);
    if (this.windowBytes === 0) this.spanStartMs = nowMs;
    this.buckets[this.head % BUCKETS] += delta;
    this.windowBytes += delta;
  }

  /** Moves the window to `nowMs`, emptying the buckets that fell out of it. */
  private advance(nowMs: number): void {
    const index = Math.floor(nowMs / BUCKET_MS);
    if (index <= this.head) return;
    const steps = Math.min(index - this.head, BUCKETS);
    for (let i = 1; i <= steps; i++) {
      const slot = (this.head + i) % BUCKETS;
      this.windowBytes -= this.buckets[slot];
      this.buckets[slot] = 0;
    }
    this.head = index;
    if (steps === BUCKETS) this.windowBytes = 0;
  }
}
