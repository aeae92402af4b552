// Core throughput: frames through the native publisher and subscriber pipelines
// (LocalManager.pushFrame + pollTransmit → RemoteManager.handlePacket per packet), next to a
// plain-Buffer baseline doing the equivalent copies in the same process (split each frame into
// 16000-byte chunks, concatenate them back).
//
// Run: npm run bench:core   (tsx bench/core.ts)

import type { RemoteFrame } from '../lib/native/binding';
import { nativePipeline } from './lib/native-pipeline';

const MTU = 16_000;
const CHUNK = MTU; // the baseline splits at the MTU, as the packetizer (almost) does

interface Case {
  label: string;
  size: number;
  /** Frames per measured run. */
  frames: number;
  /** Frames pushed before each pollTransmit. */
  batch: number;
}

const CASES: Case[] = [
  { label: '64 B', size: 64, frames: 300_000, batch: 16 },
  { label: '16 KiB', size: 16 * 1024, frames: 30_000, batch: 16 },
  { label: '1 MiB', size: 1024 * 1024, frames: 400, batch: 1 },
];

interface Result {
  seconds: number;
  bytes: number;
  frames: number;
}

function time(run: () => number, frames: number, size: number): Result {
  const start = process.hrtime.bigint();
  const delivered = run();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (delivered !== frames) throw new Error(`delivered ${delivered} of ${frames} frames`);
  return { seconds, bytes: frames * size, frames };
}

function makeNative(c: Case): () => number {
  const pipeline = nativePipeline({ queueCapacity: Math.max(16, c.batch), usesE2ee: false });
  const payload = Buffer.alloc(c.size, 0xab);

  return () => {
    let delivered = 0;
    let check = 0;
    const onFrame = (f: RemoteFrame) => {
      delivered++;
      check += f.payload.length;
    };
    for (let sent = 0; sent < c.frames; ) {
      const n = Math.min(c.batch, c.frames - sent);
      for (let i = 0; i < n; i++) pipeline.push(payload, null);
      sent += n;
      pipeline.drain(onFrame);
    }
    if (check !== delivered * c.size) throw new Error('payload size mismatch');
    return delivered;
  };
}

function makeBaseline(c: Case): () => number {
  const payload = Buffer.alloc(c.size, 0xab);
  return () => {
    let delivered = 0;
    let check = 0;
    for (let f = 0; f < c.frames; f++) {
      const chunks: Buffer[] = [];
      for (let off = 0; off < payload.length; off += CHUNK) {
        chunks.push(Buffer.from(payload.subarray(off, off + CHUNK))); // copy out, like a packet
      }
      const frame = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks); // copy back
      delivered++;
      check += frame.length;
    }
    if (check !== delivered * c.size) throw new Error('payload size mismatch');
    return delivered;
  };
}

function measure(make: (c: Case) => () => number, c: Case): Result {
  const run = make(c);
  // warm-up: a fifth of the work, twice
  const warm = { ...c, frames: Math.max(c.batch, Math.floor(c.frames / 5)) };
  const warmRun = make(warm);
  warmRun();
  warmRun();
  const results = [0, 1, 2].map(() => time(run, c.frames, c.size));
  return results.reduce((best, r) => (r.seconds < best.seconds ? r : best));
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function main(): void {
  const rows: string[][] = [['frame', 'ours MB/s', 'ours frames/s', 'baseline MB/s', 'baseline frames/s', 'ours/baseline']];
  for (const c of CASES) {
    const ours = measure(makeNative, c);
    const base = measure(makeBaseline, c);
    const mbps = (r: Result) => r.bytes / r.seconds / 1e6;
    const fps = (r: Result) => r.frames / r.seconds;
    rows.push([c.label, fmt(mbps(ours)), fmt(fps(ours), 0), fmt(mbps(base)), fmt(fps(base), 0), fmt(mbps(ours) / mbps(base), 2)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
  console.log(`core throughput (node ${process.version}, best of 3 runs, MB = 10^6 bytes)`);
  console.log(line(rows[0]));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows.slice(1)) console.log(line(r));
}

main();
