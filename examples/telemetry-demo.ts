// `npm start`: a robot publishes telemetry at 100 Hz through the embedded development SFU; a Node
// subscriber in the same process prints one live line per second and a summary, and a dashboard
// page (URL printed) plots it in a browser with livekit-client and uPlot.
//
// DEMO_SECONDS=n runs n seconds (default 60; 0 runs until Ctrl-C, which also ends a timed run
// early). DEMO_DASHBOARD_PORT picks the dashboard's port (default: any free one).
// Against a real server instead: LIVEKIT_URL=wss://… LIVEKIT_TOKEN_PUB=… LIVEKIT_TOKEN_SUB=… npm start
// (and LIVEKIT_TOKEN_BROWSER=… for the dashboard, which needs a token it can hand to the page).

import { DataTrackFrame, Room, RoomEvent, type RemoteDataTrack } from 'livekit-datatrack-node';
import { DevServer } from 'livekit-datatrack-node/dev-server';
import { serveDashboard } from './dashboard/serve.js';
import { FRAME_BYTES, RATE_HZ, TELEMETRY_TRACK, decodeTelemetry, encodeTelemetry, percentile, unixNowMs } from './telemetry.js';

const DURATION_S = Number(process.env.DEMO_SECONDS ?? 60);
const ROOM = 'demo';
const ROBOT = 'robot';

/** Resolves after DURATION_S (never when it is 0) or on the first Ctrl-C, whichever comes first. */
function runUntilDone(): Promise<void> {
  return new Promise((resolve) => {
    const timer = DURATION_S > 0 ? setTimeout(resolve, DURATION_S * 1000) : undefined;
    process.once('SIGINT', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function main(): Promise<void> {
  const external = process.env.LIVEKIT_URL;
  const server = external ? undefined : await DevServer.start({ port: 0 });
  const url = external ?? server!.url;
  const pubToken = process.env.LIVEKIT_TOKEN_PUB ?? (await server!.token(ROBOT, { room: ROOM }));
  const subToken = process.env.LIVEKIT_TOKEN_SUB ?? (await server!.token('console', { room: ROOM }));
  if (server) console.log(`development SFU listening on ${server.url}`);

  const browserToken = process.env.LIVEKIT_TOKEN_BROWSER;
  const dashboard =
    server || browserToken
      ? await serveDashboard({
          url,
          publisher: ROBOT,
          track: TELEMETRY_TRACK,
          port: Number(process.env.DEMO_DASHBOARD_PORT ?? 0),
          token: (n) =>
            browserToken
              ? Promise.resolve(browserToken)
              : server!.token(`browser-${n}`, { room: ROOM, roomJoin: true, canSubscribe: true, canPublish: false, canPublishData: false }),
        })
      : undefined;
  console.log(dashboard ? `dashboard: ${dashboard.url}` : 'dashboard off: set LIVEKIT_TOKEN_BROWSER to serve it');

  const robot = new Room();
  const consoleRoom = new Room();
  await Promise.all([robot.connect(url, pubToken), consoleRoom.connect(url, subToken)]);

  const discovered = new Promise<RemoteDataTrack>((resolve) => {
    consoleRoom.on(RoomEvent.DataTrackPublished, (track) => {
      if (track.name === TELEMETRY_TRACK) resolve(track);
    });
  });
  const track = await robot.localParticipant.publishDataTrack({ name: TELEMETRY_TRACK, frameEncoding: { custom: 'demo-pose-v1' } });
  const remote = await discovered;
  const stream = await remote.subscribe({ bufferSize: 64 });
  const howLong = DURATION_S > 0 ? `for ${DURATION_S} s (Ctrl-C ends early)` : 'until Ctrl-C';
  console.log(`publishing ${FRAME_BYTES}-byte frames at ${RATE_HZ} Hz ${howLong} on track ${track.sid}\n`);

  const latencies: number[] = [];
  let windowLatencies: number[] = [];
  let windowFrames = 0;
  let windowBytes = 0;
  let received = 0;
  let lastSeq = -1;
  let gaps = 0;
  const reading = (async () => {
    for await (const frame of stream) {
      const { seq, sentAtMs } = decodeTelemetry(frame.payload);
      const latency = unixNowMs() - sentAtMs;
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
  const start = unixNowMs();
  // Paced by absolute schedule (setInterval drifts): frame n is due at start + n / RATE_HZ.
  const ticker = setInterval(() => {
    const due = Math.floor(((unixNowMs() - start) / 1000) * RATE_HZ) + 1;
    for (; sent < due; sent++) {
      try {
        track.tryPush(DataTrackFrame.now(encodeTelemetry(sent)));
      } catch {
        pushFailures++;
      }
    }
  }, 1);
  const printer = setInterval(() => {
    const sorted = windowLatencies.sort((a, b) => a - b);
    const drops = Object.values(remote.stats().framesDropped).reduce((a, b) => a + b, 0);
    process.stdout.write(
      `t=${((unixNowMs() - start) / 1000).toFixed(0).padStart(2)}s  ${String(windowFrames).padStart(4)} frames/s  ` +
        `${(windowBytes / 1e6).toFixed(3)} MB/s  latency p50 ${percentile(sorted, 50).toFixed(2)} ms  ` +
        `p99 ${percentile(sorted, 99).toFixed(2)} ms  drops ${drops + gaps}\n`,
    );
    windowLatencies = [];
    windowFrames = 0;
    windowBytes = 0;
  }, 1000);

  await runUntilDone();
  clearInterval(ticker);
  clearInterval(printer);
  // Give the last frames in flight a moment, bounded, before tearing down.
  const deadline = unixNowMs() + 500;
  while (received < sent - pushFailures && unixNowMs() < deadline) await new Promise((r) => setTimeout(r, 10));

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
  await Promise.all([robot.disconnect(), consoleRoom.disconnect()]);
  await dashboard?.close();
  await server?.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
