// Per-frame vs batch calls into the addon: 64-byte frames through packetize + depacketize, one
// publisher and one subscriber manager back to back in this process (no network).
//
//   per frame: LocalManager.pushFrame per frame, transmitInto, RemoteManager.handlePacket per packet
//   batch:     LocalManager.pushFrames per BATCH frames, transmitInto, RemoteManager.handlePackets
//
// Both deliver every frame to JS (the batch form as one Buffer + ends + trackIds). Node-API
// crossings, not the Rust work, bound the per-frame form at small sizes.
//
// The same through the public API: a published LocalDataTrack (controller, Publisher, FrameSender)
// whose channel stages packets for a RemoteManager.handlePackets per BATCH frames (the receive
// side is the same for both rows):
//
//   tryPush:    LocalDataTrack.tryPush per frame (each is on the wire before it returns)
//   pushFrames: LocalDataTrack.pushFrames({ payloads, ends }) per BATCH frames (room defaults:
//               the frames the channel takes at once bypass the 16-frame queue, so one native
//               push and one flush per batch)
//
// Run: npm run bench:batch   (tsx bench/batch.ts)

import type { NativeLocalManager, NativeRemoteManager } from '../lib/native/binding';
import { wiredManagers } from './lib/native-pipeline';
import { type PublicTrackPipeline, publicTrackPipeline } from './lib/public-track';

const SIZE = 64;
const FRAMES = 2_000_000;
/** Frames per pushFrames call (and about per transmitInto batch). */
const BATCH = 1024;
/** transmitInto budget: one whole batch of 64-byte frames. */
const POLL_BYTES = 1 << 20;

/** Where transmitInto writes: POLL_BYTES plus a frame, and an end offset per packet. */
function transmitBuffer(): { words: Uint32Array; bytes: Buffer } {
  const words = new Uint32Array(POLL_BYTES / 2);
  return { words, bytes: Buffer.from(words.buffer) };
}

function pipeline(): { local: NativeLocalManager; remote: NativeRemoteManager; handle: number } {
  return wiredManagers({ queueCapacity: BATCH, usesE2ee: false });
}

function perFrame(frames: number): number {
  const { local, remote, handle } = pipeline();
  const payload = Buffer.alloc(SIZE, 0xab);
  const { words, bytes } = transmitBuffer();
  let delivered = 0;
  for (let sent = 0; sent < frames; ) {
    const n = Math.min(BATCH, frames - sent);
    for (let i = 0; i < n; i++) local.pushFrame(handle, payload, null, null, false);
    sent += n;
    for (let packets; (packets = local.transmitInto(POLL_BYTES, words)) !== 0; ) {
      let start = 4 * packets;
      for (let i = 0; i < packets; i++) {
        const end = 4 * packets + words[i];
        const out = remote.handlePacket(bytes.subarray(start, end));
        start = end;
        if (out !== null) for (const f of out) delivered += f.payload.length === SIZE ? 1 : 0;
      }
    }
  }
  return delivered;
}

function batched(frames: number): number {
  const { local, remote, handle } = pipeline();
  const data = Buffer.alloc(SIZE * BATCH, 0xab);
  const ends = Uint32Array.from({ length: BATCH }, (_, i) => (i + 1) * SIZE);
  const { words, bytes } = transmitBuffer();
  let delivered = 0;
  for (let sent = 0; sent < frames; ) {
    const n = Math.min(BATCH, frames - sent);
    const counts = local.pushFrames(handle, data.subarray(0, n * SIZE), ends.subarray(0, n), null, false);
    if (counts.queued !== n) throw new Error(`queued ${counts.queued} of ${n}`);
    sent += n;
    for (let packets; (packets = local.transmitInto(POLL_BYTES, words)) !== 0; ) {
      const out = remote.handlePackets(bytes.subarray(4 * packets, 4 * packets + words[packets - 1]), words.subarray(0, packets));
      if (out === null) continue;
      let start = 0;
      for (const end of out.ends) {
        delivered += end - start === SIZE ? 1 : 0;
        start = end;
      }
    }
  }
  return delivered;
}

function publicPerFrame(p: PublicTrackPipeline): (frames: number) => number {
  const frame = { payload: Buffer.alloc(SIZE, 0xab) };
  return (frames) => {
    let delivered = 0;
    for (let sent = 0; sent < frames; ) {
      const n = Math.min(BATCH, frames - sent);
      for (let i = 0; i < n; i++) p.track.tryPush(frame);
      sent += n;
      delivered += p.drain();
    }
    return delivered;
  };
}

function publicBatched(p: PublicTrackPipeline): (frames: number) => number {
  const payloads = Buffer.alloc(SIZE * BATCH, 0xab);
  const ends = Uint32Array.from({ length: BATCH }, (_, i) => (i + 1) * SIZE);
  return (frames) => {
    let delivered = 0;
    for (let sent = 0; sent < frames; ) {
      const n = Math.min(BATCH, frames - sent);
      const result = p.track.pushFrames({ payloads: payloads.subarray(0, n * SIZE), ends: ends.subarray(0, n) });
      if (result.queued !== n) throw new Error(`queued ${result.queued} of ${n}`);
      sent += n;
      delivered += p.drain();
    }
    return delivered;
  };
}

/** Best of three runs after a warm-up, in frames per second. */
function measure(run: (frames: number) => number, frames: number): number {
  run(frames / 10);
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const start = process.hrtime.bigint();
    const delivered = run(frames);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (delivered !== frames) throw new Error(`delivered ${delivered} of ${frames} frames`);
    best = Math.min(best, seconds);
  }
  return frames / best;
}

async function main(): Promise<void> {
  const one = measure(perFrame, FRAMES / 4);
  const many = measure(batched, FRAMES);
  const publicOne = measure(publicPerFrame(await publicTrackPipeline({}, SIZE, BATCH)), FRAMES / 4);
  const publicMany = measure(publicBatched(await publicTrackPipeline({}, SIZE, BATCH)), FRAMES);
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const row = (label: string, n: number) => console.log(`| ${label.padEnd(27)} | ${fmt(n).padStart(10)} |`);
  console.log(`${SIZE} B frames, packetize + depacketize, ${BATCH} frames per batch (node ${process.version}, best of 3 runs)`);
  console.log(`| ${'calls'.padEnd(27)} | frames/s   |`);
  console.log(`|${'-'.repeat(29)}|------------|`);
  row('addon: pushFrame per frame', one);
  row('addon: pushFrames', many);
  row('public: tryPush per frame', publicOne);
  row('public: pushFrames', publicMany);
  console.log(`addon batch / per frame: ${(many / one).toFixed(1)}x`);
  console.log(`public pushFrames / tryPush: ${(publicMany / publicOne).toFixed(1)}x`);
}

void main();
