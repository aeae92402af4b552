// Randomized robustness: random and mutated-valid packets through every entry point that parses
// untrusted bytes. Nothing may crash; every rejection must be an Error with a codec code.
// Set FUZZ_SEED to replay a failing run.
import {
  native,
  type NativeDepacketizer,
  type NativeError,
  type NativeRemoteManager,
  type PacketHeader,
} from '../../lib/native/binding';
import { CODEC_CODES, hex, isError, loadVectors, splitmix32 } from './helpers';

const b = native();
// Jest's vm context resolves globals through an interceptor, which is slow in hot loops; module
// constants are plain context slots.
const Buf = Buffer;
const isBuffer = Buffer.isBuffer;
const PACKETS = 1_000_000;
const codecCodes = new Set<string>(CODEC_CODES);

function seedPacketPool(rand: () => number): Buffer[] {
  const v = loadVectors();
  const pool: Buffer[] = [
    ...v.encode.map((c) => hex(c.bytes)),
    ...v.decode.map((c) => hex(c.bytes)),
    ...v.invalid.map((c) => hex(c.bytes)),
    ...v.forward.map((c) => hex(c.bytes)),
    ...v.rustReferenceOnly.decode.map((c) => hex(c.bytes)),
  ];
  const markers = ['single', 'start', 'inter', 'final'] as const;
  for (let i = 0; i < 200; i++) {
    const header: PacketHeader = {
      marker: markers[rand() & 3],
      handle: 1 + (rand() & 3),
      sequence: rand() & 7,
      frameNumber: rand() & 3,
      timestamp: rand(),
      e2ee: rand() & 1 ? { keyIndex: rand() & 0xff, iv: Buf.alloc(12, rand() & 0xff) } : null,
      userTimestamp: rand() & 1 ? BigInt(rand()) : null,
    };
    pool.push(b.encodePacket(header, Buf.alloc(rand() % 40, rand() & 0xff)));
  }
  // Mutations may append up to 7 bytes; longer vectors (a 1 KiB payload) are left out.
  return pool.filter((p) => p.length <= SLOT - 8);
}

/** Room per generated packet in the arena: the largest pool packet plus what mutations append. */
const SLOT = 160;

/**
 * Writes a mutated copy of `src` into `arena` at `at` and returns its length. Packets are built in
 * place in one reused arena (and handed out as subarrays) because allocating a Buffer per packet
 * would dominate the run time.
 */
function mutateInto(src: Buffer, arena: Buffer, at: number, rand: () => number): number {
  let len = src.copy(arena, at);
  const n = rand() % 3 === 0 ? 1 + (rand() & 3) : 1; // mostly single mutations
  for (let i = 0; i < n; i++) {
    switch (rand() % 7) {
      case 0: // flip a bit
        if (len) arena[at + (rand() % len)] ^= 1 << (rand() & 7);
        break;
      case 1: // random byte
        if (len) arena[at + (rand() % len)] = rand() & 0xff;
        break;
      case 2: // truncate
        len = rand() % (len + 1);
        break;
      case 3: // extend
        for (let j = rand() % 8; j > 0 && len < SLOT; j--) arena[at + len++] = rand() & 0xff;
        break;
      case 4: // flags byte
        if (len) arena[at] = rand() & 0xff;
        break;
      case 5: // extension length field
        if (len >= 14) arena.writeUInt16BE(rand() & (rand() & 1 ? 0x7 : 0xffff), at + 12);
        break;
      default: // a TLV id/len pair inside the block
        if (len >= 16) {
          const k = at + 14 + (rand() % (len - 15));
          arena[k] = rand() % 4;
          arena[k + 1] = rand() & (rand() & 1 ? 0x0f : 0xff);
        }
    }
  }
  return len;
}

function mainRealmError(): ErrorConstructor {
  try {
    b.decodePacket(Buf.alloc(0));
  } catch (e) {
    return Object.getPrototypeOf(e).constructor as ErrorConstructor;
  }
  throw new Error('decodePacket accepted an empty buffer');
}

function checkRejection(e: unknown, where: string): void {
  if (!isError(e)) throw new Error(`${where}: threw a non-Error ${String(e)}`);
  const code = (e as NativeError).code;
  if (!codecCodes.has(code)) throw new Error(`${where}: unexpected code ${String(code)}: ${e.message}`);
  if (code === 'MalformedExt' && typeof (e as NativeError).extTag !== 'number') throw new Error(`${where}: MalformedExt without extTag`);
}

// V8 computes a message location for every throw, which costs microseconds when the throwing
// call sits in a large optimized function; small dedicated loops keep that cheap.
function decodeAll(batch: Buffer[], codes: Array<string | null>): number {
  let ok = 0;
  for (let i = 0; i < batch.length; i++) {
    try {
      const { header, payload } = b.decodePacket(batch[i]);
      if (!isBuffer(payload) || header.handle < 1 || header.handle > 0xffff) throw new Error('bad decode result');
      codes[i] = null;
      ok++;
    } catch (e) {
      checkRejection(e, 'decodePacket');
      codes[i] = (e as NativeError).code;
    }
  }
  return ok;
}

/**
 * Every packet goes to a depacketizer (or, with a non-zero mask, only a sample of the rejected
 * ones); it must accept what decodePacket accepted and reject the rest with the same code.
 */
function pushAll(batch: Buffer[], codes: Array<string | null>, depacketizers: NativeDepacketizer[], sampleMask: number): number {
  let frames = 0;
  for (let i = 0; i < batch.length; i++) {
    const expected = codes[i];
    if (expected !== null && (i & sampleMask) !== 0) continue;
    let got: string | null = null;
    try {
      frames += depacketizers[i & 1].push(batch[i]).frames.length;
    } catch (e) {
      checkRejection(e, 'Depacketizer.push');
      got = (e as NativeError).code;
    }
    if (got !== expected) throw new Error(`Depacketizer.push gave ${String(got)} where decodePacket gave ${String(expected)}`);
  }
  return frames;
}

function handleAll(batch: Buffer[], remote: NativeRemoteManager): number {
  let frames = 0;
  for (let i = 0; i < batch.length; i++) {
    const got = remote.handlePacket(batch[i]);
    if (got !== null) frames += got.length;
  }
  return frames;
}

test(`fuzz: ${PACKETS} random and mutated packets`, () => {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : (Date.now() ^ (Math.random() * 0x7fffffff)) >>> 0;
  const rand = splitmix32(seed);
  const pool = seedPacketPool(rand);

  const remote = new b.RemoteManager();
  const changes = remote.updateParticipant('fuzzer', [1, 2, 3].map((h) => ({ sid: `TR_${h}`, pubHandle: h, name: `t${h}`, usesE2ee: false })));
  for (const { trackId } of changes.published) remote.subscribe(trackId, 1 + (trackId % 3));
  remote.setSubscriberHandles([[1, 'TR_1'], [2, 'TR_2'], [3, 'TR_3']]);
  const depacketizers = [new b.Depacketizer(), new b.Depacketizer(4)];

  // Throwing is the common case here and stack capture would dominate. The addon's errors come
  // from Node's main realm (Jest runs tests in a vm context), so lower that realm's limit too.
  const MainError = mainRealmError();
  const limits = [Error.stackTraceLimit, MainError.stackTraceLimit];
  Error.stackTraceLimit = 0;
  MainError.stackTraceLimit = 0;
  let decoded = 0;
  let frames = 0;
  const BATCH = 4096;
  const arena = Buf.allocUnsafe(BATCH * SLOT);
  const batch: Buffer[] = new Array<Buffer>(BATCH);
  const codes: Array<string | null> = new Array(BATCH);
  try {
    for (let done = 0; done < PACKETS; done += BATCH) {
      const n = Math.min(BATCH, PACKETS - done);
      batch.length = n;
      codes.length = n;
      for (let i = 0; i < n; i++) {
        const at = i * SLOT;
        let len: number;
        if ((rand() & 7) === 0) {
          len = rand() % 48;
          for (let j = 0; j < len; j++) arena[at + j] = rand() & 0xff;
        } else {
          len = mutateInto(pool[rand() % pool.length], arena, at, rand);
        }
        batch[i] = arena.subarray(at, at + len);
      }
      decoded += decodeAll(batch, codes);
      frames += pushAll(batch, codes, depacketizers, 0);
      frames += handleAll(batch, remote);
    }
  } catch (e) {
    throw new Error(`fuzz failed with FUZZ_SEED=${seed}: ${(e as Error).message}`);
  } finally {
    [Error.stackTraceLimit, MainError.stackTraceLimit] = limits;
  }
  const rejected = PACKETS - decoded;

  // Every packet is accounted for exactly once by the remote manager.
  const stats = remote.stats();
  const malformed = Object.values(stats.malformed).reduce((a, n) => a + (n ?? 0), 0);
  const routed = changes.published.reduce((a, { trackId }) => a + (remote.trackStats(trackId)?.packetsReceived ?? 0), 0);
  expect({ seed, total: malformed + stats.unknownHandle + routed }).toEqual({ seed, total: PACKETS });
  expect({ seed, malformed }).toEqual({ seed, malformed: rejected });
  expect(decoded).toBeGreaterThan(PACKETS / 10);
  expect(rejected).toBeGreaterThan(PACKETS / 10);
  expect(frames).toBeGreaterThan(0);
  // still fully functional afterwards
  expect(b.decodePacket(hex('18000d051a0a270fdeadbeeffffefdfcfbfa')).header.handle).toBe(3333);
});
