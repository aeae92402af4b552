// `npm run bench:soak [-- --minutes 30 --cycles 1000]`
//
// Long-run memory: the development SFU in a process of its own, both clients in this one.
// 1) A publisher streams 1 KiB frames at 100 Hz to a subscriber for --minutes; both processes'
//    memory (after a forced GC) is sampled every 10 s.
// 2) --cycles times: a fresh publisher and subscriber connect, publish, subscribe, exchange one
//    frame and disconnect; memory sampled every 100 cycles.
// Growth is the least-squares slope of heapUsed (and RSS) over the samples after a warm-up,
// per hour for the stream and per cycle for the cycles.

import { DataTrackFrame, Room, RoomEvent, type RemoteDataTrack } from '../lib';
import { SfuProcess } from './flood/sfu-process';

interface Sample {
  x: number;
  sfuHeap: number;
  sfuRss: number;
  clientHeap: number;
  clientRss: number;
}

const FRAME_BYTES = 1024;
const RATE_HZ = 100;
const SAMPLE_EVERY_S = 10;
const SAMPLE_EVERY_CYCLES = 100;

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

async function sample(sfu: SfuProcess, x: number): Promise<Sample> {
  const s = await sfu.memory();
  global.gc?.();
  const c = process.memoryUsage();
  return { x, sfuHeap: s.heapUsed, sfuRss: s.rss, clientHeap: c.heapUsed, clientRss: c.rss };
}

/** Least-squares slope of y over x. */
function slope(samples: Sample[], y: (s: Sample) => number): number {
  const n = samples.length;
  if (n < 2) return NaN;
  const mx = samples.reduce((a, s) => a + s.x, 0) / n;
  const my = samples.reduce((a, s) => a + y(s), 0) / n;
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += (s.x - mx) * (y(s) - my);
    den += (s.x - mx) ** 2;
  }
  return num / den;
}

async function pair(sfu: SfuProcess, room: string, tag: string) {
  const publisher = new Room();
  const subscriber = new Room();
  await Promise.all([
    publisher.connect(sfu.url, await sfu.token(`pub-${tag}`, room)),
    subscriber.connect(sfu.url, await sfu.token(`sub-${tag}`, room)),
  ]);
  const discovered = new Promise<RemoteDataTrack>((resolve) => subscriber.once(RoomEvent.DataTrackPublished, resolve));
  const local = await publisher.localParticipant.publishDataTrack('soak');
  const remote = await discovered;
  const stream = await remote.subscribe({ bufferSize: 256 });
  return { publisher, subscriber, local, stream };
}

async function stream(sfu: SfuProcess, minutes: number): Promise<{ samples: Sample[]; sent: number; received: number }> {
  const { publisher, subscriber, local, stream: frames } = await pair(sfu, 'soak-stream', 'stream');
  let received = 0;
  const reading = (async () => {
    for await (const _ of frames) received++;
  })();
  const payload = new Uint8Array(FRAME_BYTES);
  let sent = 0;
  const start = performance.now();
  const durationMs = minutes * 60_000;
  const samples: Sample[] = [await sample(sfu, 0)];
  let nextSample = SAMPLE_EVERY_S * 1000;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - start;
      // Paced by absolute schedule: frame n is due at n / RATE_HZ s.
      const due = Math.min(Math.floor((elapsed / 1000) * RATE_HZ), (durationMs / 1000) * RATE_HZ);
      for (; sent < due; sent++) {
        try {
          local.tryPush(DataTrackFrame.now(payload));
        } catch {
          /* counted as not received */
        }
      }
      if (elapsed >= nextSample) {
        nextSample += SAMPLE_EVERY_S * 1000;
        void sample(sfu, elapsed / 3_600_000).then((s) => {
          samples.push(s);
          console.error(`stream ${(elapsed / 60_000).toFixed(1)} min: sent ${sent} received ${received} SFU heap ${mb(s.sfuHeap)} client heap ${mb(s.clientHeap)}`);
        });
      }
      if (elapsed >= durationMs) {
        clearInterval(timer);
        resolve();
      }
    }, 5);
  });
  await Promise.all([publisher.disconnect(), subscriber.disconnect()]);
  await reading;
  return { samples, sent, received };
}

async function cycles(sfu: SfuProcess, count: number): Promise<{ samples: Sample[]; failures: number }> {
  const samples: Sample[] = [await sample(sfu, 0)];
  let failures = 0;
  for (let i = 1; i <= count; i++) {
    try {
      const { publisher, subscriber, local, stream: frames } = await pair(sfu, `soak-cycle-${i % 4}`, `c${i}`);
      local.tryPush(DataTrackFrame.now(new Uint8Array(FRAME_BYTES)));
      const frame = await frames.read({ timeoutMs: 10_000 });
      if (!frame) failures++;
      await Promise.all([publisher.disconnect(), subscriber.disconnect()]);
    } catch (err) {
      failures++;
      console.error(`cycle ${i}: ${(err as Error).message}`);
    }
    if (i % SAMPLE_EVERY_CYCLES === 0) {
      const s = await sample(sfu, i);
      samples.push(s);
      console.error(`cycle ${i}: SFU heap ${mb(s.sfuHeap)} rss ${mb(s.sfuRss)}, client heap ${mb(s.clientHeap)} rss ${mb(s.clientRss)}`);
    }
  }
  return { samples, failures };
}

const mb = (b: number) => `${(b / (1 << 20)).toFixed(1)} MiB`;
const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

async function main(): Promise<void> {
  if (!global.gc) throw new Error('run with --expose-gc (npm run bench:soak does)');
  const minutes = arg('minutes', 30);
  const cycleCount = arg('cycles', 1000);
  const sfu = await SfuProcess.start();
  try {
    const s = await stream(sfu, minutes);
    // The first minute is warm-up (JIT, buffers reaching steady size).
    const steady = s.samples.filter((x) => x.x >= 1 / 60);
    const c = await cycles(sfu, cycleCount);
    const steadyCycles = c.samples.filter((x) => x.x >= SAMPLE_EVERY_CYCLES);
    const first = s.samples[0];
    const last = s.samples[s.samples.length - 1];
    console.log(`## soak: ${minutes} min at ${RATE_HZ} Hz x ${FRAME_BYTES} B, then ${cycleCount} cycles`);
    console.log(`stream: sent ${s.sent}, received ${s.received} (${((100 * s.received) / Math.max(1, s.sent)).toFixed(2)} %)`);
    console.log('| process | heap start -> end (stream) | heap growth per hour | RSS growth per hour | heap growth per cycle | RSS growth per cycle |');
    console.log('|---|---|---|---|---|---|');
    console.log(
      `| SFU | ${mb(first.sfuHeap)} -> ${mb(last.sfuHeap)} | ${mb(slope(steady, (x) => x.sfuHeap))} | ${mb(slope(steady, (x) => x.sfuRss))} | ` +
        `${kb(slope(steadyCycles, (x) => x.sfuHeap))} | ${kb(slope(steadyCycles, (x) => x.sfuRss))} |`,
    );
    console.log(
      `| clients (publisher + subscriber) | ${mb(first.clientHeap)} -> ${mb(last.clientHeap)} | ${mb(slope(steady, (x) => x.clientHeap))} | ${mb(slope(steady, (x) => x.clientRss))} | ` +
        `${kb(slope(steadyCycles, (x) => x.clientHeap))} | ${kb(slope(steadyCycles, (x) => x.clientRss))} |`,
    );
    console.log(`cycles failed: ${c.failures} of ${cycleCount}`);
  } finally {
    await sfu.close();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
