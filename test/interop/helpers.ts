// Shared plumbing for the interop tests: the dev SFU (loaded lazily so these tests skip, rather
// than fail to compile, while lib/dev-server is still being built) and peer factories.

import * as crypto from 'node:crypto';
import type { InteropPeer, PeerKind } from './drivers/peer';

export interface DevServerLike {
  readonly url: string;
  token(identity: string, grants?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
  on(event: 'forward', listener: (info: { room: string; from: string; trackSid: string; packet: Uint8Array; to: string[] }) => void): unknown;
  off(event: 'forward', listener: (...args: never[]) => void): unknown;
}

interface DevServerModule {
  DevServer: { start(opts: { port: number; logLevel?: string }): Promise<DevServerLike> };
}

/** The dev SFU module, or null (with the reason) if it is not there yet. */
export function loadDevServer(): { mod: DevServerModule | null; reason?: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../../lib/dev-server') as Partial<DevServerModule>;
    if (!mod.DevServer || typeof mod.DevServer.start !== 'function') {
      return { mod: null, reason: 'lib/dev-server does not export DevServer.start' };
    }
    return { mod: mod as DevServerModule };
  } catch (e) {
    return { mod: null, reason: `lib/dev-server not loadable: ${(e as Error).message.split('\n')[0]}` };
  }
}

export function makePeer(kind: PeerKind): InteropPeer {
  // Required lazily: each driver pulls in a native addon and (livekit-client) browser globals.
  if (kind === 'livekit-client') {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { LivekitClientPeer } = require('./drivers/livekit-client-peer') as typeof import('./drivers/livekit-client-peer');
    return new LivekitClientPeer();
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
  constructor(private readonly server: () => DevServerLike) {}

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

  async disconnectAll() {
    const peers = this.peers.splice(0);
    await Promise.all(peers.map((p) => p.disconnect().catch(() => {})));
  }
}

