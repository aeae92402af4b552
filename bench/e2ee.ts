// E2EE cost per frame, in one process, every variant on the same sizes in the same run:
//  - bare: one AES-GCM pass each way with the addon's AesGcmKey (seal, then open), the least the
//    SDK's E2EE can pay; and the same pass through node:crypto (createCipheriv/update/final/
//    getAuthTag, then createDecipheriv/setAuthTag/update/final), what the SDK used before;
//  - their parts: node:crypto's per-frame cipher set-up alone, IV generation;
//  - cryptor: DataTrackFrameCryptor.encrypt + decrypt, the SDK's per-frame E2EE work;
//  - path: the native publisher → subscriber pipeline (no network) with E2EE (pushFrame seals the
//    queued copy, as the SDK's sender does; decrypt each reassembled frame) against the same
//    pipeline in plaintext.
// Per-frame figures are CPU time (process.cpuUsage, user + system), best of 5 runs.
//
// Run: npm run bench:e2ee   (tsx bench/e2ee.ts [--sizes 1,16,64,256])

import * as crypto from 'node:crypto';
import { DataTrackFrameCryptor, KeyProvider } from '../lib/e2ee';
import { IV_LENGTH, TAG_LENGTH, aesGcmKey } from '../lib/e2ee/frame-cryptor';
import { native } from '../lib/native/binding';
import type { RemoteFrame } from '../lib/native/binding';
import { nativePipeline } from './lib/native-pipeline';

const IDENTITY = 'bench-publisher';
const KEY_BITS = 256;
const CIPHER = 'aes-256-gcm';
const BARE = 'bare AES-GCM enc+dec (addon)';

function framesFor(size: number): number {
  // About 64 MiB per measured run, at least 2,000 frames.
  return Math.max(2_000, Math.floor((64 * 2 ** 20) / size));
}

function cpuUsPerFrame(frames: number, run: () => void): number {
  const t0 = process.cpuUsage();
  run();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / frames;
}

/** Wall time of the first 1 KiB encrypt + decrypt after the key was set (one sample). */
let firstFrameUs = NaN;

type Variant = (payload: Buffer, frames: number) => () => void;

async function variants(): Promise<Record<string, Variant>> {
  const raw = crypto.randomBytes(KEY_BITS / 8);
  const key = crypto.createSecretKey(raw);
  const provider = new KeyProvider({ keySize: KEY_BITS });
  await provider.setSharedKey(new Uint8Array(raw));
  const cryptor = new DataTrackFrameCryptor(provider);
  // Before anything else in this process touches AES-GCM: what the first frame after setKey pays.
  const first = crypto.randomBytes(1024);
  const t0 = process.hrtime.bigint();
  const sealed = cryptor.encrypt(IDENTITY, first);
  if (cryptor.decrypt(IDENTITY, sealed.payload, sealed.e2ee) === null) throw new Error('decrypt failed');
  firstFrameUs = Number(process.hrtime.bigint() - t0) / 1e3;
  const iv = crypto.randomBytes(IV_LENGTH);
  const aead = aesGcmKey(raw);
  let sink = 0;

  return {
    [BARE]: (payload, frames) => () => {
      for (let i = 0; i < frames; i++) {
        const plain = aead.open(iv, aead.seal(iv, payload));
        if (plain === null) throw new Error('open failed');
        sink += plain.length;
      }
    },
    'node:crypto AES-GCM enc+dec': (payload, frames) => () => {
      for (let i = 0; i < frames; i++) {
        const c = crypto.createCipheriv(CIPHER, key, iv, { authTagLength: TAG_LENGTH });
        const body = c.update(payload);
        c.final();
        const tag = c.getAuthTag();
        const d = crypto.createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_LENGTH });
        d.setAuthTag(tag);
        sink += d.update(body).length;
        d.final();
      }
    },
    '  part: node:crypto set-up (both)': (_payload, frames) => () => {
      for (let i = 0; i < frames; i++) {
        crypto.createCipheriv(CIPHER, key, iv, { authTagLength: TAG_LENGTH });
        crypto.createDecipheriv(CIPHER, key, iv, { authTagLength: TAG_LENGTH });
      }
    },
    '  part: IV': (_payload, frames) => () => {
      const b = native();
      for (let i = 0; i < frames; i++) sink += b.nextE2eeIv().length;
    },
    'cryptor enc+dec': (payload, frames) => () => {
      for (let i = 0; i < frames; i++) {
        const { payload: sealed, e2ee } = cryptor.encrypt(IDENTITY, payload);
        const plain = cryptor.decrypt(IDENTITY, sealed, e2ee);
        if (plain === null) throw new Error('decrypt failed');
        sink += plain.length;
      }
    },
    'path plaintext': (payload, frames) => {
      const pipeline = nativePipeline({ queueCapacity: 16, usesE2ee: false });
      const onFrame = (f: RemoteFrame) => (sink += f.payload.length);
      return () => {
        for (let i = 0; i < frames; i++) {
          pipeline.push(payload, null);
          pipeline.drain(onFrame);
        }
      };
    },
    'path E2EE': (payload, frames) => {
      const pipeline = nativePipeline({ queueCapacity: 16, usesE2ee: true });
      const onFrame = (f: RemoteFrame) => {
        const plain = cryptor.decryptInPlace(IDENTITY, f.payload, f.e2ee!);
        if (plain === null) throw new Error('decrypt failed');
        sink += plain.length;
      };
      return () => {
        for (let i = 0; i < frames; i++) {
          const { sealWith, keyIndex } = cryptor.nextSeal(IDENTITY);
          pipeline.push(payload, keyIndex, sealWith);
          pipeline.drain(onFrame);
        }
      };
    },
  };
}

/**
 * The same work one frame at a time at `freqHz`, sleeping between frames as a real sender does:
 * caches and the JIT are cold again at every frame, which a tight loop hides. CPU is summed over
 * each frame's work only, variants interleaved frame by frame.
 */
async function paced(all: Record<string, Variant>, size: number, freqHz: number, frames: number): Promise<void> {
  const payload = crypto.randomBytes(size);
  const names = Object.keys(all).filter((n) => !n.startsWith('  part'));
  const once = names.map((n) => all[n](payload, 1));
  const totals = names.map(() => 0);
  const samples: number[][] = names.map(() => []);
  for (let f = 0; f < frames; f++) {
    for (let i = 0; i < once.length; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1000 / freqHz / once.length));
      const us = cpuUsPerFrame(1, once[i]);
      totals[i] += us;
      samples[i].push(us);
    }
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  console.log(`\npaced: ${size / 1024} KiB at ${freqHz} Hz, ${frames} frames each, CPU µs per frame (mean, median)`);
  names.forEach((n, i) => console.log(`  ${n.padEnd(24)} ${(totals[i] / frames).toFixed(1).padStart(7)} ${median(samples[i]).toFixed(1).padStart(7)}`));
}

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const sizesKb = (argValue('sizes') ?? '1,16,64,256').split(',').map(Number);
  const all = await variants();
  const names = Object.keys(all);
  console.log(`E2EE per-frame CPU, µs (node ${process.version}, ${CIPHER}, best of 5 runs, variants interleaved)`);
  const header = ['variant', ...sizesKb.map((k) => `${k} KiB`)];
  const rows: string[][] = [header];
  const best = new Map<string, number[]>();
  for (const sizeKb of sizesKb) {
    const payload = crypto.randomBytes(sizeKb * 1024);
    const frames = framesFor(payload.length);
    const runs = names.map((n) => all[n](payload, frames));
    for (const r of runs) r(); // warm-up (JIT, OpenSSL's first fetch of the cipher)
    const bestOf = names.map(() => Infinity);
    for (let rep = 0; rep < 5; rep++) runs.forEach((r, i) => (bestOf[i] = Math.min(bestOf[i], cpuUsPerFrame(frames, r))));
    names.forEach((n, i) => best.set(n, [...(best.get(n) ?? []), bestOf[i]]));
  }
  for (const n of names) rows.push([n, ...best.get(n)!.map((us) => us.toFixed(2))]);
  const get = (n: string) => best.get(n)!;
  const ratio = (a: number[], b: number[]) => a.map((x, i) => (x / b[i]).toFixed(2) + '×');
  rows.push(['node:crypto / bare', ...ratio(get('node:crypto AES-GCM enc+dec'), get(BARE))]);
  rows.push(['cryptor / bare', ...ratio(get('cryptor enc+dec'), get(BARE))]);
  const added = get('path E2EE').map((x, i) => x - get('path plaintext')[i]);
  rows.push(['(path E2EE − plaintext) / bare', ...ratio(added, get(BARE))]);
  rows.push(['path E2EE / plaintext', ...ratio(get('path E2EE'), get('path plaintext'))]);
  const widths = header.map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const line = (r: string[]) => `| ${r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of rows.slice(1)) console.log(line(r));
  await paced(all, 1024, 100, 300);
  console.log(`first 1 KiB frame after setSharedKey (encrypt + decrypt, wall): ${firstFrameUs.toFixed(0)} µs`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
