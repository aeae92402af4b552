// Moves packets from the native frame queues to the `_data_track` channel, a whole frame at a time.
// The SCTP buffer is the only place data waits in bulk on the way out, and it is kept short: once
// it holds `highWaterMark` bytes, frames wait in the native bounded queues instead (where the
// drop policy applies and the freshest data wins), and sending resumes on the channel's
// buffered-amount-low event. A packet batch is always sent in full, so the SFU never gets half a
// frame from us.

import type { NativePublisher } from '../native/binding';
import { MAX_FRAME_WIRE_BYTES } from './frame';
import type { DataTrackChannel } from './host';

export interface FrameSenderOptions {
  highWaterMark: number;
  lowWaterMark: number;
}

/** The most one transmitInto call is asked for; a higher high-water mark takes more calls. */
const MAX_BATCH_BYTES = 256 * 1024;
/**
 * Words of the buffer batches are written into: a batch is at most MAX_BATCH_BYTES plus one frame,
 * and each packet (at least 13 bytes: a 12-byte header and a payload byte) adds a 4-byte end offset.
 */
const TRANSMIT_BUFFER_WORDS = Math.ceil(((MAX_BATCH_BYTES + MAX_FRAME_WIRE_BYTES) * 17) / 13 / 4);

export class FrameSender {
  private readonly registered = new WeakSet<DataTrackChannel>();
  private flushing = false;
  /**
   * Batches are written into this one buffer (channels copy on send) rather than into a fresh
   * ArrayBuffer each, and the addon returns only their packet count. With few JS objects
   * allocated per frame, V8 collected those only in major GCs (at 256 KiB @ 100 Hz the publisher
   * ran 18-19 Mark-Compacts per 10 s, 10-11 with a reused buffer), and on an idle channel the
   * batch object and its views cost about as much as the send. Pages of it never written stay
   * unbacked, so its size costs nothing until a frame needs it.
   */
  private transmitBuffer: { words: Uint32Array; bytes: Buffer } | null = null;
  /**
   * The channel's buffered amount as of the last read plus what was sent since. The channel only
   * drains it, so this never reads low, and the channel is asked (a native call, about 5 µs on an
   * idle channel: an eighth of a small push's own work) only once this says it is full.
   */
  private bufferedBytes = 0;
  /** The channel `bufferedBytes` is about. */
  private bufferedChannel: DataTrackChannel | null = null;
  /** Packets the channel refused (closed mid-batch); only for diagnostics. */
  packetsRefused = 0;

  constructor(
    private readonly manager: () => Pick<NativePublisher, 'transmitInto'>,
    private readonly channel: () => DataTrackChannel | null,
    private readonly options: FrameSenderOptions,
  ) {}

  /**
   * Sends queued frames while the channel has room. Synchronous, so a push on an idle channel is
   * on the wire before tryPush returns.
   */
  flush(): void {
    // A send can synchronously re-enter (an event fired from inside the channel); the outer loop
    // will pick up whatever the inner call would have sent.
    if (this.flushing) return;
    const ch = this.channel();
    if (ch === null || !ch.isOpen) return;
    if (!this.registered.has(ch)) this.register(ch);
    const high = this.options.highWaterMark;
    const manager = this.manager();
    if (this.transmitBuffer === null) {
      const memory = new ArrayBuffer(4 * TRANSMIT_BUFFER_WORDS);
      this.transmitBuffer = { words: new Uint32Array(memory), bytes: Buffer.from(memory) };
    }
    const { words, bytes } = this.transmitBuffer;
    let buffered = this.bufferedChannel === ch ? this.bufferedBytes : ch.bufferedAmount;
    this.flushing = true;
    try {
      for (;;) {
        if (buffered >= high && (buffered = ch.bufferedAmount) >= high) return;
        const packets = manager.transmitInto(Math.min(high - buffered, MAX_BATCH_BYTES), words);
        if (packets === 0) return;
        const sent = this.sendBatch(ch, words, bytes, packets);
        if (sent < 0) return;
        buffered += sent;
      }
    } finally {
      this.flushing = false;
      this.bufferedChannel = ch;
      this.bufferedBytes = buffered;
    }
  }

  /** Bytes the channel would take now: flush() sends queued frames until this many are out. */
  room(): number {
    const ch = this.channel();
    if (ch === null || !ch.isOpen || this.flushing) return 0;
    return Math.max(0, this.options.highWaterMark - ch.bufferedAmount);
  }

  private register(ch: DataTrackChannel): void {
    this.registered.add(ch);
    ch.setBufferedAmountLowThreshold(this.options.lowWaterMark);
    ch.onBufferedAmountLow(() => this.flush());
  }

  /** Sends the batch transmitInto wrote; returns its bytes, or -1 if the channel refused a packet. */
  private sendBatch(ch: DataTrackChannel, ends: Uint32Array, bytes: Buffer, packets: number): number {
    const base = 4 * packets;
    let start = 0;
    for (let i = 0; i < packets; i++) {
      const end = ends[i];
      if (!ch.send(bytes.subarray(base + start, base + end))) {
        this.packetsRefused += packets - i;
        return -1;
      }
      start = end;
    }
    return start;
  }
}
