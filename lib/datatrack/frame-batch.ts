// The argument of LocalDataTrack.pushFrames, checked whole and laid out as the addon's batch call
// takes it (payloads back to back, end offsets, timestamps), before any frame is pushed.

import { DataTrackPushError } from './errors';
import { type DataTrackFrame, U64_MAX, checkFrame, maxFramePayload } from './frame';

/**
 * Frames laid out back to back, the form pushFrames passes to the addon without copying: frame `i`
 * is `payloads.subarray(ends[i - 1] ?? 0, ends[i])`.
 */
export interface DataTrackFrameBatch {
  payloads: Uint8Array;
  /** Where each frame ends in `payloads`: strictly increasing (no frame is empty), the last at most `payloads.length`. */
  ends: Uint32Array | readonly number[];
  /** One u64 per frame, or none for the whole batch. */
  userTimestamps?: BigUint64Array | readonly bigint[];
}

/** How the frames of one pushFrames call fared. `queued + dropped` is the batch's length unless it threw. */
export interface DataTrackPushFramesResult {
  /** Frames of the batch queued (most are on the wire by the time pushFrames returns). */
  queued: number;
  /** Frames of the batch discarded: the queue stayed full under 'drop', or the track was being republished. */
  dropped: number;
  /** Queued frames evicted under 'dropOldest' to make room (they may be earlier frames of this batch). */
  evicted: number;
}

/** A checked batch. `userTimestamps` is undefined when some frames have one and others not. */
export interface PackedFrames {
  readonly count: number;
  readonly data: Uint8Array;
  readonly ends: Uint32Array;
  readonly userTimestamps: BigUint64Array | null | undefined;
  /** Frame `i` as the caller gave it (a view into `payloads` for the contiguous form). */
  frame(i: number): DataTrackFrame;
}

const U32_LIMIT = 2 ** 32;

/**
 * Checks every frame as tryPush would, throwing for the first bad one (DataTrackPushError
 * 'emptyFrame' or 'frameTooLarge' naming its index; TypeError or RangeError for a malformed
 * argument), and lays the batch out for the addon.
 */
export function packFrames(input: Iterable<DataTrackFrame | Uint8Array> | DataTrackFrameBatch, encrypted: boolean): PackedFrames {
  if (input !== null && typeof input === 'object' && 'payloads' in input) return packContiguous(input, encrypted);
  if (input === null || typeof (input as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
    throw new TypeError('pushFrames takes an iterable of frames or { payloads, ends, userTimestamps? }');
  }
  return packIterable(input, encrypted);
}

function packIterable(input: Iterable<DataTrackFrame | Uint8Array>, encrypted: boolean): PackedFrames {
  const frames: DataTrackFrame[] = [];
  const stamps: (bigint | null)[] = [];
  let total = 0;
  let stamped = 0;
  for (const item of input) {
    const i = frames.length;
    const frame: DataTrackFrame = item instanceof Uint8Array ? { payload: item } : item;
    let stamp: bigint | null;
    try {
      stamp = checkFrame(frame);
    } catch (err) {
      throw indexed(err, i);
    }
    checkSize(frame, i, frame.payload.length, stamp !== null, encrypted);
    frames.push(frame);
    stamps.push(stamp);
    total += frame.payload.length;
    if (stamp !== null) stamped++;
  }
  const data = new Uint8Array(total);
  const ends = new Uint32Array(frames.length);
  let at = 0;
  for (let i = 0; i < frames.length; i++) {
    data.set(frames[i].payload, at);
    at += frames[i].payload.length;
    ends[i] = at;
  }
  let userTimestamps: BigUint64Array | null | undefined = null;
  if (stamped === frames.length && stamped > 0) userTimestamps = BigUint64Array.from(stamps as bigint[]);
  else if (stamped > 0) userTimestamps = undefined;
  return { count: frames.length, data, ends, userTimestamps, frame: (i) => frames[i] };
}

function packContiguous(batch: DataTrackFrameBatch, encrypted: boolean): PackedFrames {
  const { payloads } = batch;
  if (!(payloads instanceof Uint8Array)) throw new TypeError('pushFrames: payloads must be a Uint8Array');
  const ends = endOffsets(batch.ends);
  const count = ends.length;
  const userTimestamps = timestamps(batch.userTimestamps, count);
  const frame = (i: number): DataTrackFrame => {
    const payload = payloads.subarray(i === 0 ? 0 : ends[i - 1], ends[i]);
    return userTimestamps === null ? { payload } : { payload, userTimestamp: userTimestamps[i] };
  };
  let start = 0;
  for (let i = 0; i < count; i++) {
    const end = ends[i];
    if (end < start) throw new RangeError(`pushFrames: ends must increase (ends[${i}] = ${end} < ${start})`);
    if (end > payloads.length) throw new RangeError(`pushFrames: ends[${i}] = ${end} is past payloads (${payloads.length} bytes)`);
    if (end === start || end - start > maxFramePayload(userTimestamps !== null, encrypted)) {
      checkSize(frame(i), i, end - start, userTimestamps !== null, encrypted);
    }
    start = end;
  }
  return { count, data: payloads, ends, userTimestamps, frame };
}

function endOffsets(ends: Uint32Array | readonly number[]): Uint32Array {
  if (ends instanceof Uint32Array) return ends;
  if (!Array.isArray(ends)) throw new TypeError('pushFrames: ends must be a Uint32Array or an array of numbers');
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i];
    if (!Number.isInteger(end) || end < 0 || end >= U32_LIMIT) throw new TypeError(`pushFrames: ends[${i}] must be an integer offset`);
  }
  return Uint32Array.from(ends);
}

function timestamps(stamps: BigUint64Array | readonly bigint[] | undefined, count: number): BigUint64Array | null {
  if (stamps === undefined) return null;
  if (stamps.length !== count) throw new RangeError(`pushFrames: ${stamps.length} userTimestamps for ${count} frames`);
  if (stamps instanceof BigUint64Array) return stamps;
  if (!Array.isArray(stamps)) throw new TypeError('pushFrames: userTimestamps must be a BigUint64Array or an array of bigints');
  const out = new BigUint64Array(count);
  for (let i = 0; i < count; i++) {
    const stamp = stamps[i];
    if (typeof stamp !== 'bigint' || stamp < 0n || stamp > U64_MAX) {
      throw new RangeError(`pushFrames: userTimestamps[${i}] must be a bigint in the u64 range`);
    }
    out[i] = stamp;
  }
  return out;
}

function checkSize(frame: DataTrackFrame, index: number, size: number, stamped: boolean, encrypted: boolean): void {
  if (size === 0) {
    throw new DataTrackPushError('emptyFrame', `frame ${index} of the batch has an empty payload`, frame, { index });
  }
  const max = maxFramePayload(stamped, encrypted);
  if (size > max) {
    throw new DataTrackPushError('frameTooLarge', `frame ${index} of the batch has ${size} bytes, more than subscribers reassemble (${max})`, frame, { index });
  }
}

/** The same kind of error, saying which frame. */
function indexed(err: unknown, index: number): unknown {
  if (err instanceof TypeError) return new TypeError(`pushFrames: frame ${index}: ${err.message}`);
  if (err instanceof RangeError) return new RangeError(`pushFrames: frame ${index}: ${err.message}`);
  return err;
}
