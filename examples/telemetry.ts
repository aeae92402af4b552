// The demo robot's telemetry: what it publishes on its data track and how a subscriber reads it.
// Shared by the publisher (telemetry-demo.ts), the browser dashboard (dashboard/page.ts) and the
// dashboard test, so they cannot disagree about the layout.
//
// Frame layout (big-endian), FRAME_BYTES long:
//   0  u32  sequence number, from 0
//   4  f64  send time, Unix ms with a fraction (performance.timeOrigin + performance.now())
//   12 f32  x position, m
//   16 f32  y position, m
//   20 f32  speed, m/s
//   24 ..   a fake lidar sweep (u16 ranges, mm), so the frame weighs what a robot's would

export const TELEMETRY_TRACK = 'telemetry';
export const RATE_HZ = 100;
export const FRAME_BYTES = 1024;

export interface Pose {
  x: number;
  y: number;
  speed: number;
}

export interface Telemetry extends Pose {
  seq: number;
  sentAtMs: number;
}

/** Where the robot is at frame `seq`: a figure eight, so the speed varies along it. */
export function poseAt(seq: number): Pose {
  const t = seq / RATE_HZ;
  const x = 2 * Math.sin(t);
  const y = 1.2 * Math.sin(2 * t);
  const vx = 2 * Math.cos(t);
  const vy = 2.4 * Math.cos(2 * t);
  return { x, y, speed: Math.hypot(vx, vy) };
}

/** Unix time in ms with sub-ms precision, comparable between processes (and a browser) on one machine. */
export const unixNowMs = (): number => performance.timeOrigin + performance.now();

export function encodeTelemetry(seq: number, sentAtMs = unixNowMs()): Uint8Array<ArrayBuffer> {
  const frame = new Uint8Array(FRAME_BYTES);
  const view = new DataView(frame.buffer);
  const pose = poseAt(seq);
  view.setUint32(0, seq);
  view.setFloat64(4, sentAtMs);
  view.setFloat32(12, pose.x);
  view.setFloat32(16, pose.y);
  view.setFloat32(20, pose.speed);
  const t = seq / RATE_HZ;
  for (let i = 24; i + 2 <= FRAME_BYTES; i += 2) view.setUint16(i, (1000 + 500 * Math.sin(t + i)) | 0);
  return frame;
}

export function decodeTelemetry(payload: Uint8Array): Telemetry {
  if (payload.byteLength < 24) throw new RangeError(`telemetry frame too short: ${payload.byteLength} bytes`);
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  return {
    seq: view.getUint32(0),
    sentAtMs: view.getFloat64(4),
    x: view.getFloat32(12),
    y: view.getFloat32(16),
    speed: view.getFloat32(20),
  };
}

/** The p-th percentile (0..100) of `values`, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
