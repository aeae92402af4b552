// What livekit-client 2.23.0 needs to run in Node against the dev SFU. Each stub is listed with
// the reason it exists; nothing here is needed by the SFU itself.

import * as polyfill from 'node-datachannel/polyfill';
import WebSocket from 'ws';

export function installLivekitClientGlobals(): void {
  const g = globalThis as Record<string, unknown>;
  // WebRTC: node-datachannel's W3C polyfill (data channels only).
  for (const name of [
    'RTCPeerConnection',
    'RTCSessionDescription',
    'RTCIceCandidate',
    'RTCDataChannel',
    'RTCDataChannelEvent',
    'RTCPeerConnectionIceEvent',
    'RTCCertificate',
    'RTCError',
  ]) {
    g[name] = (polyfill as Record<string, unknown>)[name];
  }
  // The polyfill throws "Not implemented" from addTransceiver; livekit-client adds 3 audio + 3 video
  // recvonly transceivers to every publisher PC. A media-less transceiver object lets it carry on; the
  // offer then has only the data section (the SFU's media handling is covered by TestClient media:true).
  const proto = (polyfill.RTCPeerConnection as unknown as { prototype: Record<string, unknown> }).prototype;
  proto.addTransceiver = function addTransceiverStub(kind: unknown, init?: { direction?: string }) {
    return {
      mid: null,
      direction: init?.direction ?? 'recvonly',
      currentDirection: null,
      sender: { track: null, getParameters: () => ({ encodings: [] }), setParameters: async () => undefined },
      receiver: { track: { kind }, getParameters: () => ({ codecs: [] }) },
      setCodecPreferences: () => undefined,
      stop: () => undefined,
    };
  };
  // getSenders/getReceivers also throw in the polyfill; with no media there are none.
  proto.getSenders = () => [];
  proto.getReceivers = () => [];
  // libdatachannel negotiates on its own: creating the first data channel already sets a local offer,
  // so the polyfill reports 'have-local-offer' before livekit-client asked for any offer, and the
  // client then refuses to build its initial offer. Report 'stable' until the client itself applies a
  // local description.
  const applied = new WeakSet<object>();
  const signalingState = Object.getOwnPropertyDescriptor(proto, 'signalingState')!.get!;
  Object.defineProperty(proto, 'signalingState', {
    configurable: true,
    get(this: object) {
      const state = signalingState.call(this) as string;
      return state === 'have-local-offer' && !applied.has(this) ? 'stable' : state;
    },
  });
  const setLocalDescription = proto.setLocalDescription as (this: object, d: unknown) => Promise<void>;
  proto.setLocalDescription = function (this: object, d: unknown) {
    applied.add(this);
    return setLocalDescription.call(this, d);
  };
  // livekit-client rewrites `offer.sdp` in place; the polyfill hands out a getter-only
  // RTCSessionDescription, so return a plain RTCSessionDescriptionInit instead.
  const createOffer = proto.createOffer as (this: object, o?: unknown) => Promise<{ type: string; sdp: string }>;
  proto.createOffer = async function (this: object, o?: unknown) {
    const offer = await createOffer.call(this, o);
    return { type: offer.type, sdp: offer.sdp };
  };
  // Signal: livekit-client uses the WHATWG WebSocket; `ws` implements the parts it touches.
  g.WebSocket = WebSocket;
  // Node 20 has no `navigator`; livekit-client reads userAgent/product for browser detection.
  if (typeof g.navigator === 'undefined') {
    Object.defineProperty(globalThis, 'navigator', {
      value: { userAgent: 'Node.js', product: 'Node', language: 'en' },
      configurable: true,
      writable: true,
    });
  }
}
