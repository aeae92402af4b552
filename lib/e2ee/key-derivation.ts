// Key derivation compatible with LiveKit's key providers (livekit-client and the native frame
// cryptor used by the Rust SDK), so one passphrase or key works across SDKs:
//  - key material is either PBKDF2 input (passphrases; the native SDKs treat every key this way)
//    or HKDF input (random raw keys in livekit-client's ExternalE2EEKeyProvider);
//  - the AES-GCM key = KDF(material, salt = ratchet salt), 128 bits by default;
//  - ratcheting = KDF(material, salt) to 256 bits, which becomes the next material (same KDF).
// PBKDF2 uses SHA-256 and 100,000 iterations; HKDF uses SHA-256 with an info of 128 zero bytes.

import * as crypto from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2 = promisify(crypto.pbkdf2);

export const PBKDF2_ITERATIONS = 100_000;
export const DEFAULT_RATCHET_SALT = 'LKFrameEncryptionKey';
const HKDF_INFO = new Uint8Array(128);
const RATCHET_BITS = 256;

export type KeyDerivationFunction = 'pbkdf2' | 'hkdf';

export interface KeyMaterial {
  readonly kdf: KeyDerivationFunction;
  readonly bytes: Uint8Array;
}

export type KeySizeBits = 128 | 256;

async function derive(material: KeyMaterial, salt: Uint8Array, lengthBytes: number): Promise<Buffer> {
  if (material.kdf === 'pbkdf2') {
    // Off the event loop: 100k iterations take tens of milliseconds.
    return pbkdf2(material.bytes, salt, PBKDF2_ITERATIONS, lengthBytes, 'sha256');
  }
  return new Promise((resolve, reject) =>
    crypto.hkdf('sha256', material.bytes, salt, HKDF_INFO, lengthBytes, (err, key) =>
      err ? reject(err) : resolve(Buffer.from(key)),
    ),
  );
}

export function toSaltBytes(salt: string | Uint8Array): Uint8Array {
  return typeof salt === 'string' ? new TextEncoder().encode(salt) : salt;
}

/** Material from a user key: strings are passphrases (UTF-8, PBKDF2); bytes use `rawKdf`. */
export function keyMaterial(key: string | Uint8Array, rawKdf: KeyDerivationFunction = 'hkdf'): KeyMaterial {
  if (typeof key === 'string') return { kdf: 'pbkdf2', bytes: new TextEncoder().encode(key) };
  if (!(key instanceof Uint8Array)) throw new TypeError('a key must be a string or a Uint8Array');
  if (key.length === 0) throw new RangeError('a key must not be empty');
  return { kdf: rawKdf, bytes: Uint8Array.from(key) };
}

/** The AES-GCM key bytes for a piece of material. */
export function deriveEncryptionKey(
  material: KeyMaterial,
  salt: string | Uint8Array = DEFAULT_RATCHET_SALT,
  keySizeBits: KeySizeBits = 128,
): Promise<Buffer> {
  return derive(material, toSaltBytes(salt), keySizeBits / 8);
}

/** One ratchet step: the next material, whose bytes are the exportable "chain key". */
export async function ratchetMaterial(
  material: KeyMaterial,
  salt: string | Uint8Array = DEFAULT_RATCHET_SALT,
): Promise<KeyMaterial> {
  const bytes = await derive(material, toSaltBytes(salt), RATCHET_BITS / 8);
  return { kdf: material.kdf, bytes: new Uint8Array(bytes) };
}
