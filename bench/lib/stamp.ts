// Every benchmark frame starts with a 12-byte stamp: sequence (u32 BE) and send time (u64 BE,
// CLOCK_MONOTONIC ns, which is system-wide on Linux, so publisher and subscriber processes agree).

export const STAMP_BYTES = 12;

export function stampedPayload(template: Uint8Array, seq: number): Uint8Array {
  const payload = new Uint8Array(template);
  const view = new DataView(payload.buffer);
  view.setUint32(0, seq);
  view.setBigUint64(4, process.hrtime.bigint());
  return payload;
}

export function readStamp(payload: Uint8Array): { seq: number; sentNs: bigint; latencyMs: number } {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const sentNs = view.getBigUint64(4);
  return { seq: view.getUint32(0), sentNs, latencyMs: Number(process.hrtime.bigint() - sentNs) / 1e6 };
}

/** Random filler so nothing downstream can compress or special-case the payload. */
export function payloadTemplate(bytes: number): Uint8Array {
  const buf = new Uint8Array(Math.max(bytes, STAMP_BYTES));
  let x = 0x9e3779b9;
  for (let i = 0; i < buf.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  return buf;
}
