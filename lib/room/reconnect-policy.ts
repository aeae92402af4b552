// When and how a Room retries after losing its connection: bounded attempts, exponential backoff
// with jitter, quick reconnects (resume) first and full reconnects (rejoin) after.

import { DEFAULT_CONNECT_TIMEOUT_MS } from '../signal/signal-client';

/** Decides the retries of one reconnect episode (from the loss until connected again or giving up). */
export interface ReconnectPolicy {
  /**
   * Delay before reconnect attempt `attempt` (0-based, counted from the start of the episode),
   * or null to give up. `elapsedMs` is the time since the connection was lost.
   */
  nextRetryDelayMs(attempt: number, elapsedMs: number): number | null;
  /**
   * Whether attempt `attempt` may be a quick reconnect (resume). Once it says no, or the server
   * refuses a resume, the rest of the episode uses full reconnects. Default: the first 3 attempts.
   */
  shouldResume?(attempt: number, elapsedMs: number): boolean;
  /** Deadline of one attempt (signal, join and peer connection), in ms. Default: connectTimeoutMs's default. */
  attemptTimeoutMs?: number;
}

export interface ReconnectPolicyOptions {
  /** Attempts per episode before giving up (resumes and full reconnects together). Default 10. */
  maxAttempts?: number;
  /** Backoff before the second attempt; the first one starts right away. Default 100 ms. */
  initialDelayMs?: number;
  /** Backoff cap. Default 5 000 ms. */
  maxDelayMs?: number;
  /** Backoff growth per attempt. Default 2. */
  multiplier?: number;
  /** ± fraction of random jitter on every delay (0..1), so fleets do not retry in lockstep. Default 0.2. */
  jitter?: number;
  /** No new attempt starts later than this after the loss. Default 60 000 ms. */
  maxElapsedMs?: number;
  /** How many of the first attempts are resumes before switching to full reconnects. Default 3. */
  resumeAttempts?: number;
  /** Deadline of one attempt. Default: connectTimeoutMs's default. */
  attemptTimeoutMs?: number;
}

export const DEFAULT_RECONNECT_POLICY: Readonly<Required<ReconnectPolicyOptions>> = Object.freeze({
  maxAttempts: 10,
  initialDelayMs: 100,
  maxDelayMs: 5_000,
  multiplier: 2,
  jitter: 0.2,
  maxElapsedMs: 60_000,
  resumeAttempts: 3,
  attemptTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
});

/**
 * The default policy. With the defaults an episode retries at about 0, 0.1, 0.2, 0.4, 0.8, 1.6,
 * 3.2, 5, 5, 5 s (±20 %) and gives up after 10 attempts or 60 s, whichever comes first.
 */
export class ExponentialBackoffPolicy implements ReconnectPolicy {
  readonly options: Readonly<Required<ReconnectPolicyOptions>>;

  constructor(options: ReconnectPolicyOptions = {}, private readonly random: () => number = Math.random) {
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    const o = { ...DEFAULT_RECONNECT_POLICY, ...defined } as Required<ReconnectPolicyOptions>;
    if (!(o.maxAttempts >= 0) || !(o.initialDelayMs >= 0) || !(o.maxDelayMs >= 0) || !(o.multiplier >= 1)) {
      throw new RangeError('reconnectPolicy: maxAttempts, initialDelayMs, maxDelayMs must be ≥ 0 and multiplier ≥ 1');
    }
    if (!(o.jitter >= 0 && o.jitter <= 1)) throw new RangeError('reconnectPolicy.jitter must be within 0..1');
    if (!(o.attemptTimeoutMs > 0)) throw new RangeError('reconnectPolicy.attemptTimeoutMs must be > 0');
    this.options = Object.freeze(o);
  }

  get attemptTimeoutMs(): number {
    return this.options.attemptTimeoutMs;
  }

  nextRetryDelayMs(attempt: number, elapsedMs: number): number | null {
    const o = this.options;
    if (attempt >= o.maxAttempts || elapsedMs >= o.maxElapsedMs) return null;
    if (attempt === 0) return 0;
    const base = Math.min(o.maxDelayMs, o.initialDelayMs * o.multiplier ** (attempt - 1));
    const jittered = base * (1 + o.jitter * (2 * this.random() - 1));
    const delay = Math.max(0, Math.round(jittered));
    // Never sleep past the overall deadline: the last attempt starts at it, not after it.
    return Math.min(delay, Math.max(0, o.maxElapsedMs - elapsedMs));
  }

  shouldResume(attempt: number): boolean {
    return attempt < this.options.resumeAttempts;
  }
}

/** A RoomOptions.reconnectPolicy value as the Room uses it. */
export function resolveReconnectPolicy(policy: ReconnectPolicy | ReconnectPolicyOptions | undefined): ReconnectPolicy {
  if (policy && typeof (policy as ReconnectPolicy).nextRetryDelayMs === 'function') return policy as ReconnectPolicy;
  return new ExponentialBackoffPolicy(policy as ReconnectPolicyOptions | undefined);
}
