// The data-track layer's one timer. The native state machines own every deadline (publish,
// unpublish and subscribe timeouts, subscribe retries, waits for tracks); this arms a single
// Node timer for the earliest of them and tells them the time when it fires. Times are
// performance.now() milliseconds, which Jest's fake timers drive too.

/** Node clamps longer delays to 1 ms; a later deadline is reached in steps of this. */
const MAX_DELAY_MS = 0x7fffffff;

export const now = (): number => performance.now();

export class DeadlineTimer {
  private timer: NodeJS.Timeout | undefined;
  private armedFor: number | null = null;

  /** `onDue` gets the current time; it must re-arm (through `arm`) for whatever is left. */
  constructor(private readonly onDue: (nowMs: number) => void) {}

  /** Fires at `atMs` (the earliest deadline), or never for null. */
  arm(atMs: number | null): void {
    if (atMs === this.armedFor) return;
    this.cancel();
    if (atMs === null) return;
    this.armedFor = atMs;
    const delay = Math.min(Math.max(0, Math.ceil(atMs - now())), MAX_DELAY_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.armedFor = null;
      this.onDue(now());
    }, delay);
    // A pending deadline alone must not keep the process alive.
    this.timer.unref?.();
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = null;
  }
}
