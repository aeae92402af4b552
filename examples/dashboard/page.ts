// The telemetry dashboard, in the browser: livekit-client subscribes to the robot's data track and
// uPlot draws position and speed over the last WINDOW_S seconds, with link counters beside them.
// Bundled by esbuild and served by the demo (see serve.ts).

import * as LK from 'livekit-client';
import uPlot from 'uplot';
import { RATE_HZ, decodeTelemetry, percentile, unixNowMs } from '../telemetry.js';
import type { DashboardConfig, DashboardPoint, DashboardState } from './types.js';

const WINDOW_S = 10;
const WINDOW_POINTS = WINDOW_S * RATE_HZ;
const LATENCY_SAMPLES = 500;

const points: DashboardPoint[] = [];
const recentLatencies: number[] = [];
const arrivals: number[] = []; // page time of the last second's frames, for the rate
let lastSeq: number | undefined;
let dirty = false;

const state: DashboardState = { received: 0, plotted: 0, drops: 0, points: () => points.slice() };
window.dashboard = state;

const el = (id: string) => document.getElementById(id)!;
const setText = (id: string, text: string) => {
  el(id).textContent = text;
};

function chart(target: HTMLElement, series: uPlot.Series[], yLabel: string): uPlot {
  const opts: uPlot.Options = {
    width: target.clientWidth || 800,
    height: 240,
    scales: { x: { time: false } },
    axes: [{ label: 'robot time (s)' }, { label: yLabel }],
    series: [{ label: 't (s)', value: (_u, v) => (v == null ? '–' : v.toFixed(2)) }, ...series],
    legend: { live: false },
  };
  return new uPlot(opts, [[], ...series.map(() => [])] as unknown as uPlot.AlignedData, target);
}

const positionChart = chart(
  el('position'),
  [
    { label: 'x', stroke: '#1f77b4', width: 2 },
    { label: 'y', stroke: '#ff7f0e', width: 2 },
  ],
  'm',
);
const speedChart = chart(el('speed'), [{ label: 'speed', stroke: '#2ca02c', width: 2, fill: 'rgba(44, 160, 44, 0.08)' }], 'm/s');

function onFrame(payload: Uint8Array) {
  const t = decodeTelemetry(payload);
  const latencyMs = unixNowMs() - t.sentAtMs;
  if (lastSeq !== undefined && t.seq > lastSeq + 1) state.drops += t.seq - lastSeq - 1;
  lastSeq = t.seq;
  points.push({ ...t, latencyMs });
  if (points.length > WINDOW_POINTS) points.splice(0, points.length - WINDOW_POINTS);
  recentLatencies.push(latencyMs);
  if (recentLatencies.length > LATENCY_SAMPLES) recentLatencies.shift();
  const now = performance.now();
  arrivals.push(now);
  while (arrivals[0] < now - 1000) arrivals.shift();
  state.received++;
  dirty = true;
}

// Redraw at most once per animation frame, however fast frames arrive.
function draw() {
  if (dirty) {
    dirty = false;
    const time = points.map((p) => p.seq / RATE_HZ);
    positionChart.setData([time, points.map((p) => p.x), points.map((p) => p.y)]);
    speedChart.setData([time, points.map((p) => p.speed)]);
    state.plotted = state.received;
    const last = points[points.length - 1];
    setText('received', String(state.received));
    setText('plotted', String(state.plotted));
    setText('drops', String(state.drops));
    setText('rate', `${arrivals.length} frames/s`);
    setText('latency-last', `${last.latencyMs.toFixed(2)} ms`);
    setText('latency-p50', `${percentile(recentLatencies, 50).toFixed(2)} ms`);
    setText('latency-p99', `${percentile(recentLatencies, 99).toFixed(2)} ms`);
  }
  requestAnimationFrame(draw);
}

async function waitForTrack(room: LK.Room, publisher: string, name: string): Promise<LK.RemoteDataTrack> {
  const existing = room.remoteParticipants.get(publisher)?.dataTracks.get(name);
  if (existing) return existing;
  return new Promise((resolve) => {
    const on = (track: LK.RemoteDataTrack) => {
      if (track.publisherIdentity !== publisher || track.info.name !== name) return;
      room.off(LK.RoomEvent.DataTrackPublished, on);
      resolve(track);
    };
    room.on(LK.RoomEvent.DataTrackPublished, on);
  });
}

async function main() {
  const config = (await (await fetch('config.json')).json()) as DashboardConfig;
  const room = new LK.Room({ adaptiveStream: false, dynacast: false });
  await room.connect(config.url, config.token, { autoSubscribe: true });
  setText('status', `connected to ${config.url} as ${room.localParticipant.identity}; waiting for ${config.publisher}…`);
  const track = await waitForTrack(room, config.publisher, config.track);
  setText('publisher', track.publisherIdentity);
  setText('track', track.info.name);
  setText('sid', track.info.sid);
  room.on(LK.RoomEvent.DataTrackUnpublished, (sid: string) => {
    if (sid === track.info.sid) setText('status', `${config.publisher} stopped publishing`);
  });
  setText('status', `live from ${config.url}`);
  requestAnimationFrame(draw);
  const reader = track.subscribe({ bufferSize: 256 }).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onFrame(value.payload);
  }
}

main().catch((e: unknown) => {
  state.error = String(e);
  setText('status', `error: ${state.error}`);
});
