// Sends `freqHz` frames per second for `durationS`, by absolute schedule: a late tick sends the
// frames it owes instead of drifting, so the offered load is exact even above timer resolution
// (above 1 kHz, frames go in bursts of the ones owed since the last 1 ms tick).

export interface PaceResult {
  attempted: number;
  accepted: number;
  elapsedS: number;
}

export async function pace(
  freqHz: number,
  durationS: number,
  send: (seq: number) => boolean | Promise<boolean>,
): Promise<PaceResult> {
  const total = Math.round(freqHz * durationS);
  const start = process.hrtime.bigint();
  let attempted = 0;
  let accepted = 0;
  while (attempted < total) {
    const elapsedS = Number(process.hrtime.bigint() - start) / 1e9;
    const due = Math.min(total, Math.floor(elapsedS * freqHz) + 1);
    while (attempted < due) {
      const ok = send(attempted);
      if (ok === true || (ok !== false && (await ok))) accepted++;
      attempted++;
    }
    const nextAtS = attempted / freqHz;
    const waitMs = (nextAtS - Number(process.hrtime.bigint() - start) / 1e9) * 1000;
    // Sleep, never spin: a spinning pacer's CPU would be charged to the publisher of every row.
    // A wake-up up to ~1 ms late only delays the next push (latency is stamped at push time).
    await new Promise((resolve) => setTimeout(resolve, Math.max(1, Math.round(waitMs))));
  }
  return { attempted, accepted, elapsedS: Number(process.hrtime.bigint() - start) / 1e9 };
}
