// Shared helpers for the native binding tests: hex, the DTP vectors file and its value shapes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { types } from 'node:util';
import type { E2eeExtension, FrameMarker, NativeError, PacketHeader } from '../../lib/native/binding';

export const CODEC_CODES = [
  'TooShort',
  'UnsupportedVersion',
  'InvalidHandle',
  'MissingExtWords',
  'HeaderOverrun',
  'MalformedExt',
] as const;

export function hex(s: string): Buffer {
  return Buffer.from(s, 'hex');
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

/**
 * True for an Error from any realm: the addon creates its errors in Node's main context, while
 * Jest runs tests in a separate vm context, so `instanceof Error` would be false.
 */
export function isError(e: unknown): e is Error {
  return types.isNativeError(e);
}

/** Runs `fn`, expecting it to throw an Error with `code`; returns the error. */
export function expectCode(fn: () => unknown, code: string): NativeError {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  if (!isError(thrown)) throw new Error(`expected an Error with code ${code}, got ${String(thrown)}`);
  const err = thrown as NativeError;
  if (err.code !== code) throw new Error(`expected code ${code}, got ${String(err.code)}: ${err.message}`);
  return err;
}

// ---- vectors (native/core/tests/vectors/dtp.json: the repository's copy of shared/vectors/dtp.json) ----

export interface VectorHeader {
  marker: FrameMarker;
  handle: number;
  sequence: number;
  frameNumber: number;
  timestamp: number;
  e2ee: { keyIndex: number; iv: string } | null;
  userTimestamp: string | null;
}

export interface PayloadSpec {
  payload?: string;
  payloadRepeat?: { byte: string; count: number };
}

export interface Vectors {
  encode: Array<{ name: string; header: VectorHeader; bytes: string } & PayloadSpec>;
  decode: Array<{ name: string; bytes: string; header: VectorHeader; payload: string }>;
  invalid: Array<{ name: string; bytes: string; error: string; extTag: number | null }>;
  forward: Array<{ name: string; bytes: string; newHandle: number; out: string }>;
  depacketize: Array<{
    name: string;
    maxPartialFrames: number;
    packets: Array<{ marker: FrameMarker; sequence: number; frameNumber: number; payload: string }>;
    frames: string[];
    drops: Array<{ reason: string; frameNumber: number }>;
  }>;
  packetize: Array<{
    name: string;
    mtu: number;
    handle: number;
    payloadLength: number;
    payloadByte: string;
    e2ee: boolean;
    userTimestamp: boolean;
    precedingFrames?: Array<{ payloadLength: number; count: number }>;
    error?: string;
    packets: Array<{ marker: FrameMarker; sequence: number; frameNumber: number; payloadLength: number }>;
  }>;
  rustReferenceOnly: {
    decode: Vectors['decode'];
    invalid: Vectors['invalid'];
  };
}

export function loadVectors(): Vectors {
  const file = path.resolve(__dirname, '../../native/core/tests/vectors/dtp.json');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Vectors;
}

export function payloadOf(spec: PayloadSpec): Buffer {
  if (spec.payloadRepeat) return Buffer.alloc(spec.payloadRepeat.count, parseInt(spec.payloadRepeat.byte, 16));
  return hex(spec.payload ?? '');
}

export function toHeader(h: VectorHeader): PacketHeader {
  const e2ee: E2eeExtension | null = h.e2ee ? { keyIndex: h.e2ee.keyIndex, iv: hex(h.e2ee.iv) } : null;
  return {
    marker: h.marker,
    handle: h.handle,
    sequence: h.sequence,
    frameNumber: h.frameNumber,
    timestamp: h.timestamp,
    e2ee,
    userTimestamp: h.userTimestamp === null ? null : BigInt(h.userTimestamp),
  };
}

/** A header in plain comparable form (Buffers as hex). */
export function plainHeader(h: PacketHeader): Record<string, unknown> {
  return { ...h, e2ee: h.e2ee ? { keyIndex: h.e2ee.keyIndex, iv: toHex(h.e2ee.iv) } : null };
}

// Under Jest, globals such as `Math` are looked up through the vm context's interceptor on every
// access; hot code uses a module constant instead.
const imul = Math.imul;

/** Small seeded PRNG (splitmix32). */
export function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}
