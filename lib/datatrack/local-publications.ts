// The local participant's data tracks: publish and unpublish requests and their answers, the
// push path into the native queues, and republishing after a full reconnect.

import {
  DataTrackInfo as ProtoDataTrackInfo,
  Encryption_Type,
  PublishDataTrackRequest,
  PublishDataTrackResponse,
  RequestResponse,
  RequestResponse_Reason,
  UnpublishDataTrackRequest,
} from '@livekit/protocol';
import { debuglog } from 'node:util';
import { type NativeError, type NativeLocalManager, PushResult } from '../native/binding';
import type { DataTrackFrameCryptor } from '../e2ee/frame-cryptor';
import { DataTrackPublishError, DataTrackPushError, type DataTrackPublishErrorReason } from './errors';
import { type DataTrackFrame, checkFrame, maxFramePayload } from './frame';
import type { DataTrackHost } from './host';
import { LocalDataTrack, type LocalTrackOwner } from './local-track';
import { type Pending, pending } from './pending';
import {
  DataTrackSchemaError,
  frameEncodingFromProto,
  frameEncodingToProto,
  schemaIdFromProto,
  schemaIdToProto,
  validateSchema,
} from './schema';
import type { FrameSender } from './sender';
import type { DataTrackInfo, DataTrackPublishOptions, LocalDataTrackStats, QueueFullPolicy } from './types';
import { RequestWindow } from './request-window';

const debug = debuglog('livekit:datatrack');
const MAX_NAME_BYTES = 256;

export interface LocalPublicationsConfig {
  publishTimeoutMs: number;
  unpublishTimeoutMs: number;
  queueCapacity: number;
}

export interface LocalPublicationEvents {
  published(track: LocalDataTrack): void;
  unpublished(track: LocalDataTrack): void;
}

interface PendingPublish {
  readonly handle: number;
  readonly request: PublishDataTrackRequest;
  readonly queueCapacity: number;
  readonly wait: Pending<LocalDataTrack>;
  /** The request went to a session that a full reconnect replaced; send it again after the join. */
  resend: boolean;
}

/** Per-track counters the addon does not keep. */
interface TsCounters {
  queueFull: number;
  encryptionFailed: number;
}

export class LocalPublications implements LocalTrackOwner {
  /** Published tracks by name: the public `localParticipant.dataTracks`. */
  readonly byName = new Map<string, LocalDataTrack>();
  private readonly byHandle = new Map<number, LocalDataTrack>();
  private readonly pendingByHandle = new Map<number, PendingPublish>();
  /** Publish and republish requests in flight, by handle (see request-window.ts). */
  private readonly publishRequests = new RequestWindow<number>();
  /** Handles whose publish was given up; a late acceptance must be undone. */
  private readonly abandoned = new Set<number>();
  private readonly unpublishWaits = new Map<number, Pending<void>>();
  private readonly counters = new WeakMap<LocalDataTrack, TsCounters>();
  /** What was asked of the SFU, to ask again on republish and to describe the track in SyncState. */
  private readonly requests = new WeakMap<LocalDataTrack, PublishDataTrackRequest>();
  /** The addon's counters of a track, kept from just before the addon forgot it. */
  private readonly finalStats = new WeakMap<LocalDataTrack, NativeLocalStats>();

  constructor(
    private readonly host: DataTrackHost,
    private readonly manager: () => NativeLocalManager,
    private readonly sender: FrameSender,
    private readonly cryptor: DataTrackFrameCryptor | null,
    private readonly config: LocalPublicationsConfig,
    private readonly events: LocalPublicationEvents,
  ) {}

  async publish(input: string | DataTrackPublishOptions): Promise<LocalDataTrack> {
    const options: DataTrackPublishOptions = typeof input === 'string' ? { name: input } : { ...input };
    const { name, signal } = options;
    const cancelled = () => new DataTrackPublishError('cancelled', `publishing '${name}' was cancelled`);

    if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) > MAX_NAME_BYTES) {
      throw new DataTrackPublishError('invalidName', 'a data track name must be 1–256 bytes of UTF-8');
    }
    try {
      validateSchema(options.frameEncoding, options.schema);
    } catch (err) {
      if (err instanceof DataTrackSchemaError) {
        throw new DataTrackPublishError('invalidSchema', err.message, { schemaError: err.reason, cause: err });
      }
      throw err;
    }
    if (signal?.aborted) throw cancelled();
    if (!this.host.isConnected()) throw new DataTrackPublishError('disconnected', 'the room is not connected');
    if (this.host.isReconnecting()) {
      try {
        await this.host.waitUntilReady(signal);
      } catch (err) {
        if (signal?.aborted) throw cancelled();
        throw new DataTrackPublishError('disconnected', 'the room disconnected while reconnecting', { cause: err });
      }
    }
    if (this.byName.has(name) || [...this.pendingByHandle.values()].some((p) => p.request.name === name)) {
      throw new DataTrackPublishError('duplicateName', `a data track named '${name}' is already published`);
    }

    const usesE2ee = this.cryptor !== null;
    const manager = this.manager();
    let handle: number;
    try {
      handle = manager.allocateHandle();
    } catch (err) {
      if ((err as NativeError).code === 'LimitReached') {
        throw new DataTrackPublishError('limitReached', 'no publisher handles left on this connection', { cause: err });
      }
      throw new DataTrackPublishError('internal', 'could not allocate a track handle', { cause: err });
    }
    manager.beginPublish(handle, name, usesE2ee);

    const request = new PublishDataTrackRequest({
      pubHandle: handle,
      name,
      encryption: usesE2ee ? Encryption_Type.GCM : Encryption_Type.NONE,
      frameEncoding: options.frameEncoding !== undefined ? frameEncodingToProto(options.frameEncoding) : undefined,
      schema: options.schema !== undefined ? schemaIdToProto(options.schema) : undefined,
    });
    const queueCapacity = Math.max(1, Math.min(options.queueCapacity ?? this.config.queueCapacity, this.config.queueCapacity));
    const timeoutMs = options.timeoutMs ?? this.config.publishTimeoutMs;
    const entry: PendingPublish = {
      handle,
      request,
      queueCapacity,
      resend: false,
      wait: pending<LocalDataTrack>({
        timeoutMs,
        onTimeout: () =>
          new DataTrackPublishError(
            'timeout',
            `publishing '${name}' got no answer within ${timeoutMs} ms. Does the LiveKit server support data tracks (LiveKit ≥ 1.11)?`,
          ),
        signal,
        onAbort: cancelled,
        onSettle: () => {
          this.pendingByHandle.delete(handle);
          this.publishRequests.settle(handle);
        },
      }),
    };
    this.pendingByHandle.set(handle, entry);
    // Timeout and cancel leave the request in flight: forget the track, and undo a late acceptance.
    entry.wait.promise.catch((err) => {
      if (err instanceof DataTrackPublishError && (err.reason === 'timeout' || err.reason === 'cancelled')) {
        this.abandoned.add(handle);
        this.safeNative(() => this.manager().publishFailed(handle));
      }
    });
    this.sendPublish(handle, request);
    return entry.wait.promise;
  }

  // ---- signal responses ----

  onPublishResponse(info: ProtoDataTrackInfo | undefined): void {
    if (!info) return;
    const handle = info.pubHandle;
    const entry = this.pendingByHandle.get(handle);
    if (entry) {
      this.completePublish(entry, info);
      return;
    }
    const track = this.byHandle.get(handle);
    this.publishRequests.settle(handle);
    if (track && track._state === 'republishing') {
      this.safeNative(() => this.manager().publishSucceeded(handle, info.sid));
      track._setSid(info.sid);
      track._state = 'published';
      debug('republished %s as %s', track.name, info.sid);
      this.sender.flush();
      return;
    }
    if (this.abandoned.delete(handle)) {
      debug('undoing late acceptance of handle %d', handle);
      this.host.sendSignal({ case: 'unpublishDataTrackRequest', value: new UnpublishDataTrackRequest({ pubHandle: handle }) });
    }
  }

  onUnpublishResponse(info: ProtoDataTrackInfo | undefined): void {
    if (!info) return;
    const handle = info.pubHandle;
    const wait = this.unpublishWaits.get(handle);
    if (wait) {
      wait.resolve();
      return;
    }
    // Not asked for: the SFU took the track away.
    const track = this.byHandle.get(handle);
    if (track && track.sid === info.sid) this.markUnpublished(track);
  }

  /** Returns true if the RequestResponse was about a local publication. */
  onRequestResponse(rr: RequestResponse): boolean {
    const req = rr.request;
    if (req.case === 'publishDataTrack') {
      const handle = req.value.pubHandle;
      const entry = this.pendingByHandle.get(handle);
      if (entry) {
        this.safeNative(() => this.manager().publishFailed(handle));
        entry.wait.reject(publishErrorFrom(rr, entry.request));
        return true;
      }
      const track = this.byHandle.get(handle);
      this.publishRequests.settle(handle);
      if (track && track._state === 'republishing') {
        debug('republishing %s failed: %s', track.name, rr.message);
        this.markUnpublished(track);
      }
      this.abandoned.delete(handle);
      return true;
    }
    if (req.case === 'unpublishDataTrack') {
      this.unpublishWaits.get(req.value.pubHandle)?.resolve();
      return true;
    }
    return false;
  }

  // ---- LocalTrackOwner ----

  push(track: LocalDataTrack, frame: DataTrackFrame, policy: QueueFullPolicy): void {
    if (track._state === 'unpublished') {
      throw new DataTrackPushError('trackUnpublished', `data track '${track.name}' is not published`, frame);
    }
    const userTimestamp = checkFrame(frame);
    const size = frame.payload.length;
    if (size === 0) {
      // Zero bytes packetize to zero packets: nothing would ever reach a subscriber.
      throw new DataTrackPushError('emptyFrame', 'a data track frame needs a non-empty payload', frame);
    }
    const max = maxFramePayload(userTimestamp !== null, track.info.usesE2ee);
    if (size > max) {
      throw new DataTrackPushError('frameTooLarge', `a frame of ${size} bytes exceeds what subscribers reassemble (${max} bytes)`, frame);
    }
    let payload: Uint8Array = frame.payload;
    let e2ee = null;
    let tag = null;
    if (track.info.usesE2ee) {
      try {
        const sealed = this.cryptor!.seal(this.host.localIdentity(), payload);
        payload = sealed.body;
        tag = sealed.tag;
        e2ee = sealed.e2ee;
      } catch (err) {
        this.countersOf(track).encryptionFailed++;
        throw new DataTrackPushError('encryptionFailed', (err as Error).message, frame, { cause: err });
      }
    }
    const manager = this.manager();
    const dropOldest = policy === 'dropOldest';
    let result: PushResult;
    if (track._queueCapacity < this.config.queueCapacity && !dropOldest && this.queued(track) >= track._queueCapacity) {
      result = PushResult.Full;
    } else {
      try {
        result = manager.pushFrame(track._handle, payload, userTimestamp, e2ee, dropOldest, tag);
      } catch (err) {
        if ((err as NativeError).code === 'UnknownTrack') {
          throw new DataTrackPushError('trackUnpublished', `data track '${track.name}' is not published`, frame);
        }
        throw err;
      }
    }
    if (result === PushResult.Full) {
      this.countersOf(track).queueFull++;
      if (policy === 'drop') return;
      throw new DataTrackPushError('queueFull', `the send queue of '${track.name}' is full`, frame);
    }
    if (result === PushResult.NotPublished) return;
    this.sender.flush();
  }

  unpublish(track: LocalDataTrack): Promise<void> {
    const existing = this.unpublishWaits.get(track._handle);
    if (existing) return existing.promise;
    if (!this.markUnpublished(track)) return Promise.resolve();
    if (!this.host.isConnected()) return Promise.resolve();
    const handle = track._handle;
    const wait = pending<void>({
      timeoutMs: this.config.unpublishTimeoutMs,
      // Locally the track is gone either way; a silent SFU is no reason to fail the caller.
      onTimeout: () => undefined,
      onSettle: () => this.unpublishWaits.delete(handle),
    });
    this.unpublishWaits.set(handle, wait);
    this.host.sendSignal({ case: 'unpublishDataTrackRequest', value: new UnpublishDataTrackRequest({ pubHandle: handle }) });
    return wait.promise.catch(() => undefined);
  }

  stats(track: LocalDataTrack): LocalDataTrackStats {
    const n = track._state === 'unpublished' ? null : this.safeNative(() => this.manager().stats(track._handle));
    const c = this.countersOf(track);
    const base = n ?? this.finalStats.get(track);
    return {
      framesSent: base?.framesSent ?? 0,
      bytesSent: base?.bytesSent ?? 0,
      packetsSent: base?.packetsSent ?? 0,
      framesDropped: {
        // The addon counts evictions (dropOldest); refusals are counted here.
        queueFull: (base?.framesDroppedQueueFull ?? 0) + c.queueFull,
        notPublished: base?.framesDroppedNotPublished ?? 0,
        encryptionFailed: c.encryptionFailed,
      },
      queuedFrames: n?.queuedFrames ?? 0,
    };
  }

  // ---- connection lifecycle ----

  /** Full reconnect starting: published tracks wait to be republished under the same handle. */
  onRestarting(): void {
    const handles = this.safeNative(() => this.manager().beginRepublish()) ?? [];
    for (const h of handles) {
      const t = this.byHandle.get(h);
      if (t && t._state === 'published') t._state = 'republishing';
    }
    for (const entry of this.pendingByHandle.values()) entry.resend = true;
    // Requests in flight went with the old session; onJoined submits them all again.
    this.publishRequests.clear();
    // Unpublish answers will not come from the new session.
    for (const w of this.unpublishWaits.values()) w.resolve();
  }

  /** After a (re)join: ask the new session for every track that should exist. */
  onJoined(): void {
    for (const t of this.byHandle.values()) {
      if (t._state !== 'republishing') continue;
      this.sendPublish(t._handle, this.requestFor(t));
    }
    for (const entry of this.pendingByHandle.values()) {
      if (!entry.resend) continue;
      entry.resend = false;
      this.sendPublish(entry.handle, entry.request);
    }
  }

  syncStatePublishedTracks(): PublishDataTrackResponse[] {
    const out: PublishDataTrackResponse[] = [];
    for (const t of this.byHandle.values()) {
      if (t._state !== 'published') continue;
      const r = this.requestFor(t);
      out.push(
        new PublishDataTrackResponse({
          info: new ProtoDataTrackInfo({
            pubHandle: t._handle,
            sid: t.sid,
            name: t.name,
            encryption: r.encryption,
            frameEncoding: r.frameEncoding,
            schema: r.schema,
          }),
        }),
      );
    }
    return out;
  }

  /** The room is gone: everything pending fails, every track is unpublished. */
  onDisconnected(): void {
    for (const entry of [...this.pendingByHandle.values()]) {
      entry.wait.reject(new DataTrackPublishError('disconnected', 'the room disconnected'));
    }
    for (const t of [...this.byHandle.values()]) this.markUnpublished(t);
    for (const w of [...this.unpublishWaits.values()]) w.resolve();
    this.abandoned.clear();
    this.publishRequests.clear();
  }

  // ---- internals ----

  private sendPublish(handle: number, request: PublishDataTrackRequest): void {
    this.publishRequests.submit(handle, () => this.host.sendSignal({ case: 'publishDataTrackRequest', value: request }));
  }

  private completePublish(entry: PendingPublish, info: ProtoDataTrackInfo): void {
    const { handle, request } = entry;
    this.safeNative(() => this.manager().publishSucceeded(handle, info.sid));
    const publicInfo: DataTrackInfo = {
      sid: info.sid,
      name: request.name,
      usesE2ee: request.encryption === Encryption_Type.GCM,
      ...(request.schema ? { schema: schemaIdFromProto(info.schema ?? request.schema) } : {}),
      ...(request.frameEncoding ? { frameEncoding: frameEncodingFromProto(info.frameEncoding ?? request.frameEncoding) } : {}),
    };
    const track = new LocalDataTrack(handle, publicInfo, entry.queueCapacity, this);
    this.byHandle.set(handle, track);
    this.byName.set(track.name, track);
    this.counters.set(track, { queueFull: 0, encryptionFailed: 0 });
    this.requests.set(track, request);
    if (!entry.wait.resolve(track)) return;
    this.events.published(track);
  }

  private requestFor(track: LocalDataTrack): PublishDataTrackRequest {
    return this.requests.get(track)!;
  }

  private markUnpublished(track: LocalDataTrack): boolean {
    if (track._state === 'unpublished') return false;
    const last = this.safeNative(() => this.manager().stats(track._handle));
    if (last) this.finalStats.set(track, last);
    track._markUnpublished();
    this.safeNative(() => this.manager().unpublish(track._handle));
    this.byHandle.delete(track._handle);
    if (this.byName.get(track.name) === track) this.byName.delete(track.name);
    this.events.unpublished(track);
    return true;
  }

  private queued(track: LocalDataTrack): number {
    return this.safeNative(() => this.manager().stats(track._handle))?.queuedFrames ?? 0;
  }

  private countersOf(track: LocalDataTrack): TsCounters {
    let c = this.counters.get(track);
    if (!c) {
      c = { queueFull: 0, encryptionFailed: 0 };
      this.counters.set(track, c);
    }
    return c;
  }

  /** Bookkeeping calls into the addon must not take the host's listener down with them. */
  private safeNative<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      debug('native call failed: %s', (err as Error).message);
      return undefined;
    }
  }
}

type NativeLocalStats = NonNullable<ReturnType<NativeLocalManager['stats']>>;

function publishErrorFrom(rr: RequestResponse, request: PublishDataTrackRequest): DataTrackPublishError {
  const R = RequestResponse_Reason;
  let reason: DataTrackPublishErrorReason;
  switch (rr.reason) {
    case R.NOT_ALLOWED:
      reason = 'notAllowed';
      break;
    case R.DUPLICATE_NAME:
      reason = 'duplicateName';
      break;
    case R.INVALID_NAME:
      reason = 'invalidName';
      break;
    case R.LIMIT_EXCEEDED:
      reason = 'limitReached';
      break;
    case R.INVALID_REQUEST:
      // The only invalid-request check on publish is the custom encoding identifier.
      reason = request.schema || request.frameEncoding ? 'invalidSchema' : 'internal';
      break;
    default:
      reason = 'internal';
  }
  const label = RequestResponse_Reason[rr.reason] ?? String(rr.reason);
  return new DataTrackPublishError(reason, `the SFU refused to publish '${request.name}': ${label}${rr.message ? ` (${rr.message})` : ''}`, {
    rawMessage: rr.message,
  });
}
