// Shared plumbing for the interop tests: peer factories, payloads, and a pool that disconnects
// every peer even when a test fails.

import * as crypto from 'node:crypto';
import type { TestServer } from '../servers/test-server';
import { deliverWithRepushes } from '../helpers/lossy-path';
import { nextReal, primeSubscription, type InteropPeer, type PeerFrame, type PeerKind, type PeerLocalTrack, type PeerRemoteTrack, type PeerSubscription } from './drivers/peer';

/** What a peer needs of a server: where it is and a token for it. */
export type PeerEndpoint = Pick<TestServer, 'url' | 'token'>;

export function makePeer(kind: PeerKind): InteropPeer {
  // Required lazily: each driver pulls in a native addon and (livekit-client) browser globals.
  if (kind === 'livekit-client') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LivekitClientPeer } = require('./drivers/livekit-client-peer') as typeof import('./drivers/livekit-client-peer');
    return new LivekitClientPeer();
  }
  if (kind === 'livekit-client-browser') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { BrowserPeer } = require('./drivers/browser-peer') as typeof import('./drivers/browser-peer');
    return new BrowserPeer();
  }
  if (kind === 'ours') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { OursPeer } = require('./drivers/ours-peer') as typeof import('./drivers/ours-peer');
    return new OursPeer();
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { RustFfiPeer } = require('./drivers/rust-ffi-peer') as typeof import('./drivers/rust-ffi-peer');
  return new RustFfiPeer();
}

export function uniqueRoom(prefix = 'interop') {
  return `${prefix}-${crypto.randomBytes(4).toString('hex')}`;
}

export function randomPayload(size: number): Uint8Array {
  return new Uint8Array(crypto.randomBytes(size));
}

export function sameBytes(a: Uint8Array, b: Uint8Array) {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

/** Tracks peers so a failing test still disconnects them all. */
export class PeerPool {
  private peers: InteropPeer[] = [];
  constructor(private readonly server: () => PeerEndpoint) {}

  async connect(kind: PeerKind, identity: string, room: string, opts?: { e2eePassphrase?: string }): Promise<InteropPeer> {
    const peer = makePeer(kind);
    this.peers.push(peer);
    const token = await this.server().token(identity, {
      room,
      roomJoin: true,
      canPublish: true,
      canSubscribe: true,
      canPublishData: true,
    });
    await peer.connect(this.server().url, token, opts);
    return peer;
  }

  /**
   * A publisher and a subscriber of the given kinds in a fresh room, one track between them, the
   * subscription primed so frames pushed from now on are delivered.
   */
  async pair(pubKind: PeerKind, subKind: PeerKind, name: string, opts: { roomPrefix: string; e2eePassphrase?: string }): Promise<PeerPair> {
    const room = uniqueRoom(opts.roomPrefix);
    const publisher = await this.connect(pubKind, `pub-${pubKind}`, room, { e2eePassphrase: opts.e2eePassphrase });
    const subscriber = await this.connect(subKind, `sub-${subKind}`, room, { e2eePassphrase: opts.e2eePassphrase });
    const local = await publisher.publish(name);
    const remote = await subscriber.waitForRemoteTrack(publisher.identity, name);
    const sub = remote.subscribe();
    await primeSubscription(local, sub);
    return { publisher, subscriber, local, remote, sub };
  }

  async disconnectAll() {
    const peers = this.peers.splice(0);
    await Promise.all(peers.map((p) => p.disconnect().catch(() => {})));
  }
}

export interface PeerPair {
  publisher: InteropPeer;
  subscriber: InteropPeer;
  local: PeerLocalTrack;
  remote: PeerRemoteTrack;
  sub: PeerSubscription;
}

/**
 * Pushes `payload` until it arrives whole (up to 5 times), and returns what arrived (checked
 * by the caller). Both SFUs drop a burst's packets once a subscriber's channel is over its latency
 * target (livekit-server's rule, and the dev SFU's after it: test/interop/FINDINGS.md, 5), which a
 * slow receiver on a loaded machine hits with a frame of a dozen packets or more; so a frame of many
 * packets gets a few pushes. A single-packet frame gets one.
 */
export async function deliverFrame(
  local: Pick<PeerLocalTrack, 'push'>,
  sub: PeerSubscription,
  payload: Uint8Array,
  userTimestamp: bigint | undefined,
): Promise<PeerFrame> {
  const delivery = await deliverWithRepushes({
    push: () => local.push(payload, userTimestamp),
    next: (timeoutMs) => nextReal(sub, timeoutMs),
    maxPushes: payload.byteLength <= MULTI_PACKET_BYTES ? 1 : 5,
    waitMs: 3_000,
    lastWaitMs: 20_000,
  });
  return delivery.frame;
}

/** Above this a frame takes more than one DTP packet. */
const MULTI_PACKET_BYTES = 16 * 1024;

/** The publisher leaves: the subscriber sees its participant leave, its track unpublished, the stream end. */
export async function publisherLeaves(p: PeerPair): Promise<void> {
  await p.publisher.disconnect();
  await p.subscriber.waitForParticipantLeft(p.publisher.identity);
  await p.remote.waitForUnpublish();
  await p.sub.ended();
}
