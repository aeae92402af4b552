import { LiveKitError } from '../errors';

export enum RoomErrorReason {
  /** The room is not connected (never connected, or disconnected). */
  NotConnected = 'notConnected',
  /** The room disconnected while the operation was waiting. */
  Disconnected = 'disconnected',
  /** The caller's AbortSignal fired. */
  Cancelled = 'cancelled',
  /** The call is not valid in the room's current state (e.g. connect() twice). */
  InvalidState = 'invalidState',
}

export class RoomError extends LiveKitError<RoomErrorReason> {}
