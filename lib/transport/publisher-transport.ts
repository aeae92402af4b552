import { debuglog } from 'node:util';
import { PeerConnection } from 'node-datachannel';
import type { DataChannel, RTCPeerConnectionState } from 'node-datachannel';
import { DataTrackChannelHandle } from './data-channel';
import { guarded } from './guard';
import { type IceServerConfig, toLibdatachannelIceServers } from './ice';

const debug = debuglog('livekit:transport');

export const RELIABLE_LABEL = '_reliable';
export const LOSSY_LABEL = '_lossy';
export const DATA_TRACK_LABEL = '_data_track';

/** Unordered, no retransmissions: a late data-track packet is worse than a lost one. */
const UNRELIABLE = { unordered: true, maxRetransmits: 0 } as const;

export interface PublisherTransportHandler {
  /** A local ICE candidate to trickle, as the JSON `candidateInit` LiveKit expects. */
  onIceCandidate(candidateInit: string): void;
  /** One binary message from a `_data_track` channel. Hot path. */
  onDataTrackMessage(packet: Uint8Array): void;
  /** A `_data_track` channel became usable. */
  onDataTrackChannelOpen(): void;
  /** The PC failed or closed on its own (never called after close()). */
  onFailed(state: RTCPeerConnectionState): void;
}

export interface PublisherTransportOptions {
  iceServers: readonly IceServerConfig[];
}

/**
 * The single ("publisher") peer connection of a `/rtc/v1` session: it owns the three client
 * data channels, the offer/answer exchange and both directions of trickle ICE.
 */
export class PublisherTransport {
  private readonly pc: PeerConnection;
  /** Every channel, ours and the SFU's: node-datachannel closes channels that get collected. */
  private readonly channels: DataChannel[] = [];
  private dataTrack: DataTrackChannelHandle | null = null;
  private offerId = 0;
  private localMid = '0';
  private localOffer: Promise<string> | undefined;
  private remoteDescriptionSet = false;
  /** Local candidates wait for the answer: the SFU only knows our ICE credentials from then on. */
  private heldLocalCandidates: string[] | undefined = [];
  private heldRemoteCandidates: { candidate: string; mid: string }[] = [];
  private state: RTCPeerConnectionState = 'new';
  private closed = false;
  private connectedWaiters = new Set<{ resolve(): void; reject(err: Error): void }>();
  /** Set once the `_data_track` channel has opened or closed, whichever came first. */
  private channelSettled = false;
  private channelWaiters: (() => void)[] = [];

  constructor(
    private readonly handler: PublisherTransportHandler,
    opts: PublisherTransportOptions,
  ) {
    this.pc = new PeerConnection('livekit-publisher', {
      iceServers: toLibdatachannelIceServers(opts.iceServers),
      // We offer exactly once, after all three channels exist, rather than on the first one.
      disableAutoNegotiation: true,
    });
    this.pc.onStateChange(guarded('peer state handler', (state) => this.onStateChange(state as RTCPeerConnectionState)));
    this.pc.onLocalCandidate(guarded('local candidate handler', (candidate, mid) => this.onLocalCandidate(candidate, mid)));
    this.pc.onDataChannel(guarded('data channel handler', (channel) => this.adoptRemoteChannel(channel)));

    const reliable = this.pc.createDataChannel(RELIABLE_LABEL);
    const lossy = this.pc.createDataChannel(LOSSY_LABEL, UNRELIABLE);
    const dataTrack = this.pc.createDataChannel(DATA_TRACK_LABEL, UNRELIABLE);
    this.keep(reliable);
    this.keep(lossy);
    this.keep(dataTrack);
    this.dataTrack = this.wrapDataTrack(dataTrack);
  }

  get connectionState(): RTCPeerConnectionState {
    return this.state;
  }

  /** The `_data_track` channel if it is open. */
  dataTrackChannel(): DataTrackChannelHandle | null {
    const channel = this.dataTrack;
    return channel !== null && channel.isOpen ? channel : null;
  }

  /**
   * Generates the offer (libdatachannel does so asynchronously) and returns it with a fresh id,
   * to be sent in the join request or as a signal `offer`.
   */
  createOffer(): Promise<{ sdp: string; id: number }> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    if (!this.localOffer) {
      this.localOffer = new Promise<string>((resolve, reject) => {
        this.pc.onLocalDescription(
          guarded('local description handler', (sdp, type) => {
            if (type === 'offer') resolve(sdp);
          }),
        );
        try {
          this.pc.setLocalDescription('offer');
        } catch (err) {
          reject(err);
        }
      });
    }
    return this.localOffer.then((sdp) => {
      const mid = /^a=mid:(\S+)/m.exec(sdp);
      if (mid) this.localMid = mid[1];
      this.offerId += 1;
      return { sdp, id: this.offerId };
    });
  }

  /** Applies the SFU's answer. Returns false (and ignores it) when it answers an older offer. */
  setAnswer(sdp: string, id: number): boolean {
    if (this.closed) return false;
    if (id !== 0 && id !== this.offerId) {
      debug('ignoring answer %d, latest offer is %d', id, this.offerId);
      return false;
    }
    this.pc.setRemoteDescription(sdp, 'answer');
    this.remoteDescriptionSet = true;
    for (const c of this.heldRemoteCandidates) this.addCandidate(c.candidate, c.mid);
    this.heldRemoteCandidates = [];
    const held = this.heldLocalCandidates;
    this.heldLocalCandidates = undefined;
    if (held) for (const init of held) this.handler.onIceCandidate(init);
    return true;
  }

  /** A trickled candidate from the SFU (`candidateInit` JSON). */
  addRemoteCandidate(candidateInit: string): void {
    if (this.closed) return;
    let init: { candidate?: unknown; sdpMid?: unknown };
    try {
      init = JSON.parse(candidateInit) as typeof init;
    } catch {
      debug('ignoring malformed remote candidate %s', candidateInit);
      return;
    }
    const candidate = typeof init.candidate === 'string' ? init.candidate : '';
    // An empty candidate only marks the end of gathering.
    if (candidate === '') return;
    const mid = typeof init.sdpMid === 'string' && init.sdpMid !== '' ? init.sdpMid : this.localMid;
    if (!this.remoteDescriptionSet) this.heldRemoteCandidates.push({ candidate, mid });
    else this.addCandidate(candidate, mid);
  }

  /**
   * Resolves once the `_data_track` channel has opened, or closed without opening (an SFU with
   * data tracks disabled closes it); never rejects, but gives up after `timeoutMs`.
   */
  waitDataTrackChannel(timeoutMs: number): Promise<void> {
    if (this.channelSettled || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.channelWaiters.push(done);
    });
  }

  /** Resolves once ICE+DTLS are up; rejects on failure, close, abort or timeout. */
  waitConnected(signal: AbortSignal | undefined, timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new Error('transport closed'));
    if (this.state === 'connected') return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.connectedWaiters.delete(waiter);
        if (err) reject(err);
        else resolve();
      };
      const waiter = { resolve: () => done(), reject: (err: Error) => done(err) };
      const onAbort = () => done(signal!.reason instanceof Error ? signal!.reason : new Error('aborted'));
      const timer = setTimeout(
        () => done(new TimeoutError(`peer connection not connected after ${timeoutMs} ms`)),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.connectedWaiters.add(waiter);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.dataTrack?.detach();
    for (const waiter of this.connectedWaiters) waiter.reject(new Error('transport closed'));
    this.connectedWaiters.clear();
    this.settleChannel();
    // Closing the PC does not report never-opened channels as closed, and node-datachannel only
    // releases a channel (and the event loop) on that report: close each channel explicitly.
    for (const channel of this.channels) {
      try {
        channel.close();
      } catch (err) {
        debug('closing channel %s failed: %s', channel.getLabel(), String(err));
      }
    }
    try {
      this.pc.close();
    } catch (err) {
      debug('closing the peer connection failed: %s', String(err));
    }
  }

  private onStateChange(state: RTCPeerConnectionState): void {
    this.state = state;
    debug('publisher state %s', state);
    if (this.closed) return;
    if (state === 'connected') {
      for (const waiter of this.connectedWaiters) waiter.resolve();
    } else if (state === 'failed' || state === 'closed') {
      const err = new Error(`peer connection ${state}`);
      for (const waiter of this.connectedWaiters) waiter.reject(err);
      this.handler.onFailed(state);
    }
  }

  private onLocalCandidate(candidate: string, mid: string): void {
    if (this.closed) return;
    const init = JSON.stringify({
      candidate: candidate.startsWith('a=') ? candidate.slice(2) : candidate,
      sdpMid: mid,
      // One m-section (application) in the offer.
      sdpMLineIndex: 0,
    });
    if (this.heldLocalCandidates) this.heldLocalCandidates.push(init);
    else this.handler.onIceCandidate(init);
  }

  private addCandidate(candidate: string, mid: string): void {
    try {
      this.pc.addRemoteCandidate(candidate, mid);
    } catch (err) {
      debug('remote candidate rejected (%s): %s', String(err), candidate);
    }
  }

  /** SFU-created channels (dual-PC mode): adopt `_data_track`, keep and drain the rest. */
  private adoptRemoteChannel(channel: DataChannel): void {
    this.keep(channel);
    if (channel.getLabel() !== DATA_TRACK_LABEL || this.closed) return;
    if (this.dataTrack?.isOpen) {
      // Still deliver what arrives on it; the open one keeps carrying our sends.
      new DataTrackChannelHandle(channel, (packet) => this.handler.onDataTrackMessage(packet), () => {}, () => {});
      return;
    }
    this.dataTrack?.detach();
    this.dataTrack = this.wrapDataTrack(channel);
    if (this.dataTrack.isOpen) {
      this.settleChannel();
      this.handler.onDataTrackChannelOpen();
    }
  }

  private wrapDataTrack(channel: DataChannel): DataTrackChannelHandle {
    const handle: DataTrackChannelHandle = new DataTrackChannelHandle(
      channel,
      (packet) => this.handler.onDataTrackMessage(packet),
      () => {
        if (this.closed || this.dataTrack !== handle) return;
        this.settleChannel();
        this.handler.onDataTrackChannelOpen();
      },
      () => {
        debug('%s channel closed', DATA_TRACK_LABEL);
        if (this.dataTrack === handle) this.settleChannel();
      },
    );
    return handle;
  }

  private settleChannel(): void {
    this.channelSettled = true;
    for (const done of this.channelWaiters.splice(0)) done();
  }

  private keep(channel: DataChannel): void {
    this.channels.push(channel);
    if (channel.getLabel() !== DATA_TRACK_LABEL) {
      // Unread messages would pile up inside libdatachannel; this client has no use for them.
      channel.onMessage(() => {});
      // node-datachannel releases a channel's hold on the event loop only from its close
      // callback, and only hooks that up once one is registered: without it the process lingers.
      channel.onClosed(() => {});
    }
  }
}

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}
