// A LocalDataTrack of the public API published in this process, with no network: its controller's
// signal requests are answered on the spot, and its `_data_track` channel stages every packet it
// is given (copied, as a real channel does) for a subscriber-side RemoteManager to depacketize.
// For benchmarks of the public push path (tryPush, pushFrames) that keep the receive side fixed.

import { DataTrackInfo, PublishDataTrackResponse } from '@livekit/protocol';
import { DataTrackController, type DataTrackControllerOptions } from '../../lib/datatrack/controller';
import type { DataTrackChannel, DataTrackHost, SignalMessage } from '../../lib/datatrack/host';
import type { LocalDataTrack } from '../../lib/datatrack/local-track';
import { native, type NativeRemoteManager } from '../../lib/native/binding';

/** A channel that is always open with nothing buffered; its packets wait in `staged` until drained. */
class StagingChannel implements DataTrackChannel {
  readonly isOpen = true;
  readonly bufferedAmount = 0;
  private staged: Buffer;
  private ends: Uint32Array;
  private bytes = 0;
  private packets = 0;

  constructor(capacityBytes: number, capacityPackets: number) {
    this.staged = Buffer.allocUnsafeSlow(capacityBytes);
    this.ends = new Uint32Array(capacityPackets);
  }

  send(packet: Uint8Array): boolean {
    if (this.bytes + packet.length > this.staged.length || this.packets === this.ends.length) {
      throw new Error('staging channel overflow: drain it more often');
    }
    this.staged.set(packet, this.bytes);
    this.bytes += packet.length;
    this.ends[this.packets++] = this.bytes;
    return true;
  }

  onBufferedAmountLow(): void {}
  setBufferedAmountLowThreshold(): void {}

  /** Hands the staged packets to `remote` in one call; returns how many frames it reassembled. */
  drainInto(remote: NativeRemoteManager): number {
    if (this.packets === 0) return 0;
    const out = remote.handlePackets(this.staged.subarray(0, this.bytes), this.ends.subarray(0, this.packets));
    this.bytes = 0;
    this.packets = 0;
    return out === null ? 0 : out.ends.length;
  }
}

class LoopbackHost implements DataTrackHost {
  controller!: DataTrackController;

  constructor(readonly channel: StagingChannel) {}

  sendSignal(message: SignalMessage): void {
    if (message.case !== 'publishDataTrackRequest') return;
    const req = message.value;
    const info = new DataTrackInfo({ pubHandle: req.pubHandle, sid: `DTR_${req.name}`, name: req.name, encryption: req.encryption });
    queueMicrotask(() => this.controller.onSignalResponse({ case: 'publishDataTrackResponse', value: new PublishDataTrackResponse({ info }) }));
  }
  dataTrackChannel(): DataTrackChannel {
    return this.channel;
  }
  localIdentity(): string {
    return 'bench';
  }
  isConnected(): boolean {
    return true;
  }
  isReconnecting(): boolean {
    return false;
  }
  waitUntilReady(): Promise<void> {
    return Promise.resolve();
  }
}

export interface PublicTrackPipeline {
  track: LocalDataTrack;
  /** Depacketizes everything sent since the last call; returns the frames reassembled. */
  drain(): number;
}

/** `stagedFrames` bounds how many frames may be pushed between two drains. */
export async function publicTrackPipeline(settings: DataTrackControllerOptions, frameSize: number, stagedFrames: number): Promise<PublicTrackPipeline> {
  const packetBytes = frameSize + 64; // header and extensions, with room to spare
  const channel = new StagingChannel(stagedFrames * packetBytes, stagedFrames);
  const host = new LoopbackHost(channel);
  host.controller = new DataTrackController(host, settings);
  const track = await host.controller.publishDataTrack('bench');
  const remote = new (native().RemoteManager)();
  const { published } = remote.updateParticipant('publisher', [{ sid: track.sid, pubHandle: track._handle, name: track.name, usesE2ee: track.info.usesE2ee }]);
  remote.subscribe(published[0].trackId, 1);
  remote.setSubscriberHandles([[track._handle, track.sid]]); // the SFU would rewrite; same handle here
  return { track, drain: () => channel.drainInto(remote) };
}
