// Keys for data-track E2EE, organised like LiveKit's key providers: one key ring per participant
// (or one shared ring for everybody), each ring a fixed number of slots addressed by the key index
// that travels in every encrypted packet, plus a "current" index used when encrypting.

import { EventEmitter } from 'node:events';
import {
  DEFAULT_RATCHET_SALT,
  type KeyDerivationFunction,
  type KeyMaterial,
  type KeySizeBits,
  deriveEncryptionKey,
  keyMaterial,
  ratchetMaterial,
} from './key-derivation';
import { aesGcmKey } from './frame-cryptor';
import type { AesGcmKey } from '../native/binding';

export interface KeyProviderOptions {
  /**
   * Salt for key derivation and ratcheting. Must match the other clients.
   * @default 'LKFrameEncryptionKey'
   */
  ratchetSalt?: string | Uint8Array;
  /**
   * How many ratchet steps a receiver tries when a frame does not decrypt with the key it has,
   * to follow a sender that ratcheted. 0 turns automatic ratcheting off.
   * @default 8
   */
  ratchetWindowSize?: number;
  /** Slots per key ring; key indexes wrap modulo this. 1..256. @default 16 */
  keyringSize?: number;
  /** AES key size. @default 128 */
  keySize?: KeySizeBits;
  /**
   * How a `Uint8Array` key becomes key material. livekit-client's ExternalE2EEKeyProvider runs
   * HKDF on binary keys ('hkdf'); the native SDKs (Rust, Swift, Android) run PBKDF2 on any key
   * bytes ('pbkdf2'). Strings are passphrases and always use PBKDF2, which every SDK agrees on.
   * @default 'hkdf'
   */
  rawKeyDerivation?: KeyDerivationFunction;
}

/**
 * @internal A usable key: the AES key, its GCM cipher name, and the material it came from (needed
 * to ratchet). Everything a frame needs is resolved here, when the key is set.
 */
export interface KeySet {
  readonly material: KeyMaterial;
  /** The derived key, its AES key schedule built once here rather than per frame. */
  readonly aead: AesGcmKey;
  /** `aead.id`, read once: what pushFrame's `sealWith` takes. */
  readonly aeadId: number;
}

/** @internal */
export class KeyRing {
  readonly slots: Array<KeySet | undefined>;
  currentIndex = 0;
  /** Per slot: bumped by every set, so a slow derivation cannot overwrite a newer key. */
  readonly writes: number[];

  constructor(size: number) {
    this.slots = new Array(size).fill(undefined);
    this.writes = new Array(size).fill(0);
  }

  slot(index: number): number {
    return ((index % this.slots.length) + this.slots.length) % this.slots.length;
  }
}

export interface KeyProviderEvents {
  /** A key was installed (identity undefined for the shared ring). */
  keySet: [identity: string | undefined, keyIndex: number];
  /** A key was ratcheted, by request or because a receiver followed a ratcheted sender. */
  keyRatcheted: [identity: string | undefined, keyIndex: number, chainKey: Uint8Array];
}

export class KeyProvider extends EventEmitter<KeyProviderEvents> {
  readonly ratchetSalt: Uint8Array;
  readonly ratchetWindowSize: number;
  readonly keyringSize: number;
  readonly keySize: KeySizeBits;
  readonly rawKeyDerivation: KeyDerivationFunction;

  private shared: KeyRing | undefined;
  private readonly rings = new Map<string, KeyRing>();

  constructor(options: KeyProviderOptions = {}) {
    super();
    const salt = options.ratchetSalt ?? DEFAULT_RATCHET_SALT;
    this.ratchetSalt = typeof salt === 'string' ? new TextEncoder().encode(salt) : Uint8Array.from(salt);
    this.ratchetWindowSize = Math.max(0, Math.floor(options.ratchetWindowSize ?? 8));
    this.keyringSize = options.keyringSize ?? 16;
    if (!Number.isInteger(this.keyringSize) || this.keyringSize < 1 || this.keyringSize > 256) {
      throw new RangeError('keyringSize must be an integer in 1..256');
    }
    this.keySize = options.keySize ?? 128;
    if (this.keySize !== 128 && this.keySize !== 256) throw new RangeError('keySize must be 128 or 256');
    this.rawKeyDerivation = options.rawKeyDerivation ?? 'hkdf';
  }

  /** Sets the key everybody uses unless they have a key of their own; makes `keyIndex` current. */
  async setSharedKey(key: string | Uint8Array, keyIndex = 0): Promise<void> {
    this.shared ??= new KeyRing(this.keyringSize);
    await this.install(this.shared, undefined, keyMaterial(key, this.rawKeyDerivation), keyIndex, true);
  }

  /** Sets `identity`'s key at `keyIndex` and makes that index current for it. */
  async setKey(identity: string, key: string | Uint8Array, keyIndex = 0): Promise<void> {
    if (typeof identity !== 'string' || identity.length === 0) throw new TypeError('identity must be a non-empty string');
    let ring = this.rings.get(identity);
    if (!ring) {
      ring = new KeyRing(this.keyringSize);
      this.rings.set(identity, ring);
    }
    await this.install(ring, identity, keyMaterial(key, this.rawKeyDerivation), keyIndex, true);
  }

  /**
   * Advances the key at `keyIndex` (default: the current index) of `identity`'s ring (default:
   * the shared ring) one ratchet step, and returns the new chain key. Senders and receivers that
   * ratchet the same key in step stay compatible; receivers also follow automatically within
   * `ratchetWindowSize` steps.
   */
  async ratchetKey(identity?: string, keyIndex?: number): Promise<Uint8Array> {
    const ring = identity === undefined ? this.shared : this.rings.get(identity);
    if (!ring) throw new Error(`no key ring for ${identity === undefined ? 'the shared key' : identity}`);
    const slot = ring.slot(keyIndex ?? ring.currentIndex);
    const current = ring.slots[slot];
    if (!current) throw new Error(`no key at index ${slot}`);
    const next = await ratchetMaterial(current.material, this.ratchetSalt);
    await this.install(ring, identity, next, slot, false);
    this.emit('keyRatcheted', identity, slot, next.bytes);
    return next.bytes;
  }

  /** The index used to encrypt (for `identity`'s ring, or the shared ring). */
  getCurrentKeyIndex(identity?: string): number {
    const ring = identity === undefined ? this.shared : (this.rings.get(identity) ?? this.shared);
    return ring?.currentIndex ?? 0;
  }

  /** Switches the index used to encrypt, e.g. after distributing a key at a new index. */
  setCurrentKeyIndex(keyIndex: number, identity?: string): void {
    const ring = identity === undefined ? this.shared : this.rings.get(identity);
    if (!ring) throw new Error(`no key ring for ${identity === undefined ? 'the shared key' : identity}`);
    ring.currentIndex = ring.slot(keyIndex);
  }

  /** True if frames from/to `identity` can be encrypted or decrypted with some key. */
  hasKey(identity?: string): boolean {
    const ring = this.ringFor(identity);
    return !!ring && ring.slots[ring.currentIndex] !== undefined;
  }

  /** Forgets `identity`'s own keys (it falls back to the shared key, if any). */
  removeKeys(identity: string): void {
    for (const keySet of this.rings.get(identity)?.slots ?? []) keySet?.aead.retire();
    this.rings.delete(identity);
  }

  /** @internal The ring that applies to `identity`: its own, else the shared one. */
  ringFor(identity: string | undefined): KeyRing | undefined {
    return (identity !== undefined ? this.rings.get(identity) : undefined) ?? this.shared;
  }

  /** @internal Derives the AES key for material (used by the receiver's ratchet window). */
  async keySetFrom(material: KeyMaterial): Promise<KeySet> {
    const raw = await deriveEncryptionKey(material, this.ratchetSalt, this.keySize);
    const aead = aesGcmKey(raw);
    return { material, aead, aeadId: aead.id };
  }

  /**
   * @internal A receiver found that `expected`'s successor decrypts: adopt it, unless the slot
   * changed meanwhile (a newer key set by the application wins over a guess).
   */
  adoptRatcheted(identity: string | undefined, keyIndex: number, expected: KeySet, next: KeySet): boolean {
    const ring = this.ringFor(identity);
    if (!ring) return false;
    const slot = ring.slot(keyIndex);
    if (ring.slots[slot] !== expected) return false;
    replace(ring, slot, next);
    ring.writes[slot]++;
    this.emit('keyRatcheted', ring === this.shared ? undefined : identity, slot, next.material.bytes);
    return true;
  }

  private async install(
    ring: KeyRing,
    identity: string | undefined,
    material: KeyMaterial,
    keyIndex: number,
    makeCurrent: boolean,
  ): Promise<void> {
    if (!Number.isInteger(keyIndex) || keyIndex < 0) throw new RangeError('keyIndex must be a non-negative integer');
    const slot = ring.slot(keyIndex);
    const write = ++ring.writes[slot];
    const keySet = await this.keySetFrom(material);
    // Two sets on one slot race through the KDF; the one called last must win.
    if (ring.writes[slot] !== write) return;
    replace(ring, slot, keySet);
    if (makeCurrent) ring.currentIndex = slot;
    this.emit('keySet', identity, slot);
  }
}

/**
 * Puts `keySet` in the slot and retires the key it replaces: a subscriber's addon opens frames
 * with the key that opened the track's last one (Subscriber.setOpenKey), by id, until that id
 * names no key; the frames after a change then go through the ring again.
 */
function replace(ring: KeyRing, slot: number, keySet: KeySet): void {
  const old = ring.slots[slot];
  ring.slots[slot] = keySet;
  if (old !== undefined && old !== keySet) old.aead.retire();
}

/** Room option: `new Room({ encryption: { keyProvider } })`. */
export interface E2EEOptions {
  keyProvider: KeyProvider;
}
