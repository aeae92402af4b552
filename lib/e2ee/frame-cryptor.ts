// Whole-frame AES-GCM for data tracks: a frame is encrypted once before packetization, the wire
// payload is ciphertext ‖ 16-byte tag, no AAD, and the key index plus the 12-byte IV travel in
// the packets' E2EE extension. node:crypto does the cipher work; nothing here is hand-rolled.

import * as crypto from 'node:crypto';
import type { E2eeExtension } from '../native/binding';
import { ratchetMaterial } from './key-derivation';
import type { KeyProvider, KeySet } from './key-provider';

export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;

export class E2eeError extends Error {
  override readonly name = 'E2eeError';
}

/** The GCM cipher for a key, from its size. Resolved once per key (see KeySet.cipher), not per frame. */
export function gcmCipherFor(key: crypto.KeyObject): crypto.CipherGCMTypes {
  return key.symmetricKeySize === 32 ? 'aes-256-gcm' : 'aes-128-gcm';
}

const GCM_OPTIONS = { authTagLength: TAG_LENGTH };

/**
 * One AES-GCM encryption, ciphertext and tag apart: the sender hands both to the packetizer, which
 * gathers them into the frame in its one copy (no ciphertext ‖ tag concatenation here).
 */
export function aesGcmSeal(key: crypto.KeyObject, cipherName: crypto.CipherGCMTypes, iv: Uint8Array, plaintext: Uint8Array): { body: Buffer; tag: Buffer } {
  const cipher = crypto.createCipheriv(cipherName, key, iv, GCM_OPTIONS);
  const body = cipher.update(plaintext);
  const tail = cipher.final(); // GCM is a stream mode: nothing is held back, so this is empty
  return { body: tail.length === 0 ? body : Buffer.concat([body, tail]), tag: cipher.getAuthTag() };
}

/** Decrypts ciphertext ‖ tag; null when authentication fails. */
export function aesGcmOpen(key: crypto.KeyObject, cipherName: crypto.CipherGCMTypes, iv: Uint8Array, sealed: Uint8Array): Buffer | null {
  if (sealed.length < TAG_LENGTH || iv.length !== IV_LENGTH) return null;
  const split = sealed.length - TAG_LENGTH;
  try {
    const decipher = crypto.createDecipheriv(cipherName, key, iv, GCM_OPTIONS);
    decipher.setAuthTag(sealed.subarray(split));
    const body = decipher.update(sealed.subarray(0, split));
    const tail = decipher.final();
    return tail.length === 0 ? body : Buffer.concat([body, tail]);
  } catch {
    return null;
  }
}

/** Encrypts with an explicit key and IV into ciphertext ‖ tag, the wire payload (for test vectors). */
export function aesGcmEncrypt(key: crypto.KeyObject, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  const { body, tag } = aesGcmSeal(key, gcmCipherFor(key), iv, plaintext);
  return Buffer.concat([body, tag]);
}

/** Decrypts ciphertext ‖ tag with an explicit key; null when authentication fails. */
export function aesGcmDecrypt(key: crypto.KeyObject, iv: Uint8Array, sealed: Uint8Array): Buffer | null {
  return aesGcmOpen(key, gcmCipherFor(key), iv, sealed);
}

/**
 * IVs: a random 32-bit prefix per cryptor, the wall clock in ms (u32), and a per-cryptor counter,
 * all big-endian. The counter makes IVs unique within a process for 2^32 frames per millisecond
 * tick; the prefix and the clock separate processes and restarts that share a key.
 */
/** @internal */
export class IvSource {
  private prefix = crypto.randomBytes(4).readUInt32BE(0);
  private counter = 0;

  next(): Buffer {
    const iv = Buffer.allocUnsafe(IV_LENGTH);
    iv.writeUInt32BE(this.prefix, 0);
    iv.writeUInt32BE(Date.now() % 0x1_0000_0000, 4);
    iv.writeUInt32BE(this.counter, 8);
    this.counter = (this.counter + 1) >>> 0;
    if (this.counter === 0) this.prefix = crypto.randomBytes(4).readUInt32BE(0);
    return iv;
  }
}

export class DataTrackFrameCryptor {
  private readonly ivs = new IvSource();
  /** Per key set: the ratchet successors computed so far, shared by all frames that need them. */
  private readonly successors = new WeakMap<KeySet, Array<Promise<KeySet>>>();

  constructor(readonly keyProvider: KeyProvider) {}

  /**
   * Encrypts a frame with the sender's current key: the wire payload is `body ‖ tag` (the
   * packetizer joins them). Throws E2eeError if there is no key yet.
   */
  seal(identity: string, plaintext: Uint8Array): { body: Buffer; tag: Buffer; e2ee: E2eeExtension } {
    const ring = this.keyProvider.ringFor(identity);
    const keyIndex = ring?.currentIndex ?? 0;
    const keySet = ring?.slots[keyIndex];
    if (!keySet) throw new E2eeError(`no encryption key for ${identity} (set one on the KeyProvider before publishing)`);
    if (keyIndex > 255) throw new E2eeError('key index does not fit the E2EE extension (u8)');
    const iv = this.ivs.next();
    const { body, tag } = aesGcmSeal(keySet.key, keySet.cipher, iv, plaintext);
    return { body, tag, e2ee: { keyIndex, iv } };
  }

  /** `seal` with the wire payload joined: ciphertext ‖ tag. */
  encrypt(identity: string, plaintext: Uint8Array): { payload: Buffer; e2ee: E2eeExtension } {
    const { body, tag, e2ee } = this.seal(identity, plaintext);
    return { payload: Buffer.concat([body, tag]), e2ee };
  }

  /** Fast path: decrypts with the key the sender named. Null on failure (no key, wrong key, tampering). */
  decrypt(identity: string, sealed: Uint8Array, e2ee: E2eeExtension): Buffer | null {
    const ring = this.keyProvider.ringFor(identity);
    if (!ring) return null;
    const keySet = ring.slots[ring.slot(e2ee.keyIndex)];
    if (!keySet) return null;
    return aesGcmOpen(keySet.key, keySet.cipher, e2ee.iv, sealed);
  }

  /** True if a failed frame may still decrypt after following the sender's ratchet. */
  canRatchet(identity: string, e2ee: E2eeExtension): boolean {
    if (this.keyProvider.ratchetWindowSize === 0) return false;
    const ring = this.keyProvider.ringFor(identity);
    return !!ring?.slots[ring.slot(e2ee.keyIndex)];
  }

  /**
   * Slow path after a failed decrypt: tries up to `ratchetWindowSize` ratchet steps of the key at
   * the frame's index. On success the ratcheted key replaces the old one, so later frames take the
   * fast path again.
   */
  async decryptWithRatchet(identity: string, sealed: Uint8Array, e2ee: E2eeExtension): Promise<Buffer | null> {
    const provider = this.keyProvider;
    const ring = provider.ringFor(identity);
    if (!ring) return null;
    const base = ring.slots[ring.slot(e2ee.keyIndex)];
    if (!base) return null;
    // Another frame may have adopted a newer key while this one waited.
    const direct = aesGcmOpen(base.key, base.cipher, e2ee.iv, sealed);
    if (direct) return direct;
    let chain = this.successors.get(base);
    if (!chain) {
      chain = [];
      this.successors.set(base, chain);
    }
    for (let step = 0; step < provider.ratchetWindowSize; step++) {
      if (chain.length === step) {
        const prev = step === 0 ? Promise.resolve(base) : chain[step - 1];
        chain.push(prev.then(async (k) => provider.keySetFrom(await ratchetMaterial(k.material, provider.ratchetSalt))));
      }
      let candidate: KeySet;
      try {
        candidate = await chain[step];
      } catch {
        return null;
      }
      const plain = aesGcmOpen(candidate.key, candidate.cipher, e2ee.iv, sealed);
      if (plain) {
        provider.adoptRatcheted(identity, e2ee.keyIndex, base, candidate);
        return plain;
      }
    }
    return null;
  }
}
