// Data tracks ride unreliable channels, and an SFU drops what a slow receiver cannot take in time
// (livekit-server's high-buffered-amount rule, which the dev SFU follows: FINDINGS row 5). A test
// that checks a multi-packet frame byte for byte therefore pushes it again when it does not arrive;
// whatever arrives is still checked whole by the caller, and the number of pushes is reported.

export interface Delivery<F> {
  frame: F;
  /** How many times the frame was pushed before it arrived (1 when nothing was dropped). */
  pushes: number;
}

export interface DeliveryOptions<F> {
  push: () => unknown;
  /** The next frame within `timeoutMs`, or null/undefined if none came. */
  next: (timeoutMs: number) => Promise<F | null | undefined>;
  /** Pushes at most this many times. */
  maxPushes: number;
  /** How long to wait for the frame before pushing it again. */
  waitMs: number;
  /** How long to wait after the last push (defaults to `waitMs`). */
  lastWaitMs?: number;
  /**
   * Frames that are not the one pushed, such as a late copy of an earlier frame, are skipped while
   * waiting; a frame that never matches still fails the delivery.
   */
  matches?: (frame: F) => boolean;
}

export async function deliverWithRepushes<F>(options: DeliveryOptions<F>): Promise<Delivery<F>> {
  const { push, next, maxPushes, waitMs, matches = () => true } = options;
  const skipped: F[] = [];
  for (let pushes = 1; pushes <= maxPushes; pushes++) {
    const last = pushes === maxPushes;
    await push();
    const deadline = Date.now() + (last ? options.lastWaitMs ?? waitMs : waitMs);
    for (;;) {
      const remaining = deadline - Date.now();
      if (remaining <= 0) break;
      // The last attempt's error is the caller's to see; earlier ones only mean "push again".
      const frame = await (last ? next(remaining) : next(remaining).catch(() => null));
      if (frame === null || frame === undefined) break;
      if (matches(frame)) return { frame, pushes };
      skipped.push(frame);
    }
  }
  throw new Error(`frame not delivered after ${maxPushes} pushes (${skipped.length} other frames arrived meanwhile)`);
}
