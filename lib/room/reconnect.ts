// The reconnect loop of a Room. One "episode" runs from the first loss until the room is connected
// again or gives up: attempts follow the ReconnectPolicy, resumes first, full reconnects after.
// The Room supplies the two kinds of attempt; this file only decides which one runs when.

import { debuglog } from 'node:util';
import { type LeaveRequest, LeaveRequest_Action } from '../protocol';
import { ConnectError, ConnectErrorReason } from '../signal/errors';
import { DisconnectReason, disconnectReasonFromProto } from './disconnect-reason';
import { DEFAULT_RECONNECT_POLICY, type ReconnectPolicy } from './reconnect-policy';

const debug = debuglog('livekit:reconnect');

export interface ReconnectRequest {
  /** Why the connection is being re-established; also the Disconnected reason if the room gives up. */
  reason: DisconnectReason;
  /**
   * A full reconnect is required: the server said so, or the peer connection is gone (a new
   * connection cannot join a resumed session: libdatachannel restarts ICE only on a new
   * connection, with a new DTLS identity, which livekit-server's existing transport rejects).
   */
  full?: boolean;
  /** What happened, for logs and for the give-up error. */
  error?: Error;
}

export interface ReconnectHooks {
  /** One resume of the current session; rejects if it did not work. */
  resume(signal: AbortSignal, timeoutMs: number, request: ReconnectRequest): Promise<void>;
  /** One full reconnect (new session, new participant SID); rejects if it did not work. */
  restart(signal: AbortSignal, timeoutMs: number): Promise<void>;
  /** The episode starts: the room goes `reconnecting`. */
  started(): void;
  /** The episode succeeded: the room is `connected` again. */
  succeeded(mode: 'resume' | 'full'): void;
  /** The room gives up (policy exhausted, or the server said to leave). */
  gaveUp(reason: DisconnectReason, error: Error | undefined): void;
}

interface Episode {
  readonly startedAt: number;
  reason: DisconnectReason;
  full: boolean;
  lastError: Error | undefined;
  /** Aborts the running attempt (a new loss) or the backoff wait. */
  attempt: AbortController;
  /** Aborted when the episode ends (success, give-up or stop). */
  readonly end: AbortController;
  stopped: boolean;
}

export class Reconnector {
  private episode: Episode | undefined;

  constructor(
    private readonly policy: ReconnectPolicy,
    private readonly hooks: ReconnectHooks,
  ) {}

  /** True while an episode runs. */
  get active(): boolean {
    return this.episode !== undefined;
  }

  /**
   * The connection broke. Starts an episode, or folds the request into the running one (a loss
   * during an attempt aborts it, and the next attempt honours `full`).
   * Returns false if the policy allows no attempt at all: the caller then disconnects.
   */
  request(req: ReconnectRequest): boolean {
    const ep = this.episode;
    if (ep) {
      debug('reconnect request during an episode: %s%s', req.reason, req.full ? ' (full)' : '');
      ep.full ||= req.full ?? false;
      ep.lastError = req.error ?? ep.lastError;
      ep.attempt.abort(req.error ?? new Error('connection lost again'));
      return true;
    }
    if (this.policy.nextRetryDelayMs(0, 0) === null) return false;
    const episode: Episode = {
      startedAt: Date.now(),
      reason: req.reason,
      full: req.full ?? false,
      lastError: req.error,
      attempt: new AbortController(),
      end: new AbortController(),
      stopped: false,
    };
    this.episode = episode;
    debug('reconnecting (%s)%s: %s', req.reason, episode.full ? ' full' : '', req.error?.message ?? '');
    this.hooks.started();
    void this.run(episode);
    return true;
  }

  /** The room is ending: the episode stops without calling any hook again. */
  stop(): void {
    const ep = this.episode;
    if (!ep) return;
    this.finish(ep);
    ep.attempt.abort(new ConnectError(ConnectErrorReason.Cancelled, 'reconnect stopped'));
  }

  private async run(ep: Episode): Promise<void> {
    const timeoutMs = this.policy.attemptTimeoutMs ?? DEFAULT_RECONNECT_POLICY.attemptTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      const elapsed = Date.now() - ep.startedAt;
      const delay = this.policy.nextRetryDelayMs(attempt, elapsed);
      if (delay === null) {
        this.finish(ep);
        debug('giving up after %d attempts, %d ms', attempt, elapsed);
        this.hooks.gaveUp(ep.reason, ep.lastError);
        return;
      }
      if (delay > 0) await sleep(delay, ep.end.signal);
      if (ep.stopped) return;
      if (ep.attempt.signal.aborted) ep.attempt = new AbortController();
      const resume = !ep.full && (this.policy.shouldResume?.(attempt, elapsed) ?? attempt < DEFAULT_RECONNECT_POLICY.resumeAttempts);
      const signal = ep.attempt.signal;
      debug('attempt %d: %s', attempt + 1, resume ? 'resume' : 'full reconnect');
      try {
        if (resume) await this.hooks.resume(signal, timeoutMs, { reason: ep.reason });
        else await this.hooks.restart(signal, timeoutMs);
      } catch (err) {
        if (ep.stopped) return;
        const error = err instanceof Error ? err : new Error(String(err));
        ep.lastError = error;
        debug('attempt %d failed: %s', attempt + 1, error.message);
        if (error instanceof ConnectError && error.reason === ConnectErrorReason.Unauthorized) {
          // The token is no longer accepted: retrying cannot help.
          this.finish(ep);
          this.hooks.gaveUp(ep.reason, error);
          return;
        }
        if (error instanceof ResumeImpossibleError) ep.full = true;
        const leave = leaveOf(error);
        if (leave) {
          if (leave.action === LeaveRequest_Action.DISCONNECT) {
            // The server will not have us back.
            this.finish(ep);
            this.hooks.gaveUp(disconnectReasonFromProto(leave.reason), error);
            return;
          }
          // RECONNECT (e.g. STATE_MISMATCH: the server no longer knows this session).
          if (leave.action === LeaveRequest_Action.RECONNECT) ep.full = true;
        }
        // A failed full reconnect has already discarded the old session: no resume after it.
        if (!resume) ep.full = true;
        continue;
      }
      if (ep.stopped) return;
      if (signal.aborted) {
        // Lost again while the attempt was completing: go round once more.
        if (!resume) ep.full = true;
        continue;
      }
      this.finish(ep);
      this.hooks.succeeded(resume ? 'resume' : 'full');
      return;
    }
  }

  private finish(ep: Episode): void {
    ep.stopped = true;
    ep.end.abort();
    if (this.episode === ep) this.episode = undefined;
  }
}

function leaveOf(err: Error): LeaveRequest | undefined {
  if (!(err instanceof ConnectError) || err.reason !== ConnectErrorReason.LeaveRequest) return undefined;
  return err.leave;
}

/** Waits `ms`, or less if the episode ends. A new loss during the wait does not shorten it. */
function sleep(ms: number, end: AbortSignal): Promise<void> {
  if (end.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      end.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    end.addEventListener('abort', done, { once: true });
  });
}

/** A resume cannot bring the session back (its peer connection is gone): go straight to a full reconnect. */
export class ResumeImpossibleError extends Error {}
