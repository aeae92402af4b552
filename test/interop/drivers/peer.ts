// Common test-peer interface for driving LiveKit's own SDKs (livekit-client, the Rust SDK through
// its FFI) against our dev SFU and our SDK. Test code only.

export type PeerKind = 'livekit-client' | 'livekit-client-browser' | 'rust-ffi' | 'ours';

/** Schema encodings by their string ids; anything else is `{ custom }`. */
export type PeerSchemaEncoding =
  | 'protobuf'
  | 'flatbuffer'
  | 'ros1msg'
  | 'ros2msg'
  | 'ros2idl'
  | 'omgidl'
  | 'jsonschema'
  | { custom: string };

/** Frame encodings by their string ids; anything else is `{ custom }`. */
export type PeerFrameEncoding =
  | 'ros1'
  | 'cdr'
  | 'protobuf'
  | 'flatbuffer'
  | 'cbor'
  | 'msgpack'
  | 'json'
  | { custom: string };

export interface PeerSchemaId {
  name: string;
  encoding?: PeerSchemaEncoding;
}

export interface PeerPublishOptions {
  schema?: PeerSchemaId;
  frameEncoding?: PeerFrameEncoding;
}

export interface PeerConnectOptions {
  /** Shared-key E2EE; the passphrase's UTF-8 bytes are the shared key (PBKDF2 derivation, LiveKit defaults). */
  e2eePassphrase?: string;
}

export interface PeerFrame {
  payload: Uint8Array;
  userTimestamp?: bigint;
}

export interface PeerLocalTrack {
  readonly sid: string;
  readonly name: string;
  readonly usesE2ee: boolean;
  /** Tries to push one frame; rejects if the SDK refuses it. */
  push(payload: Uint8Array, userTimestamp?: bigint): Promise<void>;
  unpublish(): Promise<void>;
}

export interface PeerSubscription extends AsyncIterable<PeerFrame> {
  /**
   * Resolves when the SFU has confirmed the subscription, where the SDK exposes that
   * (livekit-client); otherwise resolves at once (rust-ffi: use `primeSubscription`).
   */
  readonly ready: Promise<void>;
  /** Next frame, or null once the stream has ended; rejects after timeoutMs. */
  next(timeoutMs?: number): Promise<PeerFrame | null>;
  /** Resolves when the stream ends (unpublish, publisher left, disconnect); rejects after timeoutMs. */
  ended(timeoutMs?: number): Promise<void>;
  close(): void;
}

export interface PeerRemoteTrack {
  readonly sid: string;
  readonly name: string;
  readonly publisherIdentity: string;
  readonly usesE2ee: boolean;
  /** Not exposed by livekit-client 2.23.0 (undefined there). */
  readonly schema?: PeerSchemaId;
  readonly frameEncoding?: PeerFrameEncoding;
  subscribe(opts?: { bufferSize?: number }): PeerSubscription;
  /** Resolves once the peer saw this track unpublished (also when its publisher left). */
  waitForUnpublish(timeoutMs?: number): Promise<void>;
}

export interface InteropPeer {
  readonly kind: PeerKind;
  /** Local identity, known after connect. */
  readonly identity: string;
  connect(url: string, token: string, opts?: PeerConnectOptions): Promise<void>;
  publish(name: string, opts?: PeerPublishOptions): Promise<PeerLocalTrack>;
  waitForRemoteTrack(publisherIdentity: string, name: string, timeoutMs?: number): Promise<PeerRemoteTrack>;
  /** Resolves once the peer saw the remote participant leave. */
  waitForParticipantLeft(identity: string, timeoutMs?: number): Promise<void>;
  /** Schema definition storage; undefined where the SDK lacks it (livekit-client). */
  defineSchema?(id: PeerSchemaId, definition: string): Promise<void>;
  getSchema?(id: PeerSchemaId, publisherIdentity: string): Promise<string>;
  disconnect(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Small helpers shared by the drivers and the tests.

export const DEFAULT_TIMEOUT_MS = 10_000;

export class TimeoutError extends Error {
  constructor(what: string, ms: number) {
    super(`timed out after ${ms} ms: ${what}`);
    this.name = 'TimeoutError';
  }
}

/** Races a promise against a timer; the timer never keeps the process alive. */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(what, ms)), ms);
    timer.unref?.();
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** A one-shot latch. */
export class Latch<T = void> {
  done = false;
  value?: T;
  error?: unknown;
  readonly promise: Promise<T>;
  private res!: (v: T) => void;
  private rej!: (e: unknown) => void;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.res = res;
      this.rej = rej;
    });
    this.promise.catch(() => {});
  }
  resolve(v: T) {
    if (this.done) return;
    this.done = true;
    this.value = v;
    this.res(v);
  }
  reject(e: unknown) {
    if (this.done) return;
    this.done = true;
    this.error = e;
    this.rej(e);
  }
}

/** Unbounded frame queue behind a PeerSubscription. */
export class FrameQueue {
  private items: PeerFrame[] = [];
  private waiters: Array<(v: PeerFrame | null) => void> = [];
  private failure?: unknown;
  readonly endLatch = new Latch<void>();

  push(f: PeerFrame) {
    if (this.endLatch.done) return;
    const w = this.waiters.shift();
    if (w) w(f);
    else this.items.push(f);
  }

  end(error?: unknown) {
    if (this.endLatch.done) return;
    this.failure = error;
    this.endLatch.resolve();
    for (const w of this.waiters.splice(0)) w(null);
  }

  get endError() {
    return this.failure;
  }

  next(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<PeerFrame | null> {
    const item = this.items.shift();
    if (item) return Promise.resolve(item);
    if (this.endLatch.done) {
      return this.failure ? Promise.reject(this.failure) : Promise.resolve(null);
    }
    let waiter!: (v: PeerFrame | null) => void;
    const p = new Promise<PeerFrame | null>((resolve) => {
      waiter = resolve;
      this.waiters.push(waiter);
    });
    return withTimeout(p, timeoutMs, 'next data-track frame').catch((e) => {
      const i = this.waiters.indexOf(waiter);
      if (i >= 0) this.waiters.splice(i, 1);
      throw e;
    });
  }

  ended(timeoutMs = DEFAULT_TIMEOUT_MS) {
    return withTimeout(this.endLatch.promise, timeoutMs, 'end of data-track stream');
  }

  async *iterate(): AsyncGenerator<PeerFrame> {
    for (;;) {
      const f = await this.next(60_000);
      if (!f) return;
      yield f;
    }
  }
}

/** Payload of the warm-up frames `primeSubscription` pushes; receivers skip it with `isWarmup`. */
export const WARMUP_PAYLOAD = new TextEncoder().encode('lk-interop-warmup');

export function isWarmup(f: PeerFrame): boolean {
  return Buffer.from(f.payload).equals(Buffer.from(WARMUP_PAYLOAD));
}

/**
 * Data-track subscriptions only see frames pushed after the SFU has confirmed them, and not every
 * SDK tells when that is. Pushes warm-up frames until the subscriber gets one, then returns.
 * Afterwards read with `nextReal` to skip late warm-ups.
 */
export async function primeSubscription(
  pub: Pick<PeerLocalTrack, 'push'>,
  sub: PeerSubscription,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await withTimeout(sub.ready, timeoutMs, 'subscription ready');
  for (;;) {
    await pub.push(WARMUP_PAYLOAD).catch(() => {});
    try {
      const f = await sub.next(150);
      if (f === null) throw new Error('subscription ended while priming');
      if (isWarmup(f)) return;
    } catch (e) {
      if (!(e instanceof TimeoutError)) throw e;
    }
    if (Date.now() > deadline) throw new TimeoutError('first warm-up frame through the SFU', timeoutMs);
  }
}

/** Next frame that is not a warm-up frame. */
export async function nextReal(sub: PeerSubscription, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<PeerFrame | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const f = await sub.next(Math.max(1, deadline - Date.now()));
    if (f === null || !isWarmup(f)) return f;
  }
}
