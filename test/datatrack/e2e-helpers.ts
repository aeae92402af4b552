// End-to-end harness: real Rooms over real WebRTC through the development SFU or livekit-server
// (test/servers). Every wait is bounded; nothing sleeps to synchronize.

import type { TokenGrants } from '../../lib/dev-server';
import { startTestServer, type ServerKind, type StartOptions, type TestServer } from '../servers/test-server';
import { Room, RoomEvent } from '../../lib/room';
import type { DataTrackStream } from '../../lib/datatrack/frame-stream';
import type { RemoteDataTrack } from '../../lib/datatrack/remote-track';
import type { DataTrackFrame } from '../../lib/datatrack/frame';
import type { KeyProvider } from '../../lib/e2ee/key-provider';
import type { DataTrackSettings } from '../../lib/datatrack/types';

export const WAIT_MS = 10_000;

export interface TestRoomOptions {
  grants?: TokenGrants;
  keyProvider?: KeyProvider;
  dataTracks?: DataTrackSettings;
}

export class E2E {
  server!: TestServer;
  private readonly rooms = new Set<Room>();

  constructor(readonly kind: ServerKind = 'dev-sfu') {}

  async start(options?: StartOptions): Promise<void> {
    this.server = await startTestServer(this.kind, options);
  }

  async connect(identity: string, options: TestRoomOptions = {}): Promise<Room> {
    const encryption = options.keyProvider ? { keyProvider: options.keyProvider } : undefined;
    const room = new Room({ encryption, dataTracks: options.dataTracks });
    this.rooms.add(room);
    await room.connect(this.server.url, await this.server.token(identity, options.grants));
    return room;
  }

  async disconnectAll(): Promise<void> {
    await Promise.all([...this.rooms].map((r) => r.disconnect()));
    this.rooms.clear();
  }

  async stop(): Promise<void> {
    await this.disconnectAll();
    await this.server?.close();
  }
}

/** The remote track `name` of `publisher`, as `room` sees it (bounded wait). */
export async function remoteTrack(room: Room, publisher: string, name: string): Promise<RemoteDataTrack> {
  const end = Date.now() + WAIT_MS;
  let p = room.remoteParticipants.get(publisher);
  while (!p) {
    await once(room, RoomEvent.ParticipantConnected, Math.max(1, end - Date.now())).catch(() => undefined);
    p = room.remoteParticipants.get(publisher);
    if (!p && Date.now() > end) throw new Error(`${publisher} never joined`);
  }
  return p.waitForDataTrack(name, { timeoutMs: Math.max(1, end - Date.now()) });
}

export async function read(stream: DataTrackStream, timeoutMs = WAIT_MS): Promise<DataTrackFrame> {
  const f = await stream.read({ timeoutMs });
  if (!f) throw new Error(`no frame within ${timeoutMs} ms (stream ended: ${stream.endReason})`);
  return f;
}

/** Reads until `n` frames arrived or `timeoutMs` passed without one. */
export async function readUpTo(stream: DataTrackStream, n: number, idleMs = 1500): Promise<DataTrackFrame[]> {
  const out: DataTrackFrame[] = [];
  while (out.length < n) {
    const f = await stream.read({ timeoutMs: idleMs });
    if (!f) break;
    out.push(f);
  }
  return out;
}

export function once<T extends unknown[] = unknown[]>(
  emitter: { once(e: string, l: (...a: T) => void): unknown; off?(e: string, l: (...a: T) => void): unknown },
  event: string,
  timeoutMs = WAIT_MS,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const l = (...args: T) => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off?.(event, l);
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    emitter.once(event, l);
  });
}

/** Polls `fn` on the event loop until it holds (bounded); for counters with no event of their own. */
export async function until(fn: () => boolean, timeoutMs = WAIT_MS, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Pushes one frame per tick until the stream yields one (frames sent before the handle is known are lost). */
export async function pushUntilReceived(
  push: () => void,
  stream: DataTrackStream,
  timeoutMs = WAIT_MS,
): Promise<DataTrackFrame> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    push();
    const f = await stream.read({ timeoutMs: 50 });
    if (f) return f;
  }
  throw new Error('nothing received');
}

let warmups = 0;

/**
 * Makes sure packets flow from `pub` to `sub` through the SFU, using a throwaway track. Right
 * after connecting, the SFU may not have adopted a client's `_data_track` channel yet and drops
 * what it would forward there (as LiveKit does); tests that count frames start after this.
 */
export async function warmPath(pub: Room, sub: Room): Promise<void> {
  const name = `__warmup${warmups++}`;
  const local = await pub.localParticipant.publishDataTrack(name);
  try {
    const remote = await remoteTrack(sub, pub.localParticipant.identity, name);
    const stream = await remote.subscribe();
    await pushUntilReceived(() => local.tryPush({ payload: Uint8Array.of(0) }), stream);
    stream.cancel();
  } finally {
    await local.unpublish();
  }
}
