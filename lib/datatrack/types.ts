import type { DataTrackFrameEncoding, DataTrackSchemaId } from './schema';

/** What is known about a published track, on the publishing and the subscribing side alike. */
export interface DataTrackInfo {
  /** Server-assigned ("DTR_…"). Changes if the publisher does a full reconnect. */
  readonly sid: string;
  readonly name: string;
  /** Frames are AES-GCM encrypted end to end. */
  readonly usesE2ee: boolean;
  readonly schema?: DataTrackSchemaId;
  readonly frameEncoding?: DataTrackFrameEncoding;
}

export interface DataTrackPublishOptions {
  /** Unique per publisher, 1–256 bytes of UTF-8. */
  name: string;
  /** Describes the frames; requires `frameEncoding`. */
  schema?: DataTrackSchemaId;
  frameEncoding?: DataTrackFrameEncoding;
  /** Aborting rejects with reason 'cancelled' (and unpublishes if the SFU accepts late). */
  signal?: AbortSignal;
  /**
   * Frames this track may hold while the data channel is congested (at most the room's queue
   * capacity, default 16). Fewer means fresher data under congestion.
   */
  queueCapacity?: number;
  /** Overrides the room's publish timeout (default 10 s). */
  timeoutMs?: number;
}

/**
 * What to do with a frame when the track's send queue is full:
 * 'throw' raises DataTrackPushError('queueFull') carrying the frame; 'drop' discards the new frame;
 * 'dropOldest' evicts the oldest queued frame so the newest always gets in (freshest wins).
 * Dropped and evicted frames are counted in `stats().framesDropped.queueFull`.
 *
 * Defaults: `tryPush` and `pushFrames` 'throw' (one synchronous call, the caller decides);
 * `send` and `writable` 'drop' (a source faster than the network loses frames instead of failing
 * the whole send or erroring the pipe).
 */
export type QueueFullPolicy = 'throw' | 'drop' | 'dropOldest';

export interface DataTrackSubscribeOptions {
  /** Frames buffered for a slow reader before the oldest is dropped. 0 means 1. @default 16 */
  bufferSize?: number;
  signal?: AbortSignal;
  /** How long to wait for the SFU to assign a subscriber handle. @default 10 s */
  timeoutMs?: number;
}

export interface RemoteDataTrackPipelineOptions {
  /** Frames reassembled concurrently; more tolerates interleaving, at a memory cost. @default 1 */
  maxPartialFrames?: number;
}

export interface LocalDataTrackStats {
  framesSent: number;
  bytesSent: number;
  packetsSent: number;
  framesDropped: {
    /** Rejected or evicted because the send queue was full. */
    queueFull: number;
    /** Pushed while the track was being republished after a reconnect. */
    notPublished: number;
    /** Could not be encrypted (no key). */
    encryptionFailed: number;
  };
  /** Frames waiting for the data channel. */
  queuedFrames: number;
}

export interface RemoteDataTrackStats {
  /** Frames reassembled from packets. */
  framesReceived: number;
  bytesReceived: number;
  packetsReceived: number;
  /** Frames handed to at least the track's streams (after decryption). */
  framesDelivered: number;
  framesDropped: {
    /** A newer frame started before this one completed (see maxPartialFrames). */
    interrupted: number;
    /** A packet in the middle of the frame was lost. */
    incomplete: number;
    /** Packets of a frame whose start was never seen. */
    unknownFrame: number;
    /** A frame with more packets than a receiver accepts. */
    bufferFull: number;
    /** Evicted from a slow stream's buffer (summed over streams). */
    subscriberOverflow: number;
    /** Failed authentication/decryption, or arrived without E2EE metadata or key. */
    decryptFailed: number;
  };
}

/** Room-level tuning of the data-track layer. */
export interface DataTrackSettings {
  /** @default 10_000 */
  publishTimeoutMs?: number;
  /** @default 10_000 */
  subscribeTimeoutMs?: number;
  /** Waiting for an UnpublishDataTrackResponse. @default 5_000 */
  unpublishTimeoutMs?: number;
  /** defineSchema / getSchema. @default 5_000 */
  schemaTimeoutMs?: number;
  /** Frames queued per track while the channel is congested. @default 16 */
  queueCapacity?: number;
  /** Stop handing packets to the data channel above this many buffered bytes. @default 256 KiB */
  highWaterMark?: number;
  /** Resume once the buffered amount falls to this. @default 64 KiB */
  lowWaterMark?: number;
}
