import type { DataChannel } from 'node-datachannel';
import type { DataTrackChannel } from '../datatrack/host';
import { guarded, reportCallbackError } from './guard';

/**
 * The `_data_track` channel as the data-track layer sees it. Open/closed is tracked from events
 * so the hot path does not cross into native code just to ask; send() still guards against the
 * native side having closed first.
 */
export class DataTrackChannelHandle implements DataTrackChannel {
  private open: boolean;
  private lowListeners: (() => void)[] = [];

  constructor(
    /** Kept here so the channel stays referenced (and alive) as long as this handle is. */
    readonly channel: DataChannel,
    onMessage: (packet: Uint8Array) => void,
    onOpen: () => void,
    onClose: () => void,
  ) {
    this.open = channel.isOpen();
    channel.onOpen(
      guarded('data channel open handler', () => {
        this.open = true;
        onOpen();
      }),
    );
    channel.onClosed(
      guarded('data channel close handler', () => {
        this.open = false;
        onClose();
      }),
    );
    channel.onMessage((msg) => {
      // Data-track packets are binary; a text message is not ours to interpret.
      if (typeof msg === 'string') return;
      try {
        onMessage(msg instanceof ArrayBuffer ? new Uint8Array(msg) : msg);
      } catch (err) {
        reportCallbackError('data track message handler', err);
      }
    });
    channel.onBufferedAmountLow(
      guarded('buffered-amount-low handler', () => {
        for (const listener of this.lowListeners) listener();
      }),
    );
  }

  get isOpen(): boolean {
    return this.open;
  }

  get bufferedAmount(): number {
    return this.open ? this.channel.bufferedAmount() : 0;
  }

  send(packet: Uint8Array): boolean {
    if (!this.open) return false;
    try {
      this.channel.sendMessageBinary(packet);
      return true;
    } catch {
      // Closed natively before our onClosed ran.
      this.open = false;
      return false;
    }
  }

  onBufferedAmountLow(listener: () => void): void {
    this.lowListeners.push(listener);
  }

  setBufferedAmountLowThreshold(bytes: number): void {
    this.channel.setBufferedAmountLowThreshold(bytes);
  }

  /** Marks the handle dead without touching the channel (used when the PC is being closed). */
  detach(): void {
    this.open = false;
    this.lowListeners = [];
  }
}
