// Public error classes of the data-track API. Each carries a stable string `reason` so callers can
// branch without parsing messages; `rawMessage` keeps whatever the SFU said, verbatim.

import { LiveKitError } from '../errors';
import type { DataTrackFrame } from './frame';
import type { DataTrackSchemaErrorReason } from './schema';

export abstract class DataTrackError<R extends string> extends LiveKitError<R> {
  /** Text from the SFU (RequestResponse.message), when the error came from it. */
  readonly rawMessage?: string;

  constructor(reason: R, message: string, options?: { rawMessage?: string; cause?: unknown }) {
    super(reason, message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    if (options?.rawMessage !== undefined) this.rawMessage = options.rawMessage;
  }
}

export type DataTrackPublishErrorReason =
  | 'notAllowed'
  | 'duplicateName'
  | 'invalidName'
  | 'invalidSchema'
  | 'timeout'
  | 'limitReached'
  | 'disconnected'
  | 'cancelled'
  | 'internal';

export class DataTrackPublishError extends DataTrackError<DataTrackPublishErrorReason> {
  /** Set when reason is 'invalidSchema'. */
  readonly schemaError?: DataTrackSchemaErrorReason;

  constructor(
    reason: DataTrackPublishErrorReason,
    message: string,
    options?: { rawMessage?: string; cause?: unknown; schemaError?: DataTrackSchemaErrorReason },
  ) {
    super(reason, message, options);
    if (options?.schemaError) this.schemaError = options.schemaError;
  }
}

/**
 * - trackUnpublished: the track is no longer published.
 * - queueFull: the send queue is full and the policy is 'throw' (see QueueFullPolicy).
 * - emptyFrame: the payload has no bytes (it would packetize to nothing).
 * - frameTooLarge: the payload exceeds what every receiver reassembles (about 1.95 MiB; see maxFramePayload).
 * - encryptionFailed: room E2EE has no key to encrypt with.
 */
export type DataTrackPushErrorReason = 'trackUnpublished' | 'queueFull' | 'emptyFrame' | 'frameTooLarge' | 'encryptionFailed';

export class DataTrackPushError extends DataTrackError<DataTrackPushErrorReason> {
  /**
   * The rejected frame, so the caller can retry or account for it: the very object given to
   * tryPush; from pushFrames, the item at `index` (a view into `payloads` for the contiguous form).
   */
  readonly frame: DataTrackFrame;
  /**
   * From pushFrames: the position of `frame` in the batch. Frames before it were pushed (after a
   * 'queueFull' or 'encryptionFailed'), or none was (any other reason: the batch is checked first).
   */
  readonly index?: number;

  constructor(reason: DataTrackPushErrorReason, message: string, frame: DataTrackFrame, options?: { cause?: unknown; index?: number }) {
    super(reason, message, options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.frame = frame;
    if (options?.index !== undefined) this.index = options.index;
  }
}

export type DataTrackSubscribeErrorReason = 'unpublished' | 'timeout' | 'disconnected' | 'cancelled';

export class DataTrackSubscribeError extends DataTrackError<DataTrackSubscribeErrorReason> {}

export type DataTrackSchemaStoreErrorReason =
  | 'notAllowed'
  | 'notFound'
  | 'limitExceeded'
  | 'invalidRequest'
  | 'timeout'
  | 'disconnected'
  | 'cancelled'
  | 'internal';

/** defineSchema / getSchema failures (the SFU's data-blob store). */
export class DataTrackSchemaStoreError extends DataTrackError<DataTrackSchemaStoreErrorReason> {}
