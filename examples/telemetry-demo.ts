// `npm start`: a robot publishes telemetry at 100 Hz through the embedded development SFU and a
// dashboard in the same process subscribes to it. Prints one live line per second, then a summary.
//
// Against a real server instead: LIVEKIT_URL=wss://… LIVEKIT_TOKEN_PUB=… LIVEKIT_TOKEN_SUB=… npm start

import { DataTrackFrame, Room, RoomEvent, type RemoteDataTrack } from 'livekit-datatrack-node';
import { DevServer } from 'livekit-datatrack-node/dev-server';

const RATE_HZ = 100;
const DURATION_S = Number(process.env.DEMO_SECONDS ?? 10);
const FRAME_BYTES = 1024;

/** Monotonic, shared by both ends (same process): latency without clock skew. */
const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function telemetryFrame(seq: number): Uint8Array {
  const frame = new Uint8Array(FRAME_BYTES);
  const view = new DataView(frame.buffer);
  view.setUint32(0, seq);
  view.setFloat64(4, nowMs());
  // A pose and a fake lidar sweep, so the payload looks like something a robot would send.
  const t = seq / RATE_HZ;
  view.setFloat32(12, Math.cos(t));
  view.setFloat32(16, Math.sin(t));
  for (let i = 20; i + 2 <= FRAME_BYTES; i += 2) view.setUint16(i, (1000 + 500 * Math.sin(t + i)) | 0);
  return frame;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function main(): Promise<void> {
  const external = process.env.LIVEKIT_URL;
  const server = external ? undefined : await DevServer.start({ port: 0 });
  const url = external ?? server!.url;
  const pubToken = process.env.LIVEKIT_TOKEN_PUB ?? (await server!.token('robot', { room: 'demo' }));
  const subToken = process.env.LIVEKIT_TOKEN_SUB ?? (await server!.token('dashboard', { room: 'demo' }));
  if (server) console.log(`development SFU listening on ${server.url}`);

  const robot = new Room();
  const dashboard = new Room();
  await Promise.all([robot.connect(url, pubToken), dashboard.connect(url, subToken)]);

  const discovered = new Promise<RemoteDataTrack>((resolve) => {
    dashboard.on(RoomEvent.DataTrackPublished, (track) => {
      if (track.name === 'telemetry') resolve(track);
    });
  });
  const track = await robot.localParticipant.publishDataTrack({ name: 'telemetry', frameEncoding: { custom: 'demo-pose-v1' } });
  const remote = await discovered;
  const stream = await remote.subscribe({ bufferSize: 64 });
  console.log(`publishing ${FRAME_BYTES}-byte frames at ${RATE_HZ} Hz for ${DURATION_S} s on track ${track.sid}\n`);

  const latencies: number[] = [];
  let windowLatencies: number[] = [];
  let windowFrames = 0;
  let windowBytes = 0;
  let received = 0;
  let lastSeq = -1;
  let gaps = 0;
  const reading = (async () => {
    for await (const frame of stream) {
      const view = new DataView(frame.payload.buffer, frame.payload.byteOffset, frame.payload.byteLength);
      const seq = view.getUint32(0);
      const latency = nowMs() - view.getFloat64(4);
      if (lastSeq >= 0 && seq !== lastSeq + 1) gaps += seq - lastSeq - 1;
      lastSeq = seq;
      latencies.push(latency);
      windowLatencies.push(latency);
      windowFrames++;
      windowBytes += frame.payload.byteLength;
      received++;
    }
  })();

  let sent = 0;
  let pushFailures = 0;
  const start = nowMs();
  // Paced by absolute schedule (setInterval drifts): frame n is due at start + n / RATE_HZ.
  const ticker = setInterval(() => {
    const due = Math.min(RATE_HZ * DURATION_S, Math.floor(((nowMs() - start) / 1000) * RATE_HZ) + 1);
    for (; sent < due; sent++) {
      try {
        track.tryPush(DataTrackFrame.now(telemetryFrame(sent)));
      } catch {
        pushFailures++;
      }
    }
  }, 1);
  const printer = setInterval(() => {
    const sorted = windowLatencies.sort((a, b) => a - b);
    const drops = Object.values(remote.stats().framesDropped).reduce((a, b) => a + b, 0);
    process.stdout.write(
      `t=${((nowMs() - start) / 1000).toFixed(0).padStart(2)}s  ${String(windowFrames).padStart(4)} frames/s  ` +
        `${(windowBytes / 1e6).toFixed(3)} MB/s  latency p50 ${percentile(sorted, 50).toFixed(2)} ms  ` +
        `p99 ${percentile(sorted, 99).toFixed(2)} ms  drops ${drops + gaps}\n`,
    );
    windowLatencies = [];
    windowFrames = 0;
    windowBytes = 0;
  }, 1000);

  await new Promise((resolve) => setTimeout(resolve, DURATION_S * 1000 + 50));
  clearInterval(ticker);
  clearInterval(printer);
  // Give the last frames in flight a moment, bounded, before tearing down.
  const deadline = nowMs() + 500;
  while (received < sent - pushFailures && nowMs() < deadline) await new Promise((r) => setTimeout(r, 10));

  const sorted = latencies.sort((a, b) => a - b);
  console.log('\nsummary');
  console.log(`  sent ${sent}, received ${received} (${((100 * received) / Math.max(1, sent)).toFixed(2)} %), push failures ${pushFailures}`);
  console.log(
    `  latency ms: p50 ${percentile(sorted, 50).toFixed(2)}  p95 ${percentile(sorted, 95).toFixed(2)}  ` +
      `p99 ${percentile(sorted, 99).toFixed(2)}  max ${sorted[sorted.length - 1]?.toFixed(2)}`,
  );
  console.log('  publisher stats', track.stats());
  console.log('  subscriber stats', remote.stats());

  stream.cancel();
  await reading;
  await track.unpublish();
  await Promise.all([robot.disconnect(), dashboard.disconnect()]);
  await server?.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
