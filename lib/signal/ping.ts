/**
 * Bounds on the server's ping settings. Out of them a value is a server bug or an attack: 2^31-1 s
 * overflows Node's timers (which then fire after 1 ms), and a 0.001 s timeout drops every
 * connection. Servers send 5 s / 15 s by default.
 */
export const PING_INTERVAL_BOUNDS_S = { min: 1, max: 300 } as const;
export const PING_TIMEOUT_BOUNDS_S = { min: 2, max: 600 } as const;

/**
 * The settings a PingScheduler runs with: each clamped to its bounds (0 or less still disables it),
 * and a timeout that leaves room for at least one ping round trip.
 */
export function effectivePingSettings(intervalSec: number, timeoutSec: number): { intervalSec: number; timeoutSec: number } {
  const clamp = (v: number, b: { min: number; max: number }) => (v > 0 ? Math.min(b.max, Math.max(b.min, v)) : 0);
  const interval = clamp(intervalSec, PING_INTERVAL_BOUNDS_S);
  let timeout = clamp(timeoutSec, PING_TIMEOUT_BOUNDS_S);
  if (timeout > 0 && interval > 0 && timeout <= interval) timeout = Math.min(PING_TIMEOUT_BOUNDS_S.max, 2 * interval);
  return { intervalSec: interval, timeoutSec: timeout };
}

/**
 * Signal liveness: sends pings every `intervalSec` and declares the signal lost when nothing at
 * all has arrived for `timeoutSec` (any server message counts, not just pongs).
 */
export class PingScheduler {
  private interval: NodeJS.Timeout | undefined;
  private deadline: NodeJS.Timeout | undefined;
  private timeoutMs = 0;
  /** Round trip of the last answered ping_req, in ms; 0 until the first pong. */
  rttMs = 0;

  constructor(
    private readonly sendPing: (nowMs: number, rttMs: number) => void,
    private readonly onTimeout: () => void,
  ) {}

  /**
   * (Re)starts with the server's parameters, clamped (see effectivePingSettings); a zero interval
   * or timeout disables that part.
   */
  start(serverIntervalSec: number, serverTimeoutSec: number): void {
    this.stop();
    const { intervalSec, timeoutSec } = effectivePingSettings(serverIntervalSec, serverTimeoutSec);
    this.timeoutMs = timeoutSec * 1000;
    this.touch();
    if (intervalSec > 0) {
      this.interval = setInterval(() => this.sendPing(Date.now(), this.rttMs), intervalSec * 1000);
    }
  }

  /** Any inbound message proves the signal is alive. */
  touch(): void {
    if (this.timeoutMs === 0) return;
    // Re-arming one timer per message is cheaper than allocating a new one each time.
    if (this.deadline) this.deadline.refresh();
    else this.deadline = setTimeout(() => this.expire(), this.timeoutMs);
  }

  onPong(lastPingTimestampMs: number): void {
    if (lastPingTimestampMs > 0) this.rttMs = Math.max(0, Date.now() - lastPingTimestampMs);
  }

  stop(): void {
    if (this.interval) clearInterval(this.interval);
    if (this.deadline) clearTimeout(this.deadline);
    this.interval = undefined;
    this.deadline = undefined;
  }

  private expire(): void {
    this.stop();
    this.onTimeout();
  }
}
