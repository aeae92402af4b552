// Reference derivations through WebCrypto, following the steps livekit-client takes in the
// browser (import key material, derive an AES-GCM key or 256 ratchet bits with the ratchet salt).
// Tests compare lib/e2ee against these.

const subtle = globalThis.crypto.subtle;
const enc = new TextEncoder();

type Kdf = 'PBKDF2' | 'HKDF';

function params(kdf: Kdf, salt: string) {
  return kdf === 'PBKDF2'
    ? { name: 'PBKDF2', salt: enc.encode(salt), hash: 'SHA-256', iterations: 100000 }
    : { name: 'HKDF', salt: enc.encode(salt), hash: 'SHA-256', info: new ArrayBuffer(128) };
}

async function material(kdf: Kdf, bytes: Uint8Array): Promise<CryptoKey> {
  return subtle.importKey('raw', new Uint8Array(bytes), kdf, false, ['deriveBits', 'deriveKey']);
}

/** The AES key bytes livekit-client would derive from this material. */
export async function referenceKey(kdf: Kdf, bytes: Uint8Array, salt = 'LKFrameEncryptionKey', bits = 128) {
  const key = await subtle.deriveKey(params(kdf, salt), await material(kdf, bytes), { name: 'AES-GCM', length: bits }, true, [
    'encrypt',
    'decrypt',
  ]);
  return new Uint8Array(await subtle.exportKey('raw', key));
}

/** livekit-client's ratchet: 256 bits derived from the material, which become the next material. */
export async function referenceRatchet(kdf: Kdf, bytes: Uint8Array, salt = 'LKFrameEncryptionKey') {
  return new Uint8Array(await subtle.deriveBits(params(kdf, salt), await material(kdf, bytes), 256));
}

export async function referenceEncrypt(keyBytes: Uint8Array, iv: Uint8Array, plaintext: Uint8Array) {
  const key = await subtle.importKey('raw', new Uint8Array(keyBytes), { name: 'AES-GCM' }, false, ['encrypt']);
  return new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: new Uint8Array(iv) }, key, new Uint8Array(plaintext)));
}

export async function referenceDecrypt(keyBytes: Uint8Array, iv: Uint8Array, sealed: Uint8Array) {
  const key = await subtle.importKey('raw', new Uint8Array(keyBytes), { name: 'AES-GCM' }, false, ['decrypt']);
  return new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: new Uint8Array(iv) }, key, new Uint8Array(sealed)));
}
