// The contract between the TypeScript side and the Rust addon (native/node/src/binding/).
// The addon is sans-I/O: it never touches a socket or a timer. TypeScript feeds it packets,
// frames and signal facts, and takes packets, frames and state changes back.
//
// Errors thrown by the addon are plain `Error`s with a string `code` (see NativeErrorCode);
// lib/ turns them into the public error classes. They (and the Buffers/Uint32Arrays the addon
// returns) are created in Node's main realm, so under Jest's vm context use
// `util.types.isNativeError(e)` rather than `e instanceof Error`.
//
// Bytes in: any Buffer, TypedArray, DataView or ArrayBuffer; they are only read during the call.
// Bytes out: Buffers. Small ones (<= 8 KiB) may share one ArrayBuffer, as with
// Buffer.allocUnsafe; larger ones own theirs. Wrong argument types or ranges throw
// InvalidArgument.

import { loadAddon } from './load';

export type FrameMarker = 'single' | 'start' | 'inter' | 'final';

export interface E2eeExtension {
  /** Index into the publisher's key ring (u8). */
  keyIndex: number;
  /** 12-byte AES-GCM IV (a Buffer when it comes from the addon). */
  iv: Uint8Array;
}

export interface PacketHeader {
  marker: FrameMarker;
  handle: number;
  sequence: number;
  frameNumber: number;
  /** 90 kHz RTP-style timestamp (u32). */
  timestamp: number;
  e2ee: E2eeExtension | null;
  userTimestamp: bigint | null;
}

export interface DecodedPacket {
  header: PacketHeader;
  payload: Buffer;
}

/** Codec errors first (spec order), then usage errors. */
export type NativeErrorCode =
  | 'TooShort'
  | 'UnsupportedVersion'
  | 'InvalidHandle'
  | 'MissingExtWords'
  | 'HeaderOverrun'
  | 'MalformedExt'
  | 'MtuTooShort'
  | 'InvalidArgument'
  | 'LimitReached'
  | 'UnknownTrack'
  | 'InvalidState'
  | 'Panic';

export interface NativeError extends Error {
  code: NativeErrorCode;
  /** MalformedExt: the offending extension id. */
  extTag?: number;
  /** UnsupportedVersion: the version found. */
  version?: number;
}

export type DepacketizerDropReason = 'interrupted' | 'unknownFrame' | 'bufferFull' | 'incomplete';

export interface DepacketizerDrop {
  reason: DepacketizerDropReason;
  frameNumber: number;
  /** interrupted: the frame number that evicted it. */
  newFrameNumber?: number;
  /** incomplete: payloads buffered / expected. */
  received?: number;
  expected?: number;
}

export interface ReassembledFrame {
  payload: Buffer;
  userTimestamp: bigint | null;
  e2ee: E2eeExtension | null;
}

export interface NativePacketizer {
  /**
   * Packets of one frame, in send order. An empty payload consumes a frame number and returns [].
   * Throws MtuTooShort (without consuming a frame number) when the header does not fit the MTU.
   */
  packetize(payload: Uint8Array, userTimestamp: bigint | null, e2ee: E2eeExtension | null): Buffer[];
}

export interface NativeDepacketizer {
  /**
   * Feeds one serialized packet; returns completed frames and drops caused by this packet (at most
   * one of each). Throws the codec error for bytes that do not parse.
   */
  push(packet: Uint8Array): { frames: ReassembledFrame[]; drops: DepacketizerDrop[] };
}

export type LocalTrackState = 'pending' | 'published' | 'republishing' | 'unpublished';

export interface LocalTrackInfo {
  handle: number;
  sid: string;
  name: string;
  usesE2ee: boolean;
}

export interface LocalTrackStats {
  framesSent: number;
  /** Wire bytes of the packets produced (headers included), as the data channel sees them. */
  bytesSent: number;
  packetsSent: number;
  framesDroppedQueueFull: number;
  framesDroppedNotPublished: number;
  queuedFrames: number;
}

/** Result of LocalManager.pushFrame. */
export const enum PushResult {
  Queued = 0,
  /** Queued after evicting the oldest queued frame (counted as framesDroppedQueueFull). */
  QueuedDroppedOldest = 1,
  /** Queue full, frame rejected (not counted: the caller decides). */
  Full = 2,
  /** Track is pending/republishing: frame dropped and counted as framesDroppedNotPublished. */
  NotPublished = 3,
}

export interface TransmitBatch {
  /** All packets back to back. Packet i is data.subarray(ends[i-1] ?? 0, ends[i]). */
  data: Buffer;
  ends: Uint32Array;
  /** Number of whole frames in this batch. */
  frames: number;
}

export interface NativeLocalManager {
  /** Next publisher handle: 1, 2, ... 65535, never reused by this manager. Throws LimitReached. */
  allocateHandle(): number;
  /**
   * A publish request is on its way: the track exists in state 'pending'. InvalidArgument for a
   * handle this manager never allocated; InvalidState if the handle already has a track (or had one).
   */
  beginPublish(handle: number, name: string, usesE2ee: boolean): void;
  /**
   * The SFU accepted: 'published' with this SID (also ends 'republishing', keeping counters; on a
   * published track it only updates the SID). UnknownTrack for a handle without a track.
   */
  publishSucceeded(handle: number, sid: string): void;
  /**
   * The SFU refused or the request was abandoned: the track is forgotten (its handle stays used,
   * state() returns null). No-op for an unknown handle.
   */
  publishFailed(handle: number): void;
  /**
   * Full reconnect: every published track becomes 'republishing'; returns their handles. Their
   * queued frames are dropped (counted in framesDroppedNotPublished).
   */
  beginRepublish(): number[];
  /**
   * 'unpublished': the queue is dropped and the track is forgotten (state() keeps answering
   * 'unpublished'; stats() returns null; pushFrame throws UnknownTrack). No-op for an unknown handle.
   */
  unpublish(handle: number): void;
  state(handle: number): LocalTrackState | null;
  /** Published (and republishing) tracks, for SyncState and republish requests. */
  tracks(): LocalTrackInfo[];
  /**
   * Queues a frame (payload copied). With dropOldest, a full queue evicts its oldest frame instead
   * of refusing the new one. Throws UnknownTrack for a handle it does not know (or unpublished),
   * InvalidArgument for a frame over 1 GiB. With `tail`, the frame is `payload ‖ tail`, gathered in
   * the one copy (E2EE passes ciphertext and tag apart rather than concatenating them first).
   */
  pushFrame(
    handle: number,
    payload: Uint8Array,
    userTimestamp: bigint | null,
    e2ee: E2eeExtension | null,
    dropOldest: boolean,
    tail?: Uint8Array | null,
  ): PushResult;
  /**
   * Packetizes whole queued frames, round-robin across tracks, until at least `maxBytes` of
   * packets are out (always at least one frame if any is queued). null when nothing is queued.
   * Only 'published' tracks transmit. `data` and `ends` share one ArrayBuffer: `scratch`'s, if it
   * is given, can hold the batch and sits 4-byte aligned (the batch then lives only until the
   * caller reuses `scratch`), otherwise a fresh one.
   */
  pollTransmit(maxBytes: number, scratch?: Uint8Array | null): TransmitBatch | null;
  /** Frames waiting in all queues. */
  queuedFrames(): number;
  stats(handle: number): LocalTrackStats | null;
}

export interface RemoteTrackDescriptor {
  sid: string;
  pubHandle: number;
  name: string;
  usesE2ee: boolean;
}

export interface RemotePublicationChanges {
  /** New publications; trackId is stable for the life of the publication, across SID changes. */
  published: Array<{ trackId: number; sid: string }>;
  unpublished: Array<{ trackId: number; sid: string }>;
  /** Same (identity, pubHandle, name, usesE2ee) with a new SID: the publisher did a full reconnect. */
  reassigned: Array<{ trackId: number; oldSid: string; newSid: string }>;
}

export interface RemoteTrackStats {
  framesReceived: number;
  /** Wire bytes of the packets routed to the track (headers included). */
  bytesReceived: number;
  packetsReceived: number;
  droppedInterrupted: number;
  droppedUnknownFrame: number;
  droppedBufferFull: number;
  droppedIncomplete: number;
}

export interface RemoteManagerStats {
  /** Packets that failed to parse, by NativeErrorCode. */
  malformed: Partial<Record<NativeErrorCode, number>>;
  /** Packets whose handle maps to no subscribed track. */
  unknownHandle: number;
}

export interface RemoteFrame extends ReassembledFrame {
  trackId: number;
}

export interface NativeRemoteManager {
  /**
   * The complete data-track list of one remote participant (authoritative: anything missing is
   * unpublished). Never call it with the local identity.
   */
  updateParticipant(identity: string, tracks: RemoteTrackDescriptor[]): RemotePublicationChanges;
  /** The participant left: all its publications are unpublished. */
  removeParticipant(identity: string): RemotePublicationChanges;
  /**
   * Creates the reassembly pipeline for a track (idempotent; on an existing pipeline it applies
   * the new capacity). maxPartialFrames is clamped to 1..256. UnknownTrack for an unknown trackId.
   */
  subscribe(trackId: number, maxPartialFrames: number): void;
  /** Drops the pipeline and any handle that points at it. No-op when not subscribed. */
  unsubscribe(trackId: number): void;
  /**
   * Changes the capacity of a subscribed track's pipeline (no-op when not subscribed; UnknownTrack
   * for an unknown trackId). Partial frames beyond a reduced capacity are dropped at once and
   * counted as droppedInterrupted.
   */
  setPipelineOptions(trackId: number, maxPartialFrames: number): void;
  /**
   * Full snapshot from DataTrackSubscriberHandles: [subscriber handle (1..65535), track SID]. A
   * handle may name a SID that is not known yet; it routes once the publication appears and is
   * subscribed.
   */
  setSubscriberHandles(entries: Array<[number, string]>): void;
  /** Current subscriber handle of a track's SID in the last snapshot (subscribed or not), or 0. */
  subscriberHandle(trackId: number): number;
  /**
   * One `_data_track` message. Returns the frames it completed (usually 0 or 1). Never throws on
   * bad bytes: malformed packets and unknown handles are counted in stats().
   */
  handlePacket(packet: Uint8Array): RemoteFrame[] | null;
  /** Stats of a known publication (kept across unsubscribe/resubscribe), null once unpublished. */
  trackStats(trackId: number): RemoteTrackStats | null;
  stats(): RemoteManagerStats;
}

// ---- The state machines: Publisher and Subscriber (native/core/src/{local,remote}) ----
//
// They own every piece of data-track state of one room connection and every timer: the caller
// feeds them user calls, signal answers, connection facts and the time, then drains `pollEvents()`
// and arms one timer for `pollTimeout()`, calling `handleTimeout(now)` when it fires. Times are
// milliseconds on the caller's monotonic clock (performance.now()); one clock per instance.

/** A well-known protocol code (DataTrackFrameEncoding / DataTrackSchemaEncoding) or a custom string. */
export interface NativeEncoding {
  wellKnown: number | null;
  custom: string | null;
}

export interface NativeSchemaId {
  name: string;
  encoding: NativeEncoding;
}

/** What a publisher says about its frames; the core echoes it and never interprets it. */
export interface NativeTrackMetadata {
  frameEncoding: NativeEncoding | null;
  schema: NativeSchemaId | null;
}

/** PublishDataTrackRequest. */
export interface NativePublishRequest {
  handle: number;
  name: string;
  usesE2ee: boolean;
  metadata: NativeTrackMetadata;
}

/** PublishDataTrackResponse.info, and one entry of SyncState.publish_data_tracks. */
export interface NativePublishedTrack extends NativePublishRequest {
  sid: string;
}

export type NativePublishFailure =
  | 'notAllowed'
  | 'duplicateName'
  | 'invalidName'
  | 'invalidSchema'
  | 'timeout'
  | 'limitReached'
  | 'disconnected'
  | 'cancelled'
  | 'internal';

export interface NativePublishError {
  reason: NativePublishFailure;
  message: string;
  /** What the SFU said, verbatim, when the error came from it. */
  rawMessage: string | null;
}

export type NativeUnpublishCause = 'requested' | 'bySfu' | 'republishRefused' | 'disconnected';

export type NativePublisherEvent =
  | { kind: 'sendPublishRequest'; request: NativePublishRequest }
  | { kind: 'sendUnpublishRequest'; handle: number }
  | { kind: 'published'; track: NativePublishedTrack }
  | { kind: 'publishFailed'; handle: number; error: NativePublishError }
  | { kind: 'republished'; handle: number; sid: string }
  | { kind: 'unpublished'; handle: number; cause: NativeUnpublishCause }
  | { kind: 'unpublishDone'; handle: number };

export interface NativePublishedTrackStats {
  framesSent: number;
  bytesSent: number;
  packetsSent: number;
  /** Refused (queue full) or evicted (drop oldest). */
  framesDroppedQueueFull: number;
  framesDroppedNotPublished: number;
  framesDroppedEncryptionFailed: number;
  queuedFrames: number;
}

export interface NativePublisherOptions {
  /** The caller's clock now: maps its milliseconds onto the addon's monotonic clock. */
  nowMs: number;
  mtu?: number;
  queueCapacity: number;
  publishTimeoutMs: number;
  unpublishTimeoutMs: number;
}

export interface NativePublishOptions {
  name: string;
  usesE2ee: boolean;
  metadata: NativeTrackMetadata;
  /** Clamped to 1..=the publisher's queueCapacity; null takes that. */
  queueCapacity: number | null;
  /** null takes the publisher's publishTimeoutMs. */
  timeoutMs: number | null;
}

export interface NativePublisher {
  /** Starts a publish (its outcome is a later 'published' / 'publishFailed'), or fails at once. */
  publish(options: NativePublishOptions, nowMs: number): { handle: number; error: null } | { handle: 0; error: NativePublishError };
  cancelPublish(handle: number): void;
  /** 'unpublished' then, once the SFU answers or the wait times out, 'unpublishDone'. */
  unpublish(handle: number, nowMs: number): void;
  /** As LocalManager.pushFrame; a refusal (Full) is counted in stats. */
  pushFrame(
    handle: number,
    payload: Uint8Array,
    userTimestamp: bigint | null,
    e2ee: E2eeExtension | null,
    dropOldest: boolean,
    tail?: Uint8Array | null,
  ): PushResult;
  countEncryptionFailure(handle: number): void;
  handlePublishResponse(handle: number, sid: string, metadata: NativeTrackMetadata, nowMs: number): void;
  /** reason: the RequestResponse.Reason code. */
  handlePublishRejected(handle: number, reason: number, message: string): void;
  handleUnpublishResponse(handle: number, sid: string): void;
  handleUnpublishRejected(handle: number): void;
  restarting(): void;
  joined(): void;
  disconnected(): void;
  pollTimeout(): number | null;
  handleTimeout(nowMs: number): void;
  pollEvents(): NativePublisherEvent[];
  syncStateTracks(): NativePublishedTrack[];
  /** Live while published, final once unpublished; null for a handle never published. */
  stats(handle: number): NativePublishedTrackStats | null;
  /** As LocalManager.pollTransmit. */
  pollTransmit(maxBytes: number, scratch?: Uint8Array | null): TransmitBatch | null;
  queuedFrames(): number;
}

/** One DataTrackInfo of a remote participant, unvalidated (the core skips unusable entries). */
export interface NativeRemoteTrackInfo {
  sid: string;
  pubHandle: number;
  name: string;
  /** Encryption.Type code. */
  encryption: number;
  metadata: NativeTrackMetadata;
}

export interface NativeDiscoveredTrack {
  trackId: number;
  identity: string;
  sid: string;
  name: string;
  usesE2ee: boolean;
  metadata: NativeTrackMetadata;
}

export interface NativeSubscribeError {
  reason: 'unpublished' | 'timeout' | 'cancelled' | 'disconnected';
  message: string;
}

export interface NativeSubscribedTrackStats extends RemoteTrackStats {
  decryptFailed: number;
}

export type NativeSubscriberEvent =
  | { kind: 'sendUpdateSubscription'; sid: string; subscribe: boolean }
  | { kind: 'trackPublished'; track: NativeDiscoveredTrack; holdsName: boolean }
  | { kind: 'trackReassigned'; trackId: number; sid: string }
  | {
      kind: 'trackUnpublished';
      trackId: number;
      end: 'unpublished' | 'disconnected';
      stats: NativeSubscribedTrackStats;
      /** The track that holds the publisher's name from now on (names repeat only on a non-conforming server). */
      namePassesTo: number | null;
    }
  | { kind: 'subscribeReady'; stream: number; trackId: number }
  | { kind: 'subscribeFailed'; stream: number; trackId: number; error: NativeSubscribeError }
  | { kind: 'trackWaitResolved'; wait: number; trackId: number }
  | { kind: 'trackWaitFailed'; wait: number; error: NativeSubscribeError };

export interface NativeSubscriberOptions {
  /** The caller's clock now: maps its milliseconds onto the addon's monotonic clock. */
  nowMs: number;
  subscribeTimeoutMs: number;
}

export interface NativeSubscriber {
  updateParticipant(identity: string, tracks: NativeRemoteTrackInfo[], nowMs: number): void;
  removeParticipant(identity: string, nowMs: number): void;
  /** A wait id; its outcome is 'trackWaitResolved' / 'trackWaitFailed'. */
  waitForTrack(identity: string, name: string, timeoutMs: number | null, nowMs: number): number;
  cancelWait(wait: number): void;
  /** A stream id ('subscribeReady' / 'subscribeFailed'), or an error at once. */
  subscribe(trackId: number, timeoutMs: number | null, nowMs: number): { stream: number; error: null } | { stream: 0; error: NativeSubscribeError };
  cancelSubscribe(stream: number, nowMs: number): void;
  releaseStream(stream: number, nowMs: number): void;
  setPipelineOptions(trackId: number, maxPartialFrames: number): void;
  /** DataTrackSubscriberHandles: [handle, track SID]; the core skips unusable entries. */
  setSubscriberHandles(entries: Array<[number, string]>, nowMs: number): void;
  channelOpened(): void;
  countDecryptFailure(trackId: number): void;
  restarting(): void;
  /** Identities present in the (re)join; the others left while we were away. */
  joined(present: string[], nowMs: number): void;
  disconnected(): void;
  pollTimeout(): number | null;
  handleTimeout(nowMs: number): void;
  pollEvents(): NativeSubscriberEvent[];
  /** As RemoteManager.handlePacket. */
  handlePacket(packet: Uint8Array): RemoteFrame[] | null;
  isSubscribed(trackId: number): boolean;
  /** Live counters of a published track (the final ones come with 'trackUnpublished'). */
  trackStats(trackId: number): NativeSubscribedTrackStats | null;
  stats(): RemoteManagerStats;
}

export interface NativeBinding {
  encodePacket(header: PacketHeader, payload: Uint8Array): Buffer;
  decodePacket(packet: Uint8Array): DecodedPacket;
  /**
   * SFU forwarding: the packet with its handle replaced, re-serialized as LiveKit's SFU does
   * (reserved bits cleared, extension block re-emitted canonically). Throws codec errors.
   */
  forwardPacket(packet: Uint8Array, newHandle: number): Buffer;
  /**
   * forwardPacket written into `out` (which must not overlap `packet`); returns the length.
   * InvalidArgument if `out` is too small.
   */
  forwardPacketInto(packet: Uint8Array, newHandle: number, out: Uint8Array): number;
  /** handle 1..65535; mtu defaults to 16000. */
  Packetizer: new (handle: number, mtu?: number) => NativePacketizer;
  /** maxPartialFrames defaults to 1 and is clamped to 1..256. */
  Depacketizer: new (maxPartialFrames?: number) => NativeDepacketizer;
  /** mtu 41..65535 (default 16000), queueCapacity >= 1 (default 16). */
  LocalManager: new (options?: { mtu?: number; queueCapacity?: number }) => NativeLocalManager;
  RemoteManager: new () => NativeRemoteManager;
  Publisher: new (options: NativePublisherOptions) => NativePublisher;
  Subscriber: new (options: NativeSubscriberOptions) => NativeSubscriber;
  /** Test hook: panics inside the addon; must surface as a thrown Error with code 'Panic'. */
  __panicForTest(): void;
}

let cached: NativeBinding | undefined;

/** Loads the addon once per process. */
export function native(): NativeBinding {
  cached ??= loadAddon() as NativeBinding;
  return cached;
}
