// The contract between the TypeScript side and the Rust addon (native/node/src/binding/).
// The addon is sans-I/O: it never touches a socket or a timer. TypeScript feeds it packets,
// frames and signal facts, and takes packets, frames and state changes back.
//
// The addon's types are generated from its Rust source by `napi build` (./addon.ts, written by
// `npm run build:native`; do not edit it by hand). This module re-exports them under the names
// the rest of lib uses and adds what Rust cannot say: error codes and the PushResult values.
//
// Errors thrown by the addon are plain `Error`s with a string `code` (see NativeErrorCode);
// lib/ turns them into the public error classes. They (and the Buffers/TypedArrays the addon
// returns) are created in Node's main realm, so under Jest's vm context use
// `util.types.isNativeError(e)` rather than `e instanceof Error`.
//
// Bytes in: any Buffer, TypedArray, DataView or ArrayBuffer; they are only read during the call.
// Bytes out: Buffers (TransmitBatch: Uint8Array and Uint32Array views of one ArrayBuffer).
// handlePacket's payloads up to 8 KiB share a 64 KiB ArrayBuffer, as Buffer.allocUnsafe's do
// Node's pool: never written again once returned, but `payload.buffer` spans other payloads. Wrong
// argument types or ranges throw InvalidArgument.

import type * as addon from './addon';
import { loadAddon } from './load';

export type {
  AesGcmKey,
  DecodedPacket,
  DepacketizerDrop,
  DepacketizerDropReason,
  E2eeExtension,
  FrameExtensions,
  FrameMarker,
  LocalManagerOptions,
  LocalTrackInfo,
  LocalTrackState,
  LocalTrackStats,
  PacketHeader,
  PushCounts,
  ReassembledFrame,
  ReceivedFrames,
  RemoteFrame,
  RemotePublicationChanges,
  RemoteTrackDescriptor,
  RemoteTrackStats,
  TransmitBatch,
} from './addon';

// The state machines (Publisher, Subscriber): their inputs and events, under the names lib uses.
export type {
  DiscoveredTrack as NativeDiscoveredTrack,
  Encoding as NativeEncoding,
  PublishedTrack as NativePublishedTrack,
  PublishError as NativePublishError,
  PublisherEvent as NativePublisherEvent,
  PublishRequest as NativePublishRequest,
  RemoteTrackInfo as NativeRemoteTrackInfo,
  SubscribedTrackStats as NativeSubscribedTrackStats,
  SubscribeError as NativeSubscribeError,
  SubscriberEvent as NativeSubscriberEvent,
  TrackMetadata as NativeTrackMetadata,
} from './addon';

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
  | 'EncryptionFailed'
  | 'Panic';

export interface NativeError extends Error {
  code: NativeErrorCode;
  /** MalformedExt: the offending extension id. */
  extTag?: number;
  /** UnsupportedVersion: the version found. */
  version?: number;
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

export interface RemoteManagerStats extends Omit<addon.RemoteManagerStats, 'malformed'> {
  /** Packets that failed to parse, by NativeErrorCode. */
  malformed: Partial<Record<NativeErrorCode, number>>;
}

export type NativePacketizer = addon.Packetizer;
export type NativeDepacketizer = addon.Depacketizer;

/**
 * pushFrame and transmitInto, own properties of each LocalManager and Publisher (native/node/src/binding/bound.rs:
 * a per-frame call bound to its instance skips napi-rs's per-call receiver bookkeeping).
 */
interface FramePusher {
  /**
   * Queues a frame (payload copied). With dropOldest, a full queue evicts its oldest frame instead
   * of refusing the new one. Throws UnknownTrack for a handle it does not know (or unpublished),
   * InvalidArgument for a frame over 1 GiB. With `sealWith` (an AesGcmKey's `id`), `e2ee` is the
   * key index alone: the addon draws the IV (its one IV source, `nextE2eeIv`) and encrypts the
   * queued copy in place (ciphertext ‖ tag is what is sent), so an E2EE frame is copied once; a
   * refusal throws EncryptionFailed. A Publisher counts a refusal (Full) in stats.
   */
  pushFrame(
    handle: number,
    payload: Uint8Array,
    userTimestamp: bigint | null,
    e2ee: addon.E2eeExtension | number | null,
    dropOldest: boolean,
    sealWith?: number | null,
  ): PushResult;
  /**
   * Writes the next batch of whole frames (about `maxBytes`, and always at least one frame when
   * one is ready) into `out`: the packets' end offsets in words 0..n, then the packets back to
   * back from byte 4n on, an end offset counting from there. Returns n, 0 when nothing is ready.
   * Where pollTransmit makes an object and two views per batch, this makes none. Throws
   * InvalidArgument, dropping the batch, if `out` is too small for it: size it for `maxBytes`
   * plus the largest frame (transmitBufferWords).
   */
  transmitInto(maxBytes: number, out: Uint32Array): number;
}

export interface NativeLocalManager extends addon.LocalManager, FramePusher {}

/**
 * The addon's receive call, an own property of each RemoteManager and Subscriber (bound like
 * pushFrame): the frame a packet completed, if any, as the ArrayBuffer holding its payload, with
 * its track, extensions and the payload's place written into `info` (frameInfoLayout()).
 */
interface NativeReceive {
  receivePacket(packet: Uint8Array, info: Uint32Array): ArrayBuffer | null;
}

/** handlePacket, built here on receivePacket. */
interface PacketReceiver {
  /**
   * One `_data_track` message. Returns the frames it completed (at most one), or null. Never
   * throws on bad bytes: malformed packets and unknown handles are counted in stats().
   */
  handlePacket(packet: Uint8Array): addon.RemoteFrame[] | null;
}

export interface NativeRemoteManager extends Omit<addon.RemoteManager, 'stats'>, PacketReceiver {
  stats(): RemoteManagerStats;
}

/**
 * The publishing side of one room connection: it owns its tracks' state, requests, deadlines and
 * counters. Feed it user calls, signal answers, connection facts and the time; drain
 * `pollEvents()`, arm one timer for `pollTimeout()` and call `handleTimeout(now)` when it fires.
 * Times are the caller's milliseconds (performance.now()).
 */
export interface NativePublisher extends addon.Publisher, FramePusher {}

/** The subscribing side of one room connection; driven like NativePublisher. */
export interface NativeSubscriber extends Omit<addon.Subscriber, 'stats'>, PacketReceiver {
  stats(): RemoteManagerStats;
}

export interface NativeBinding extends Omit<typeof addon, 'LocalManager' | 'RemoteManager' | 'Publisher' | 'Subscriber'> {
  LocalManager: new (options?: addon.LocalManagerOptions | null) => NativeLocalManager;
  RemoteManager: new () => NativeRemoteManager;
  Publisher: new (options: addon.PublisherOptions) => NativePublisher;
  Subscriber: new (options: addon.SubscriberOptions) => NativeSubscriber;
}

let cached: NativeBinding | undefined;

/** Loads the addon once per process. */
export function native(): NativeBinding {
  if (cached === undefined) {
    const loaded = loadAddon() as typeof addon;
    installHandlePacket(loaded, loaded.RemoteManager.prototype);
    installHandlePacket(loaded, loaded.Subscriber.prototype);
    cached = loaded as unknown as NativeBinding;
  }
  return cached;
}

/**
 * The addon returns a completed frame as its payload's ArrayBuffer and writes the rest into a
 * caller's Uint32Array: a JS object literal and a Buffer view cost far less built here than
 * property by property through Node-API. One `info` serves every receiver: it is read before
 * anything else can call the addon.
 */
function installHandlePacket(loaded: typeof addon, proto: object): void {
  const at = loaded.frameInfoLayout();
  const info = new Uint32Array(at.words);
  const stamps = new BigUint64Array(info.buffer);
  const infoBytes = new Uint8Array(info.buffer);
  const stampIndex = at.userTimestamp / 2;
  const ivStart = at.iv * 4;
  function handlePacket(this: NativeReceive, packet: Uint8Array): addon.RemoteFrame[] | null {
    const buffer = this.receivePacket(packet, info);
    if (buffer === null) return null;
    const flags = info[at.flags];
    const openedWith = info[at.openedWith];
    let e2ee: addon.E2eeExtension | null = null;
    let opened: addon.OpenedFrame | null = null;
    if (openedWith !== 0) opened = { keyIndex: info[at.keyIndex], keyId: openedWith };
    // slice, not Buffer.from: cold, at 100 Hz, Buffer.from of 12 bytes took 33 µs, slice 6 µs.
    else if (flags & at.e2eeSet) e2ee = { keyIndex: info[at.keyIndex], iv: infoBytes.slice(ivStart, ivStart + 12) };
    return [
      {
        payload: Buffer.from(buffer, info[at.payloadOffset], info[at.payloadLength]),
        userTimestamp: flags & at.userTimestampSet ? stamps[stampIndex] : null,
        e2ee,
        opened,
        trackId: info[at.trackId],
      },
    ];
  }
  Object.defineProperty(proto, 'handlePacket', { configurable: true, writable: true, value: handlePacket });
}
