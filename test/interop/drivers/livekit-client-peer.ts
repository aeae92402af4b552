// Test peer: LiveKit's JS SDK (livekit-client 2.23.0) running in Node, with WebRTC from
// node-datachannel's polyfill (libdatachannel) and WebSocket from `ws`. Test code only.
//
// Limits of this peer (livekit-client 2.23.0 itself):
// - no E2EE: livekit-client's E2EE runs in a Web Worker, which Node lacks, so
//   `connect({ e2eePassphrase })` throws (browser-peer.ts tests it in Chromium).
// - no data-track schema / frame encoding and no schema storage (the SDK neither sends nor reads
//   them), so `publish(name, { schema })` throws and defineSchema/getSchema are absent.

import * as ndc from 'node-datachannel/polyfill';
import WebSocket from 'ws';
import * as LK from 'livekit-client';
import {
  DEFAULT_TIMEOUT_MS,
  FrameQueue,
  Latch,
  withTimeout,
  type InteropPeer,
  type PeerConnectOptions,
  type PeerLocalTrack,
  type PeerPublishOptions,
  type PeerRemoteTrack,
  type PeerSubscription,
} from './peer';

// ---------------------------------------------------------------------------------------------
// Globals livekit-client expects from a browser

let globalsInstalled = false;

/**
 * Shim over the polyfill's offer/answer model. libdatachannel negotiates on its own: the first
 * createDataChannel() already sets a local offer and starts ICE gathering. A browser does neither
 * until setLocalDescription(). livekit-client 2.23.0 relies on the browser behaviour twice:
 * - createInitialOffer() requires signalingState 'stable' after creating its data channels, else
 *   it joins without an offer and never connects ("signaling state is not stable");
 * - candidates gathered before the signal is up are dropped ("cannot send signal request before
 *   connected, type: trickle"), so the SFU would never learn them.
 * So until the app applies its offer, report 'stable' and hold back icecandidate events.
 */
class NodeRTCPeerConnection extends (ndc.RTCPeerConnection as unknown as { new (config?: RTCConfiguration): any }) {
  private lkOfferApplied = false;
  private lkHeldCandidates: Event[] = [];

  get signalingState(): RTCSignalingState {
    const s = super.signalingState as RTCSignalingState;
    return s === 'have-local-offer' && !this.lkOfferApplied ? 'stable' : s;
  }

  // The polyfill's descriptions have read-only fields; livekit-client edits offer.sdp in place.
  async createOffer(): Promise<RTCSessionDescriptionInit> {
    const o = await super.createOffer();
    return { type: o.type, sdp: o.sdp };
  }

  async createAnswer(): Promise<RTCSessionDescriptionInit> {
    const a = await super.createAnswer();
    return { type: a.type, sdp: a.sdp };
  }

  dispatchEvent(ev: Event): boolean {
    if (ev.type === 'icecandidate' && !this.lkOfferApplied) {
      this.lkHeldCandidates.push(ev);
      return true;
    }
    return super.dispatchEvent(ev);
  }

  async setLocalDescription(desc?: RTCSessionDescriptionInit): Promise<void> {
    const first = desc?.type === 'offer' && !this.lkOfferApplied;
    if (first) {
      this.lkOfferApplied = true;
      // libdatachannel already applied this very offer; applying it again is not needed.
      if (super.signalingState === 'have-local-offer') {
        this.flushHeldCandidates();
        return;
      }
    }
    await super.setLocalDescription(desc);
    if (first) this.flushHeldCandidates();
  }

  private flushHeldCandidates() {
    const held = this.lkHeldCandidates.splice(0);
    setTimeout(() => {
      for (const ev of held) super.dispatchEvent(ev);
    }, 0);
  }
}

function defineGlobal(name: string, value: unknown) {
  // Node >= 21 defines `navigator` as a getter-only global, so define rather than assign.
  Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
}

export function installLivekitClientGlobals() {
  if (globalsInstalled) return;
  globalsInstalled = true;

  defineGlobal('WebSocket', WebSocket);
  defineGlobal('RTCPeerConnection', NodeRTCPeerConnection);
  defineGlobal('RTCSessionDescription', ndc.RTCSessionDescription);
  defineGlobal('RTCIceCandidate', ndc.RTCIceCandidate);
  defineGlobal('RTCDataChannel', ndc.RTCDataChannel);
  defineGlobal('RTCDataChannelEvent', ndc.RTCDataChannelEvent);
  defineGlobal('RTCPeerConnectionIceEvent', ndc.RTCPeerConnectionIceEvent);
  defineGlobal('RTCSctpTransport', ndc.RTCSctpTransport);
  defineGlobal('RTCDtlsTransport', ndc.RTCDtlsTransport);
  defineGlobal('RTCIceTransport', ndc.RTCIceTransport);
  defineGlobal('RTCCertificate', ndc.RTCCertificate);
  defineGlobal('RTCError', ndc.RTCError);
  // isReactNative() reads navigator.product; SignalClient reads navigator.connection; the browser
  // detector reads userAgent. `document` and `window` stay undefined so isWeb() is false and the
  // page-lifecycle/audio-element/device-change paths are skipped.
  if (typeof (globalThis as { navigator?: unknown }).navigator === 'undefined' || !(globalThis as any).navigator?.userAgent) {
    defineGlobal('navigator', { userAgent: 'Node.js', product: 'Node', onLine: true, language: 'en-US' });
  }

  const proto = NodeRTCPeerConnection.prototype as any;
  // Stub: livekit-client adds 3 audio + 3 video recvonly transceivers to every v1 publisher PC; the
  // polyfill (data channels only) throws. A fake transceiver keeps the offer data-channel-only.
  proto.addTransceiver = function addTransceiver(kind: unknown, init?: RTCRtpTransceiverInit) {
    const k = typeof kind === 'string' ? kind : 'audio';
    return {
      mid: null,
      direction: init?.direction ?? 'recvonly',
      currentDirection: null,
      sender: { track: null, transport: null, getParameters: () => ({ encodings: [] }) },
      receiver: { track: { kind: k }, transport: null },
      stop() {},
      setCodecPreferences() {},
    };
  };
  // Stub: the polyfill throws "Not implemented"; livekit-client calls getSenders() on close.
  proto.getSenders = () => [];
  // Stub: the polyfill throws "Not implemented"; nothing here receives media.
  proto.getReceivers = () => [];
  // getTransceivers (returns []) and getStats (ICE pair/bytes only) are implemented by the polyfill.

  unrefLivekitClientTimers();
}

/**
 * livekit-client leaves long timers behind after disconnect (10 s AbortSignal.timeout polyfill
 * timers of publishDataTrack/subscribe, the 15 s signal ping timeout re-armed by a late message),
 * which keeps jest from exiting. Timers of >= 1 s created from livekit-client's code are unref'd:
 * they still fire while anything else keeps the process alive.
 */
function unrefLivekitClientTimers() {
  const g = globalThis as unknown as { setTimeout: typeof setTimeout; setInterval: typeof setInterval };
  const fromLivekitClient = () => /node_modules[\\/]livekit-client[\\/]/.test(new Error().stack ?? '');
  for (const name of ['setTimeout', 'setInterval'] as const) {
    const orig = g[name] as (...a: unknown[]) => NodeJS.Timeout;
    const wrapped = function (this: unknown, cb: unknown, ms?: number, ...rest: unknown[]) {
      const t = orig.call(this, cb, ms, ...rest);
      if ((ms ?? 0) >= 1000 && fromLivekitClient()) t?.unref?.();
      return t;
    };
    for (const key of Reflect.ownKeys(orig)) {
      if (key === 'length' || key === 'name' || key === 'prototype') continue;
      Object.defineProperty(wrapped, key, Object.getOwnPropertyDescriptor(orig, key)!);
    }
    g[name] = wrapped as unknown as typeof setTimeout & typeof setInterval;
  }
}

installLivekitClientGlobals();

// Quiet by default; LK_INTEROP_JS_LOGS=debug|info|warn to see livekit-client's own logs.
LK.setLogLevel((process.env.LK_INTEROP_JS_LOGS ?? 'silent') as Parameters<typeof LK.setLogLevel>[0]);

// ---------------------------------------------------------------------------------------------

export class LivekitClientPeer implements InteropPeer {
  readonly kind = 'livekit-client' as const;
  readonly room: LK.Room;
  private unpublished = new Map<string, Latch<void>>(); // by sid
  private left = new Map<string, Latch<void>>(); // by identity

  constructor() {
    this.room = new LK.Room({ adaptiveStream: false, dynacast: false, disconnectOnPageLeave: false });
    this.room.on(LK.RoomEvent.DataTrackUnpublished, (sid: string) => this.unpublishLatch(sid).resolve());
    this.room.on(LK.RoomEvent.ParticipantDisconnected, (p: LK.RemoteParticipant) => this.leftLatch(p.identity).resolve());
  }

  get identity() {
    return this.room.localParticipant?.identity ?? '';
  }

  private unpublishLatch(sid: string) {
    let l = this.unpublished.get(sid);
    if (!l) this.unpublished.set(sid, (l = new Latch<void>()));
    return l;
  }

  private leftLatch(identity: string) {
    let l = this.left.get(identity);
    if (!l) this.left.set(identity, (l = new Latch<void>()));
    return l;
  }

  async connect(url: string, token: string, opts: PeerConnectOptions = {}): Promise<void> {
    if (opts.e2eePassphrase) {
      throw new Error('livekit-client peer: E2EE needs a Web Worker, unavailable in Node (browser-peer.ts tests it in Chromium)');
    }
    await withTimeout(
      this.room.connect(url, token, { autoSubscribe: true, maxRetries: 0 }),
      20_000,
      'livekit-client connect',
    );
  }

  async publish(name: string, opts: PeerPublishOptions = {}): Promise<PeerLocalTrack> {
    if (opts.schema || opts.frameEncoding) {
      throw new Error('livekit-client 2.23.0 does not support data-track schema / frame encoding');
    }
    const track = await withTimeout(
      this.room.localParticipant.publishDataTrack({ name }),
      DEFAULT_TIMEOUT_MS,
      `livekit-client publish of ${name}`,
    );
    const info = track.info;
    if (!info) throw new Error('livekit-client: published track has no info');
    return {
      sid: info.sid,
      name: info.name,
      usesE2ee: info.usesE2ee,
      push: async (payload, userTimestamp) => {
        // The SDK's frame type wants a non-shared Uint8Array; copy views of shared buffers.
        const bytes = payload.buffer instanceof ArrayBuffer ? payload : new Uint8Array(payload);
        await track.tryPush({ payload: bytes as Uint8Array<ArrayBuffer>, userTimestamp });
      },
      unpublish: () => withTimeout(track.unpublish(), DEFAULT_TIMEOUT_MS, `livekit-client unpublish of ${name}`),
    };
  }

  async waitForRemoteTrack(publisherIdentity: string, name: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<PeerRemoteTrack> {
    const existing = this.room.remoteParticipants.get(publisherIdentity)?.dataTracks.get(name);
    const track =
      existing ??
      (await withTimeout(
        new Promise<LK.RemoteDataTrack>((resolve) => {
          const on = (t: LK.RemoteDataTrack) => {
            if (t.publisherIdentity === publisherIdentity && t.info.name === name) {
              this.room.off(LK.RoomEvent.DataTrackPublished, on);
              resolve(t);
            }
          };
          this.room.on(LK.RoomEvent.DataTrackPublished, on);
          // Re-check: it may have arrived between the first look and the listener.
          const again = this.room.remoteParticipants.get(publisherIdentity)?.dataTracks.get(name);
          if (again) on(again);
        }),
        timeoutMs,
        `livekit-client: remote data track ${publisherIdentity}/${name}`,
      ));
    const sid = track.info.sid;
    return {
      sid,
      name: track.info.name,
      publisherIdentity: track.publisherIdentity,
      usesE2ee: track.info.usesE2ee,
      subscribe: (o) => this.subscribe(track, o?.bufferSize),
      waitForUnpublish: (t = DEFAULT_TIMEOUT_MS) =>
        withTimeout(this.unpublishLatch(sid).promise, t, `livekit-client: unpublish of ${track.info.name}`),
    };
  }

  private subscribe(track: LK.RemoteDataTrack, bufferSize = 64): PeerSubscription {
    const abort = new AbortController();
    const q = new FrameQueue();
    // RemoteDataTrack.subscribe() hides when the SFU confirmed the subscription; the manager's
    // openSubscriptionStream (same call, 2.23.0 internals) also returns that promise.
    const manager = (track as any).manager;
    let stream: ReadableStream<LK.DataTrackFrame>;
    let ready: Promise<void>;
    if (manager && typeof manager.openSubscriptionStream === 'function') {
      const [s, complete] = manager.openSubscriptionStream(track.info.sid, abort.signal, bufferSize);
      stream = s;
      ready = Promise.resolve(complete).then(() => undefined);
    } else {
      stream = track.subscribe({ signal: abort.signal, bufferSize });
      ready = Promise.resolve();
    }
    ready.catch(() => {});
    const reader = stream.getReader();
    void (async () => {
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          q.push({ payload: value.payload, userTimestamp: value.userTimestamp });
        }
        q.end();
      } catch (e) {
        q.end(abort.signal.aborted ? undefined : e);
      }
    })();
    return {
      ready,
      next: (t) => q.next(t),
      ended: (t) => q.ended(t),
      close: () => {
        abort.abort();
        q.end();
      },
      [Symbol.asyncIterator]: () => q.iterate(),
    };
  }

  waitForParticipantLeft(identity: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    return withTimeout(this.leftLatch(identity).promise, timeoutMs, `livekit-client: ${identity} leaving`);
  }

  async disconnect(): Promise<void> {
    await withTimeout(this.room.disconnect(), 10_000, 'livekit-client disconnect').catch(() => {});
    this.room.removeAllListeners();
  }
}
