import * as crypto from 'node:crypto';
import { deriveEncryptionKey, keyMaterial, ratchetMaterial } from '../../lib/e2ee/key-derivation';
import { aesGcmDecrypt, aesGcmEncrypt, aesGcmKey } from '../../lib/e2ee/frame-cryptor';
import { referenceDecrypt, referenceEncrypt, referenceKey, referenceRatchet } from './webcrypto-reference';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('key derivation matches livekit-client (WebCrypto)', () => {
  test('passphrase → PBKDF2-SHA256, 100k iterations, default salt', async () => {
    const pass = 'correct horse battery staple';
    const mine = await deriveEncryptionKey(keyMaterial(pass));
    const ref = await referenceKey('PBKDF2', new TextEncoder().encode(pass));
    expect(hex(mine)).toBe(hex(ref));
    // Pinned once from WebCrypto so a change in either side shows up.
    expect(hex(mine)).toBe('dee9745ab873685c2579655a7296d1a4');
  });

  test('raw key → HKDF-SHA256 with the ratchet salt and 128 zero bytes of info', async () => {
    const raw = crypto.randomBytes(32);
    const mine = await deriveEncryptionKey(keyMaterial(raw, 'hkdf'));
    expect(hex(mine)).toBe(hex(await referenceKey('HKDF', raw)));
  });

  test('raw key with PBKDF2 (the native SDKs treat key bytes as a password)', async () => {
    const raw = crypto.randomBytes(16);
    const mine = await deriveEncryptionKey(keyMaterial(raw, 'pbkdf2'));
    expect(hex(mine)).toBe(hex(await referenceKey('PBKDF2', raw)));
  });

  test('custom salt and 256-bit keys', async () => {
    const pass = 'x';
    const mine = await deriveEncryptionKey(keyMaterial(pass), 'my-salt', 256);
    expect(mine.length).toBe(32);
    expect(hex(mine)).toBe(hex(await referenceKey('PBKDF2', new TextEncoder().encode(pass), 'my-salt', 256)));
  });

  test.each(['PBKDF2', 'HKDF'] as const)('ratchet (%s): two steps match', async (kdf) => {
    const start = kdf === 'PBKDF2' ? new TextEncoder().encode('ratchet me') : crypto.randomBytes(32);
    let mine = keyMaterial(kdf === 'PBKDF2' ? 'ratchet me' : start, 'hkdf');
    let ref: Uint8Array = start;
    for (let i = 0; i < 2; i++) {
      mine = await ratchetMaterial(mine);
      ref = await referenceRatchet(kdf, ref);
      expect(hex(mine.bytes)).toBe(hex(ref));
      expect(hex(await deriveEncryptionKey(mine))).toBe(hex(await referenceKey(kdf, ref)));
    }
  });
});

describe('AES-GCM', () => {
  const keyBytes = Uint8Array.from({ length: 16 }, (_, i) => i);
  const iv = Uint8Array.from({ length: 12 }, (_, i) => 0x10 + i);
  const plaintext = new TextEncoder().encode('LiveKit data track E2EE');
  // AES-128-GCM, no AAD, 16-byte tag appended; computed once with WebCrypto.
  const pinned =
    '884775ca4426c2cf73bc2994e753995f59d754c204b12edc30ecf6df8e8178c6a37f72ee7bc293';

  test('fixed key + IV vector', () => {
    const sealed = aesGcmEncrypt(keyBytes, iv, plaintext);
    expect(hex(sealed)).toBe(pinned);
    expect(sealed.length).toBe(plaintext.length + 16);
  });

  test('agrees with WebCrypto both ways', async () => {
    const key = keyBytes;
    const data = crypto.randomBytes(196_608);
    const mine = aesGcmEncrypt(key, iv, data);
    expect(hex(await referenceDecrypt(keyBytes, iv, mine))).toBe(hex(data));
    const theirs = await referenceEncrypt(keyBytes, iv, data);
    expect(aesGcmDecrypt(key, iv, theirs)?.equals(data)).toBe(true);
  });

  test('wrong key, wrong IV and tampering fail', () => {
    const key = keyBytes;
    const sealed = aesGcmEncrypt(key, iv, plaintext);
    const other = crypto.randomBytes(16);
    expect(aesGcmDecrypt(other, iv, sealed)).toBeNull();
    expect(aesGcmDecrypt(key, crypto.randomBytes(12), sealed)).toBeNull();
    const bent = Buffer.from(sealed);
    bent[3] ^= 1;
    expect(aesGcmDecrypt(key, iv, bent)).toBeNull();
    expect(aesGcmDecrypt(key, iv, sealed.subarray(0, 10))).toBeNull();
  });

  test('256-bit keys agree with WebCrypto both ways, across sizes', async () => {
    const key32 = crypto.randomBytes(32);
    for (const size of [1, 15, 16, 17, 1024, 65_537]) {
      const data = crypto.randomBytes(size);
      expect(hex(await referenceDecrypt(key32, iv, aesGcmEncrypt(key32, iv, data)))).toBe(hex(data));
      expect(aesGcmDecrypt(key32, iv, await referenceEncrypt(key32, iv, data))?.equals(data)).toBe(true);
    }
  });

  test('a failed open leaves the sealed bytes as they were (the ratchet tries them again)', () => {
    const sealed = aesGcmEncrypt(keyBytes, iv, crypto.randomBytes(4096));
    const before = Buffer.from(sealed);
    expect(aesGcmDecrypt(crypto.randomBytes(16), iv, sealed)).toBeNull();
    expect(sealed.equals(before)).toBe(true);
    expect(aesGcmDecrypt(keyBytes, iv, sealed)).not.toBeNull();
  });

  test('bad keys, IVs and arguments: typed errors when sealing, null when opening', () => {
    expect(() => aesGcmKey(new Uint8Array(24))).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(() => aesGcmKey('key' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    const key = aesGcmKey(keyBytes);
    expect(() => key.seal(new Uint8Array(8), plaintext)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(() => key.seal(iv, 42 as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'InvalidArgument' }));
    expect(key.open(new Uint8Array(16), key.seal(iv, plaintext))).toBeNull();
    expect(key.open(iv, new Uint8Array(0))).toBeNull();
  });

  test('empty plaintext is just the tag', () => {
    const key = keyBytes;
    const sealed = aesGcmEncrypt(key, iv, new Uint8Array(0));
    expect(sealed.length).toBe(16);
    expect(aesGcmDecrypt(key, iv, sealed)?.length).toBe(0);
  });
});
