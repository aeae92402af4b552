// `npm run bench:flood [-- --tracks 1000,2000 --repeats 3]`
//
// One client publishes N data tracks as fast as it can (every request written at once, like the
// attacker of issue 18) while a participant in another room pings the SFU every 10 ms. Reported
// per N: the longest pong round trip and pong silence in the other room, the SFU's worst
// event-loop delay, the bytes of participant updates the flood room received, and how long our
// SDK, as a member of the flood room, took to discover every track.
// Processes: the SFU, the probe, and this one (flooder, watcher, SDK observer).

import { fork } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { PublishDataTrackRequest, type ParticipantUpdate } from '@livekit/protocol';
import { Room, RoomEvent } from '../../lib';
import type { ProbeReport, ToProbe } from './probe';
import { RawSignal } from './raw-signal';
import { SfuProcess } from './sfu-process';

interface FloodResult {
  tracks: number;
  probeMaxRttMs: number;
  probeMaxSilenceMs: number;
  probePongsMissing: number;
  sfuMaxLoopDelayMs: number;
  /** Participant-update bytes received by the flooder and by one other member. */
  updateBytesFlooder: number;
  updateBytesWatcher: number;
  updateMessagesWatcher: number;
  allResponsesMs: number;
  sdkDiscoveredAllMs: number;
}

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function startProbe(url: string, token: string) {
  const proc = fork(path.join(__dirname, 'probe.ts'), [url, token], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise<void>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`probe exited (${code})`)));
    proc.once('message', () => resolve());
  });
  return {
    reset: () => proc.send({ type: 'reset' } satisfies ToProbe),
    report: () =>
      new Promise<ProbeReport>((resolve) => {
        proc.once('message', (m: ProbeReport) => resolve(m));
        proc.send({ type: 'report' } satisfies ToProbe);
      }),
    close: () => new Promise<void>((resolve) => (proc.exitCode !== null ? resolve() : (proc.once('exit', () => resolve()), proc.disconnect()))),
  };
}

function tracksListed(m: ParticipantUpdate, identity: string): number {
  let n = -1;
  for (const p of m.participants) if (p.identity === identity) n = p.dataTracks.length;
  return n;
}

async function floodOnce(n: number): Promise<FloodResult> {
  const sfu = await SfuProcess.start();
  const probe = await startProbe(sfu.url, await sfu.token('probe', 'quiet'));
  const flooder = await RawSignal.join(sfu.url, await sfu.token('flooder', 'flood'));
  const watcher = await RawSignal.join(sfu.url, await sfu.token('watcher', 'flood'));
  const observer = new Room();
  await observer.connect(sfu.url, await sfu.token('sdk-observer', 'flood'));
  let discovered = 0;
  const sdkDone = new Promise<number>((resolve) =>
    observer.on(RoomEvent.DataTrackPublished, () => {
      if (++discovered === n) resolve(nowMs());
    }),
  );
  const baseFlooder = flooder.bytes('update');
  const baseWatcher = watcher.bytes('update');
  const baseWatcherCount = watcher.countByCase.get('update') ?? 0;

  sfu.resetLoop();
  probe.reset();
  const timeoutMs = 300_000;
  let responses = 0;
  const allResponses = flooder.next((m) => m.case === 'publishDataTrackResponse' && ++responses === n, timeoutMs, `${n} publish responses`);
  const watcherSawAll = watcher.next((m) => m.case === 'update' && tracksListed(m.value, 'flooder') === n, timeoutMs, 'the full track list');
  const t0 = nowMs();
  for (let i = 1; i <= n; i++) {
    flooder.send({ case: 'publishDataTrackRequest', value: new PublishDataTrackRequest({ pubHandle: i, name: `flood-${i}` }) });
  }
  await allResponses;
  const tResponses = nowMs();
  await watcherSawAll;
  const tSdk = await Promise.race([sdkDone, new Promise<number>((_, reject) => setTimeout(() => reject(new Error('SDK did not discover every track')), timeoutMs))]);
  const report = await probe.report();
  const loop = await sfu.loop();
  const result: FloodResult = {
    tracks: n,
    probeMaxRttMs: report.maxRttMs,
    probeMaxSilenceMs: report.maxSilenceMs,
    probePongsMissing: report.pings - report.pongs,
    sfuMaxLoopDelayMs: loop.maxMs,
    updateBytesFlooder: flooder.bytes('update') - baseFlooder,
    updateBytesWatcher: watcher.bytes('update') - baseWatcher,
    updateMessagesWatcher: (watcher.countByCase.get('update') ?? 0) - baseWatcherCount,
    allResponsesMs: tResponses - t0,
    sdkDiscoveredAllMs: tSdk - t0,
  };
  await observer.disconnect();
  flooder.close();
  watcher.close();
  await probe.close();
  await sfu.close();
  return result;
}

const fmtMs = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);
const fmtBytes = (v: number) => (v >= 1 << 20 ? `${(v / (1 << 20)).toFixed(2)} MiB` : `${(v / 1024).toFixed(1)} KiB`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}

async function main(): Promise<void> {
  const counts = arg('tracks', '1000,2000').split(',').map(Number);
  const repeats = Number(arg('repeats', '1'));
  const results: FloodResult[] = [];
  // Counts interleaved per repeat, each run on a fresh SFU process.
  for (let i = 0; i < repeats; i++) {
    for (const n of counts) {
      const r = await floodOnce(n);
      results.push(r);
      console.error(JSON.stringify({ ...r, loadavg: os.loadavg()[0] }));
    }
  }
  console.log(`${repeats} run(s) per count, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')} at the end; stall = longest pong silence in the other room`);
  console.log('| publishes | stall per run | median stall | SFU max event-loop delay (median) | update bytes to flooder | update bytes to one member (messages) | all responses (median) | SDK discovered all (median) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const n of counts) {
    const runs = results.filter((r) => r.tracks === n);
    const m = (f: (r: FloodResult) => number) => median(runs.map(f));
    console.log(
      `| ${n} | ${runs.map((r) => fmtMs(r.probeMaxSilenceMs)).join(', ')} | ${fmtMs(m((r) => r.probeMaxSilenceMs))} | ${fmtMs(m((r) => r.sfuMaxLoopDelayMs))} | ` +
        `${fmtBytes(m((r) => r.updateBytesFlooder))} | ${fmtBytes(m((r) => r.updateBytesWatcher))} (${m((r) => r.updateMessagesWatcher)}) | ` +
        `${fmtMs(m((r) => r.allResponsesMs))} | ${fmtMs(m((r) => r.sdkDiscoveredAllMs))} |`,
    );
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
