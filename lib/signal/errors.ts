import type { LeaveRequest } from '../protocol';
import { LiveKitError } from '../errors';

export enum ConnectErrorReason {
  /** The server refused the token (HTTP 401/403). */
  Unauthorized = 'unauthorized',
  /** The server answered 404: wrong path or the room does not exist. */
  NotFound = 'notFound',
  /** No usable connection to the server (refused, DNS, TLS, reset, 5xx). */
  ServerUnreachable = 'serverUnreachable',
  /** The connect deadline passed. */
  Timeout = 'timeout',
  /** The server spoke, but not the protocol we expect. */
  Protocol = 'protocol',
  /** The caller's AbortSignal fired, or the room was disconnected meanwhile. */
  Cancelled = 'cancelled',
  /** The server answered the join with a `leave` (e.g. a resume it cannot honour). */
  LeaveRequest = 'leaveRequest',
}

export interface ConnectErrorDetails {
  httpStatus?: number;
  body?: string;
  leave?: LeaveRequest;
  cause?: unknown;
}

export class ConnectError extends LiveKitError<ConnectErrorReason> {
  /** Status of a refused WebSocket upgrade. */
  readonly httpStatus?: number;
  /** The server's explanation for a refused upgrade (from the upgrade or from `/validate`). */
  readonly body?: string;
  /** Set when reason is `leaveRequest`. */
  readonly leave?: LeaveRequest;

  constructor(reason: ConnectErrorReason, message: string, details: ConnectErrorDetails = {}) {
    super(reason, message, details.cause === undefined ? undefined : { cause: details.cause });
    if (details.httpStatus !== undefined) this.httpStatus = details.httpStatus;
    if (details.body !== undefined) this.body = details.body;
    if (details.leave !== undefined) this.leave = details.leave;
  }
}

/** Maps a refused upgrade's status to a reason; the status is what the server decided. */
export function reasonForHttpStatus(status: number): ConnectErrorReason {
  if (status === 401 || status === 403) return ConnectErrorReason.Unauthorized;
  if (status === 404) return ConnectErrorReason.NotFound;
  if (status >= 500) return ConnectErrorReason.ServerUnreachable;
  return ConnectErrorReason.Protocol;
}

/**
 * Turns a failure before the upgrade completed (refused, DNS, TLS, reset) into a ConnectError:
 * whatever the code, we never reached a LiveKit server.
 */
export function connectErrorFromSocketError(err: unknown): ConnectError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  const suffix = typeof code === 'string' && !message.includes(code) ? ` (${code})` : '';
  return new ConnectError(ConnectErrorReason.ServerUnreachable, `server unreachable: ${message}${suffix}`, {
    cause: err,
  });
}

export const SIGNAL_PROTOCOL_WARNING_CODE = 'LIVEKIT_SIGNAL_PROTOCOL';

export enum SignalProtocolErrorReason {
  /** A message after the join that is neither a decodable protobuf nor protojson SignalResponse. */
  Undecodable = 'undecodable',
}

/**
 * A server message the SDK could not use. The message is dropped and the session goes on (one bad
 * message costs nothing else); the error is reported as a process warning
 * (`process.on('warning')`, code `LIVEKIT_SIGNAL_PROTOCOL`) once per signal connection.
 */
export class SignalProtocolError extends LiveKitError<SignalProtocolErrorReason> {
  readonly code = SIGNAL_PROTOCOL_WARNING_CODE;
}
