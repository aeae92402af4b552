// What one call costs when nothing has run for 10 ms, as at 1 KiB @ 100 Hz, where every frame's
// work meets cold caches: each call timed alone, one call every 10 ms, the calls taking turns.
// `bench/calls.ts` is the hot counterpart (the same kind of call 100,000 times in a loop).
//
// Run: npx tsx bench/cold-calls.ts [--rounds 400]

import { native } from '../lib/native/binding';

const roundsAt = process.argv.indexOf('--rounds');
const rounds = roundsAt >= 0 ? Number(process.argv[roundsAt + 1]) : 400;
const WARM_UP_ROUNDS = 50;

const b = native();
const key = new b.AesGcmKey(Buffer.alloc(16, 7));
const iv = Buffer.alloc(12, 3);
const sealed1k = key.seal(iv, Buffer.alloc(1024, 9));
const sealed16 = key.seal(iv, Buffer.alloc(16, 9));
const frame1k = new Uint8Array(sealed1k.length);
const frame16 = new Uint8Array(sealed16.length);
const info = new Uint8Array(64);

/** Each case restores what the last call changed (not timed) and returns the call to time. */
const cases: Array<[string, () => () => unknown]> = [
  ['nothing (an empty function)', () => () => 0],
  ['napi-rs getter (AesGcmKey.id)', () => () => key.id],
  ['AesGcmKey.openInPlace, 16 B', () => (frame16.set(sealed16), () => key.openInPlace(iv, frame16))],
  ['AesGcmKey.openInPlace, 1 KiB', () => (frame1k.set(sealed1k), () => key.openInPlace(iv, frame1k))],
  ['Buffer.from(12-byte view)', () => () => Buffer.from(info.subarray(20, 32))],
  ['Uint8Array slice, 12 bytes', () => () => info.slice(20, 32)],
];

const sleep = () => new Promise((resolve) => setTimeout(resolve, 10));

async function main(): Promise<void> {
  const us = cases.map(() => [] as number[]);
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < cases.length; i++) {
      await sleep();
      // A frame's bytes are fresh when it is opened (the receive path just wrote them): restored here.
      const call = cases[i][1]();
      const t = process.hrtime.bigint();
      call();
      us[i].push(Number(process.hrtime.bigint() - t) / 1e3);
    }
  }
  console.log(`cold calls: one every 10 ms, ${rounds - WARM_UP_ROUNDS} rounds after ${WARM_UP_ROUNDS} of warm-up`);
  for (let i = 0; i < cases.length; i++) {
    const v = us[i].slice(WARM_UP_ROUNDS).sort((x, y) => x - y);
    const at = (q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))].toFixed(1);
    console.log(`${cases[i][0].padEnd(32)} p50 ${at(0.5)} µs  p90 ${at(0.9)}`);
  }
}

void main();
