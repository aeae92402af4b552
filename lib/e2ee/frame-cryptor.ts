// Whole-frame AES-GCM for data tracks: a frame is encrypted once before packetization, the wire
// payload is ciphertext ‖ 16-byte tag, no AAD, and the key index plus the 12-byte IV travel in
// the packets' E2EE extension. The cipher is the addon's AesGcmKey (ring's AES-GCM, its key
// schedule built once per key; native/node/src/binding/aes_gcm.rs): node:crypto would build a
// cipher object per frame, which cost more than the encryption itself (README, E2EE).

import { native, type AesGcmKey, type E2eeExtension } from '../native/binding';
import { ratchetMaterial } from './key-derivation';
import type { KeyProvider, KeySet } from './key-provider';

export const IV_LENGTH = 12;
export const TAG_LENGTH = 16;

export class E2eeError extends Error {
  override readonly name = 'E2eeError';
}

/** The AES-GCM key for 16 or 32 raw key bytes. */
export function aesGcmKey(raw: Uint8Array): AesGcmKey {
  return new (native().AesGcmKey)(raw);
}

/** Encrypts with explicit key bytes and IV into ciphertext ‖ tag, the wire payload (for test vectors). */
export function aesGcmEncrypt(raw: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  return aesGcmKey(raw).seal(iv, plaintext);
}

/** Decrypts ciphertext ‖ tag with explicit key bytes; null when authentication fails. */
export function aesGcmDecrypt(raw: Uint8Array, iv: Uint8Array, sealed: Uint8Array): Buffer | null {
  return aesGcmKey(raw).open(iv, sealed);
}

export class DataTrackFrameCryptor {
  /** Per key set: the ratchet successors computed so far, shared by all frames that need them. */
  private readonly successors = new WeakMap<KeySet, Array<Promise<KeySet>>>();

  constructor(readonly keyProvider: KeyProvider) {}

  /**
   * @internal What the sender's next frame is sealed with: its current key (the id pushFrame's
   * `sealWith` takes) and that key's index. pushFrame draws the frame's IV itself. Throws
   * E2eeError if there is no key yet.
   */
  nextSeal(identity: string): { sealWith: number; keyIndex: number; keySet: KeySet } {
    const ring = this.keyProvider.ringFor(identity);
    const keyIndex = ring?.currentIndex ?? 0;
    const keySet = ring?.slots[keyIndex];
    if (!keySet) throw new E2eeError(`no encryption key for ${identity} (set one on the KeyProvider before publishing)`);
    if (keyIndex > 255) throw new E2eeError('key index does not fit the E2EE extension (u8)');
    return { sealWith: keySet.aeadId, keyIndex, keySet };
  }

  /** Encrypts a frame on its own (the SDK's sender seals inside pushFrame instead): ciphertext ‖ tag. */
  encrypt(identity: string, plaintext: Uint8Array): { payload: Buffer; e2ee: E2eeExtension } {
    const { keyIndex, keySet } = this.nextSeal(identity);
    // The addon's IV source, shared with sealed pushes: prefix ‖ ms clock ‖ counter.
    const iv = native().nextE2eeIv();
    return { payload: keySet.aead.seal(iv, plaintext), e2ee: { keyIndex, iv } };
  }

  /** Fast path: decrypts with the key the sender named. Null on failure (no key, wrong key, tampering). */
  decrypt(identity: string, sealed: Uint8Array, e2ee: E2eeExtension): Buffer | null {
    const keySet = this.keySetFor(identity, e2ee);
    return keySet ? keySet.aead.open(e2ee.iv, sealed) : null;
  }

  /**
   * @internal `decrypt` for the receive path, in the frame's own bytes: the plaintext is the start
   * of `sealed`, so no buffer is allocated. On failure `sealed` is left as it was, for the ratchet.
   */
  decryptInPlace<T extends Uint8Array>(identity: string, sealed: T, e2ee: E2eeExtension): T | null {
    const keySet = this.keySetFor(identity, e2ee);
    if (!keySet || !keySet.aead.openInPlace(e2ee.iv, sealed)) return null;
    return sealed.subarray(0, sealed.length - TAG_LENGTH) as T;
  }

  private keySetFor(identity: string, e2ee: E2eeExtension): KeySet | undefined {
    const ring = this.keyProvider.ringFor(identity);
    return ring?.slots[ring.slot(e2ee.keyIndex)];
  }

  /** @internal The id of the AesGcmKey that `identity`'s frames at `keyIndex` decrypt with now; 0 if none. */
  keyIdFor(identity: string, keyIndex: number): number {
    const ring = this.keyProvider.ringFor(identity);
    return ring?.slots[ring.slot(keyIndex)]?.aeadId ?? 0;
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
    const direct = base.aead.open(e2ee.iv, sealed);
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
      const plain = candidate.aead.open(e2ee.iv, sealed);
      if (plain) {
        provider.adoptRatcheted(identity, e2ee.keyIndex, base, candidate);
        return plain;
      }
    }
    return null;
  }
}
