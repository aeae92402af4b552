// Reconnect tests: real Rooms through the development SFU and livekit-server. Frames carry "<track>#<seq>" so every
// received frame can be checked for integrity and routing; waits are bounded, nothing sleeps.

import type { TestServer } from '../servers/test-server';
import type { DataTrackStream } from '../../lib/datatrack/frame-stream';
import type { LocalDataTrack } from '../../lib/datatrack/local-track';
import type { RemoteDataTrack } from '../../lib/datatrack/remote-track';
import type { RoomOptions } from '../../lib/room/options';
import { RoomEvent } from '../../lib/room/events';
import { Room } from '../../lib/room/room';

export const WAIT_MS = 15_000;

/** Where a room connects: a server, or a proxy in front of one with the server's tokens. */
export type Endpoint = Pick<TestServer, 'url' | 'token'>;

export async function connectRoom(server: Endpoint, identity: string, room: string, options: RoomOptions = {}): Promise<Room> {
  const r = new Room({ connectTimeoutMs: 10_000, ...options });
  await r.connect(server.url, await server.token(identity, { room }));
  return r;
}

/** Polls on the event loop until `fn` holds (bounded); for state with no event of its own. */
export async function until(fn: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function nextEvent(room: Room, event: RoomEvent, timeoutMs = WAIT_MS): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const l = (...args: unknown[]) => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      room.off(event as never, l as never);
      reject(new Error(`no '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    room.once(event as never, l as never);
  });
}

/** The remote track `name` of `publisher` as `room` sees it. */
export async function remoteTrack(room: Room, publisher: string, name: string): Promise<RemoteDataTrack> {
  await until(() => room.remoteParticipants.has(publisher), `${publisher} in the room`);
  return room.remoteParticipants.get(publisher)!.waitForDataTrack(name, { timeoutMs: WAIT_MS });
}

/** Pushes "<name>#<seq>" frames on a timer; pushes that fail are counted, never thrown. */
export class Pump {
  seq = 0;
  threw = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly track: LocalDataTrack,
    private readonly everyMs = 5,
  ) {}

  start(): this {
    this.timer = setInterval(() => this.pushOne(), this.everyMs);
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  pushOne(): void {
    const seq = ++this.seq;
    try {
      this.track.tryPush({ payload: Buffer.from(`${this.track.name}#${seq}#${'x'.repeat(seq % 64)}`) }, { onQueueFull: 'dropOldest' });
    } catch {
      this.threw++;
    }
  }
}

/** Reads a stream in the background and checks every frame. */
export class Collector {
  readonly seqs: number[] = [];
  bad: string[] = [];
  done: Promise<void>;
  private waiters: Array<() => void> = [];

  constructor(
    readonly stream: DataTrackStream,
    readonly name: string,
  ) {
    this.done = this.loop();
  }

  get last(): number {
    return this.seqs.length ? this.seqs[this.seqs.length - 1] : 0;
  }

  private async loop(): Promise<void> {
    for (;;) {
      const f = await this.stream.read();
      if (!f) return;
      const text = Buffer.from(f.payload).toString();
      const m = /^(.+)#(\d+)#(x*)$/.exec(text);
      if (!m || m[1] !== this.name || m[3].length !== Number(m[2]) % 64) this.bad.push(text.slice(0, 80));
      else this.seqs.push(Number(m[2]));
      for (const w of this.waiters.splice(0)) w();
    }
  }

  /** Resolves once a frame with a sequence number above `seq` has arrived. */
  async receivedAfter(seq: number, timeoutMs = WAIT_MS): Promise<void> {
    await until(() => this.seqs.some((s) => s > seq), `a frame after #${seq} on ${this.name}`, timeoutMs);
  }

  /** Frames in 1..sent that never arrived. */
  lost(sent: number): number {
    const got = new Set(this.seqs.filter((s) => s <= sent));
    return sent - got.size;
  }

  /** Frames in (after, upTo] that never arrived: losses after delivery had resumed. */
  lostBetween(after: number, upTo: number): number {
    const got = new Set(this.seqs.filter((s) => s > after && s <= upTo));
    return Math.max(0, upTo - after - got.size);
  }

  /** The first sequence number received above `seq` (call after receivedAfter(seq)). */
  firstAfter(seq: number): number {
    return Math.min(...this.seqs.filter((s) => s > seq));
  }

  duplicates(): number {
    return this.seqs.length - new Set(this.seqs).size;
  }
}

/** Makes sure packets flow from pub to sub through the SFU before anything is counted. */
export async function warmPath(pub: Room, sub: Room): Promise<void> {
  const local = await pub.localParticipant.publishDataTrack('__warmup');
  const remote = await remoteTrack(sub, pub.localParticipant.identity, '__warmup');
  const stream = await remote.subscribe();
  const end = Date.now() + WAIT_MS;
  for (;;) {
    local.tryPush({ payload: Uint8Array.of(1) }, { onQueueFull: 'dropOldest' });
    if (await stream.read({ timeoutMs: 50 })) break;
    if (Date.now() > end) throw new Error('warm-up frames never arrived');
  }
  stream.cancel();
  await local.unpublish();
}

/** One flowing track: pub publishes `name`, sub subscribes, frames are pumped and collected. */
export async function flowingTrack(pub: Room, sub: Room, name: string) {
  const local = await pub.localParticipant.publishDataTrack(name);
  const remote = await remoteTrack(sub, pub.localParticipant.identity, name);
  const stream = await remote.subscribe({ bufferSize: 1024 });
  const pump = new Pump(local).start();
  const collector = new Collector(stream, name);
  await collector.receivedAfter(20);
  return { local, remote, stream, pump, collector };
}

/** Stops the pump after the last frames had a chance to arrive, then logs one summary line. */
export async function finish(label: string, f: Awaited<ReturnType<typeof flowingTrack>>): Promise<{ lost: number; sent: number }> {
  const sent = f.pump.seq;
  f.pump.stop();
  // The tail: wait for the final frame (or give it a bounded chance; it can be lost legitimately).
  await until(() => f.collector.last >= sent, 'the last frame', 3_000).catch(() => undefined);
  const lost = f.collector.lost(sent);
  console.log(
    `[reconnect] ${label}: sent ${sent}, received ${f.collector.seqs.length}, lost ${lost}, ` +
      `bad ${f.collector.bad.length}, duplicates ${f.collector.duplicates()}, push errors ${f.pump.threw}`,
  );
  return { lost, sent };
}
