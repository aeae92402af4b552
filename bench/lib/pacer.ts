// Sends `freqHz` frames per second for `durationS`, by absolute schedule: a late tick sends the
// frames it owes instead of drifting, so the offered load is exact even above timer resolution.

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
    await new Promise((resolve) => (waitMs >= 1 ? setTimeout(resolve, Math.floor(waitMs)) : setImmediate(resolve)));
  }
  return { attempted, accepted, elapsedS: Number(process.hrtime.bigint() - start) / 1e9 };
}
