import * as crypto from 'node:crypto';
import { DataTrackFrameCryptor, E2eeError } from '../../lib/e2ee/frame-cryptor';
import { KeyProvider } from '../../lib/e2ee/key-provider';

const payload = () => crypto.randomBytes(1024);

describe('KeyProvider + DataTrackFrameCryptor', () => {
  test('shared passphrase: round trip between two providers', async () => {
    const a = new KeyProvider();
    const b = new KeyProvider();
    await a.setSharedKey('s3cret');
    await b.setSharedKey('s3cret');
    const tx = new DataTrackFrameCryptor(a);
    const rx = new DataTrackFrameCryptor(b);
    const data = payload();
    const { payload: sealed, e2ee } = tx.encrypt('alice', data);
    expect(e2ee.iv.length).toBe(12);
    expect(e2ee.keyIndex).toBe(0);
    expect(sealed.length).toBe(data.length + 16);
    expect(Buffer.compare(sealed.subarray(0, data.length), data)).not.toBe(0);
    expect(rx.decrypt('alice', sealed, e2ee)?.equals(data)).toBe(true);
  });

  test('IVs are unique per frame', async () => {
    const a = new KeyProvider();
    await a.setSharedKey('k');
    const tx = new DataTrackFrameCryptor(a);
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) seen.add(Buffer.from(tx.encrypt('me', payload()).e2ee.iv).toString('hex'));
    expect(seen.size).toBe(1000);
  });

  test('wrong key fails, without and with a ratchet window', async () => {
    const a = new KeyProvider();
    const b = new KeyProvider({ ratchetWindowSize: 2 });
    await a.setSharedKey('right');
    await b.setSharedKey('wrong');
    const { payload: sealed, e2ee } = new DataTrackFrameCryptor(a).encrypt('alice', payload());
    const rx = new DataTrackFrameCryptor(b);
    expect(rx.decrypt('alice', sealed, e2ee)).toBeNull();
    expect(await rx.decryptWithRatchet('alice', sealed, e2ee)).toBeNull();
  });

  test('no key: encrypt throws, decrypt fails', () => {
    const p = new KeyProvider();
    const c = new DataTrackFrameCryptor(p);
    expect(() => c.encrypt('me', payload())).toThrow(E2eeError);
    expect(c.decrypt('x', Buffer.alloc(40), { keyIndex: 0, iv: Buffer.alloc(12) })).toBeNull();
  });

  test('per-participant keys take precedence over the shared key; key index selects the slot', async () => {
    const pub = new KeyProvider();
    await pub.setKey('alice', 'alice-key-0', 0);
    await pub.setKey('alice', 'alice-key-3', 3);
    expect(pub.getCurrentKeyIndex('alice')).toBe(3);
    const sub = new KeyProvider();
    await sub.setSharedKey('shared');
    await sub.setKey('alice', 'alice-key-0', 0);
    await sub.setKey('alice', 'alice-key-3', 3);
    const tx = new DataTrackFrameCryptor(pub);
    const rx = new DataTrackFrameCryptor(sub);
    const data = payload();
    const f3 = tx.encrypt('alice', data);
    expect(f3.e2ee.keyIndex).toBe(3);
    expect(rx.decrypt('alice', f3.payload, f3.e2ee)?.equals(data)).toBe(true);
    pub.setCurrentKeyIndex(0, 'alice');
    const f0 = tx.encrypt('alice', data);
    expect(f0.e2ee.keyIndex).toBe(0);
    expect(rx.decrypt('alice', f0.payload, f0.e2ee)?.equals(data)).toBe(true);
    // 'bob' has no key of his own: the shared ring applies.
    expect(rx.decrypt('bob', f0.payload, f0.e2ee)).toBeNull();
  });

  test('raw binary keys: hkdf by default, pbkdf2 on request, and the two differ', async () => {
    const raw = crypto.randomBytes(32);
    const h1 = new KeyProvider();
    const h2 = new KeyProvider();
    const p = new KeyProvider({ rawKeyDerivation: 'pbkdf2' });
    await Promise.all([h1.setSharedKey(raw), h2.setSharedKey(raw), p.setSharedKey(raw)]);
    const f = new DataTrackFrameCryptor(h1).encrypt('a', payload());
    expect(new DataTrackFrameCryptor(h2).decrypt('a', f.payload, f.e2ee)).not.toBeNull();
    expect(new DataTrackFrameCryptor(p).decrypt('a', f.payload, f.e2ee)).toBeNull();
  });

  test('explicit ratchet on both sides keeps frames decrypting', async () => {
    const a = new KeyProvider();
    const b = new KeyProvider();
    await a.setSharedKey('k');
    await b.setSharedKey('k');
    const ca = await a.ratchetKey();
    const cb = await b.ratchetKey();
    expect(Buffer.from(ca).equals(Buffer.from(cb))).toBe(true);
    const f = new DataTrackFrameCryptor(a).encrypt('x', payload());
    expect(new DataTrackFrameCryptor(b).decrypt('x', f.payload, f.e2ee)).not.toBeNull();
  });

  test('receiver follows a sender that ratcheted, within the window, and adopts the key', async () => {
    const a = new KeyProvider();
    const b = new KeyProvider({ ratchetWindowSize: 3 });
    await a.setKey('alice', 'k');
    await b.setKey('alice', 'k');
    await a.ratchetKey('alice');
    await a.ratchetKey('alice');
    const tx = new DataTrackFrameCryptor(a);
    const rx = new DataTrackFrameCryptor(b);
    const data = payload();
    const f = tx.encrypt('alice', data);
    expect(rx.decrypt('alice', f.payload, f.e2ee)).toBeNull();
    const ratcheted = jest.fn();
    b.on('keyRatcheted', ratcheted);
    const [p1, p2] = await Promise.all([
      rx.decryptWithRatchet('alice', f.payload, f.e2ee),
      rx.decryptWithRatchet('alice', f.payload, f.e2ee),
    ]);
    expect(p1?.equals(data)).toBe(true);
    expect(p2?.equals(data)).toBe(true);
    expect(ratcheted).toHaveBeenCalledTimes(1);
    // Adopted: the next frame takes the fast path.
    const g = tx.encrypt('alice', data);
    expect(rx.decrypt('alice', g.payload, g.e2ee)?.equals(data)).toBe(true);
  });

  test('beyond the window the frame stays undecryptable', async () => {
    const a = new KeyProvider();
    const b = new KeyProvider({ ratchetWindowSize: 1 });
    await a.setSharedKey('k');
    await b.setSharedKey('k');
    await a.ratchetKey();
    await a.ratchetKey();
    const f = new DataTrackFrameCryptor(a).encrypt('x', payload());
    expect(await new DataTrackFrameCryptor(b).decryptWithRatchet('x', f.payload, f.e2ee)).toBeNull();
  });

  test('the key set last wins even if an earlier derivation finishes later', async () => {
    const p = new KeyProvider();
    const first = p.setSharedKey('first');
    const second = p.setSharedKey('second');
    await Promise.all([first, second]);
    const ref = new KeyProvider();
    await ref.setSharedKey('second');
    const f = new DataTrackFrameCryptor(p).encrypt('x', payload());
    expect(new DataTrackFrameCryptor(ref).decrypt('x', f.payload, f.e2ee)).not.toBeNull();
  });

  test('options are validated', () => {
    expect(() => new KeyProvider({ keyringSize: 0 })).toThrow(RangeError);
    expect(() => new KeyProvider({ keyringSize: 257 })).toThrow(RangeError);
    expect(() => new KeyProvider({ keySize: 192 as 128 })).toThrow(RangeError);
  });
});
