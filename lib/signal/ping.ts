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

  /** (Re)starts with the server's parameters; a zero interval or timeout disables that part. */
  start(intervalSec: number, timeoutSec: number): void {
    this.stop();
    this.timeoutMs = timeoutSec > 0 ? timeoutSec * 1000 : 0;
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
