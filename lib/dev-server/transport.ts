// One participant's peer connection. The SFU is always the answerer: the client offers (in the
// join request or later), creates `_reliable`, `_lossy` and `_data_track` in-band, and the SFU adopts
// them. libdatachannel negotiates by itself: applying the remote offer produces the local answer.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { PeerConnection, type DataChannel, type RtcConfig } from 'node-datachannel';
import type { Logger } from './log';
import { guarded, reportCallbackError } from '../transport/guard';
import { iceUfragOf, inactivateMediaSections, mLineIndexOf } from './sdp';

export interface TransportEvents {
  onAnswer(sdp: string): void;
  onLocalCandidate(candidateInit: string): void;
  onConnected(): void;
  /** 'failed' / 'closed' / 'disconnected' after having been used. */
  onLost(state: string): void;
  /** A channel the client opened is adopted and open (announced once per channel). */
  onDataChannel(label: string, channel: DataChannel): void;
  /** An adopted channel closed, or was replaced by a newer one with the same label. */
  onDataChannelClosed?(label: string, channel: DataChannel): void;
  onMessage(label: string, message: Buffer): void;
}

export interface TransportConfig {
  /** Local address for ICE (loopback for a dev server bound to loopback). */
  bindAddress?: string;
  portRangeBegin?: number;
  portRangeEnd?: number;
}

let nextPcId = 1;

/**
 * Channels that were closed before this side could listen for their close. node-datachannel holds
 * the event loop open for every channel wrapper until the wrapper's close event has been delivered
 * or the wrapper is garbage-collected. A channel the client opened and closed again while its
 * announcement was in flight (a client that disconnects mid-connect) arrives already closed: its
 * close event is never delivered, so only a collection releases it, and an idle process may not
 * collect for a long time (jest's workers were force-exited over this). Counted here;
 * releaseStrandedChannels() collects them when the server closes.
 */
let strandedChannels = 0;

/**
 * Runs a full garbage collection if channels were stranded since the last one, so their wrappers
 * (no longer referenced: see PeerTransport.close) release their hold on the event loop.
 */
export function releaseStrandedChannels(): void {
  if (strandedChannels === 0) return;
  strandedChannels = 0;
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}

export class PeerTransport {
  private readonly pc: PeerConnection;
  /** libdatachannel closes channels whose JS wrapper is collected: keep every one. */
  private readonly channels = new Map<string, DataChannel>();
  private remoteUfrag: string | null = null;
  private answerSdp: string | null = null;
  private pendingCandidates: string[] = [];
  private hasRemote = false;
  private closed = false;
  private connectedOnce = false;
  state = 'new';
  private markDone!: () => void;
  /** Settles once libdatachannel reports the connection closed (its native resources are released). */
  readonly done = new Promise<void>((resolve) => (this.markDone = resolve));

  constructor(
    config: TransportConfig,
    private readonly events: TransportEvents,
    private readonly log: Logger,
  ) {
    const rtc: RtcConfig = {
      iceServers: [],
      // Clients packetize data-track frames to 16,000 bytes; advertise room for them.
      maxMessageSize: 65536,
      bindAddress: config.bindAddress,
      portRangeBegin: config.portRangeBegin,
      portRangeEnd: config.portRangeEnd,
    };
    this.pc = new PeerConnection(`sfu-${nextPcId++}`, rtc);
    this.pc.onLocalDescription(guarded('SFU local description handler', (sdp, type) => {
      if (this.closed || type !== 'answer') return;
      this.answerSdp = inactivateMediaSections(sdp);
      this.events.onAnswer(this.answerSdp);
      for (const c of this.pendingCandidates.splice(0)) this.events.onLocalCandidate(c);
    }));
    this.pc.onLocalCandidate(guarded('SFU local candidate handler', (candidate, mid) => {
      if (this.closed) return;
      const init = JSON.stringify({
        candidate: candidate.replace(/^a=/, ''),
        sdpMid: mid,
        sdpMLineIndex: this.answerSdp ? mLineIndexOf(this.answerSdp, mid) : 0,
        usernameFragment: this.answerSdp ? iceUfragOf(this.answerSdp) : undefined,
      });
      // A candidate must not overtake the answer it belongs to.
      if (this.answerSdp === null) this.pendingCandidates.push(init);
      else this.events.onLocalCandidate(init);
    }));
    // A state callback must be registered for libdatachannel to release the connection on close.
    this.pc.onStateChange(guarded('SFU connection state handler', (state) => {
      this.state = state;
      if (state === 'closed') this.markDone();
      if (this.closed) return;
      this.log.debug(`pc state ${state}`);
      if (state === 'connected') {
        this.connectedOnce = true;
        this.events.onConnected();
      } else if (state === 'failed' || state === 'closed' || (state === 'disconnected' && this.connectedOnce)) {
        this.events.onLost(state);
      }
    }));
    this.pc.onDataChannel(guarded('SFU data channel handler', (dc) => this.adopt(dc)));
  }

  /** True when this offer restarts ICE, which libdatachannel cannot do on a live connection. */
  isIceRestart(offerSdp: string): boolean {
    return this.remoteUfrag !== null && iceUfragOf(offerSdp) !== this.remoteUfrag;
  }

  get usable(): boolean {
    return !this.closed && this.state !== 'failed' && this.state !== 'closed';
  }

  /** Applies a client offer; the answer arrives through `onAnswer`. */
  applyOffer(sdp: string): void {
    this.answerSdp = null;
    this.remoteUfrag = iceUfragOf(sdp);
    this.pc.setRemoteDescription(sdp, 'offer');
    this.hasRemote = true;
  }

  addRemoteCandidate(candidateInit: string): void {
    if (this.closed || !this.hasRemote) return;
    let init: { candidate?: string; sdpMid?: string | null; sdpMLineIndex?: number | null };
    try {
      init = JSON.parse(candidateInit);
    } catch {
      this.log.debug('unparsable trickle candidate', candidateInit);
      return;
    }
    if (!init.candidate) return; // end-of-candidates
    try {
      this.pc.addRemoteCandidate(init.candidate, init.sdpMid ?? String(init.sdpMLineIndex ?? 0));
    } catch (err) {
      this.log.debug(`remote candidate refused: ${(err as Error).message}`);
    }
  }

  channel(label: string): DataChannel | undefined {
    return this.channels.get(label);
  }

  close(): Promise<void> {
    if (this.closed) return this.done;
    this.closed = true;
    // Bounded, in case the native side never reports back.
    const fallback = setTimeout(() => this.markDone(), 3000);
    fallback.unref();
    void this.done.then(() => clearTimeout(fallback));
    for (const dc of this.channels.values()) {
      try {
        // A channel that never opened here was closed before we listened: no close event will come.
        if (!dc.isOpen()) strandedChannels++;
        dc.close();
      } catch {
        /* already gone */
      }
    }
    // Nothing else references the wrappers (their close listeners hold no reference to them), so a
    // stranded one can be collected.
    this.channels.clear();
    try {
      this.pc.close();
    } catch {
      this.markDone();
    }
    return this.done;
  }

  private adopt(dc: DataChannel): void {
    const label = dc.getLabel();
    if (this.closed) {
      // node-datachannel holds the event loop open for a channel until its closed event has been
      // delivered to a listener (or the wrapper is collected): listen, then close.
      if (!dc.isOpen()) strandedChannels++;
      dc.onClosed(() => undefined);
      dc.close();
      return;
    }
    const previous = this.channels.get(label);
    this.channels.set(label, dc);
    if (previous) {
      this.events.onDataChannelClosed?.(label, previous);
      previous.close();
    }
    // Listeners node-datachannel holds must not reference the wrapper: a strong reference from one
    // would keep a stranded wrapper from ever being collected.
    const ref = new WeakRef(dc);
    dc.onClosed(guarded('SFU channel close handler', () => {
      const closed = ref.deref();
      if (!closed || this.channels.get(label) !== closed) return;
      this.channels.delete(label);
      if (!this.closed) this.events.onDataChannelClosed?.(label, closed);
    }));
    dc.onError((err) => this.log.debug(`channel ${label} error: ${err}`));
    dc.onMessage((msg) => {
      if (this.closed || typeof msg === 'string') return;
      // Inline rather than guarded(): this runs once per packet.
      try {
        this.events.onMessage(label, Buffer.isBuffer(msg) ? msg : Buffer.from(msg));
      } catch (err) {
        reportCallbackError('SFU message handler', err);
      }
    });
    // Channels opened by the client are normally open when announced; if not, wait for it. The
    // listener goes on before the check, so an open in between is not missed (announce is idempotent).
    let announced = false;
    const announce = () => {
      const opened = ref.deref();
      if (announced || this.closed || !opened || this.channels.get(label) !== opened) return;
      announced = true;
      this.events.onDataChannel(label, opened);
    };
    dc.onOpen(guarded('SFU channel open handler', announce));
    if (dc.isOpen()) announce();
  }
}
