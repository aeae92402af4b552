import { IV_LENGTH, TAG_LENGTH } from '../e2ee/frame-cryptor';

/** One unit of data on a data track. `userTimestamp` is an opaque u64 carried end to end. */
export interface DataTrackFrame {
  payload: Uint8Array;
  /** Application-defined; the helpers below use Unix epoch milliseconds. 0n is a valid value. */
  userTimestamp?: bigint;
}

export const U64_MAX = (1n << 64n) - 1n;

/** Milliseconds since the frame's `userTimestamp` (Unix ms), or undefined if it has none or it lies in the future. */
export function msSinceTimestamp(frame: DataTrackFrame, nowMs: number = Date.now()): number | undefined {
  const ts = frame.userTimestamp;
  if (ts === undefined) return undefined;
  const elapsed = BigInt(Math.floor(nowMs)) - ts;
  // A future timestamp means the clocks disagree; a latency figure would be a lie.
  if (elapsed < 0n) return undefined;
  return Number(elapsed);
}

/** Throws unless the frame can go on the wire; returns the timestamp in the form the addon wants. */
export function checkFrame(frame: DataTrackFrame): bigint | null {
  if (frame === null || typeof frame !== 'object' || !(frame.payload instanceof Uint8Array)) {
    throw new TypeError('a DataTrackFrame needs a Uint8Array payload');
  }
  const ts = frame.userTimestamp;
  if (ts === undefined) return null;
  if (typeof ts !== 'bigint' || ts < 0n || ts > U64_MAX) {
    throw new RangeError('userTimestamp must be a bigint in the u64 range');
  }
  return ts;
}

export const DataTrackFrame = {
  /** A frame stamped with the current Unix time in milliseconds. */
  now(payload: Uint8Array): DataTrackFrame {
    return { payload, userTimestamp: BigInt(Date.now()) };
  },
  /** A frame with an explicit timestamp (or none). */
  of(payload: Uint8Array, userTimestamp?: bigint): DataTrackFrame {
    return userTimestamp === undefined ? { payload } : { payload, userTimestamp };
  },
  msSinceTimestamp,
};

/** DTP facts that bound a frame: packets are ≤ 16,000 bytes and receivers keep ≤ 128 per frame. */
const TRANSPORT_MTU = 16_000;
const MAX_PACKETS_PER_FRAME = 128;
/** The most wire bytes one frame tryPush accepts can take: every packet full. */
export const MAX_FRAME_WIRE_BYTES = TRANSPORT_MTU * MAX_PACKETS_PER_FRAME;

/**
 * The largest payload every LiveKit receiver will reassemble, for a frame with or without a user
 * timestamp and E2EE (which adds its tag to the payload and its extension to every header).
 * Larger frames would be sent and silently dropped by each subscriber, so tryPush refuses them.
 */
export function maxFramePayload(hasUserTimestamp: boolean, encrypted: boolean): number {
  // A TLV is 2 bytes of type and length; E2EE's value is the key index and the IV.
  const tlvBytes = (encrypted ? 2 + 1 + IV_LENGTH : 0) + (hasUserTimestamp ? 2 + 8 : 0);
  const extBlock = tlvBytes === 0 ? 0 : 4 * Math.ceil((2 + tlvBytes) / 4);
  const perPacket = TRANSPORT_MTU - 12 - extBlock;
  return perPacket * MAX_PACKETS_PER_FRAME - (encrypted ? TAG_LENGTH : 0);
}
