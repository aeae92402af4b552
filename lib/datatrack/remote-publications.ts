// Other participants' data tracks: discovery from join and participant updates, subscriptions
// (one SFU subscription per track, shared by all its streams) and the receive path.

import {
  type DataTrackInfo as ProtoDataTrackInfo,
  type DataTrackSubscriberHandles,
  Encryption_Type,
  type ParticipantInfo,
  ParticipantInfo_State,
  UpdateDataSubscription,
  UpdateDataSubscription_Update,
} from '@livekit/protocol';
import { debuglog } from 'node:util';
import type { NativeRemoteManager, RemotePublicationChanges, RemoteTrackDescriptor, RemoteTrackStats } from '../native/binding';
import type { DataTrackFrameCryptor } from '../e2ee/frame-cryptor';
import { DataTrackSubscribeError } from './errors';
import { DataTrackStream } from './frame-stream';
import type { DataTrackHost } from './host';
import { type Pending, pending } from './pending';
import { RemoteDataTrack, type RemoteTrackOwner } from './remote-track';
import { frameEncodingFromProto, schemaIdFromProto } from './schema';
import type { DataTrackInfo, DataTrackSubscribeOptions, RemoteDataTrackStats } from './types';
import { RequestWindow } from './request-window';

const debug = debuglog('livekit:datatrack');

/** A subscription without a handle asks again after this long, then twice as long, up to the max. */
const SUBSCRIBE_RETRY_FIRST_MS = 500;
const SUBSCRIBE_RETRY_MAX_MS = 8_000;

export interface RemotePublicationsConfig {
  subscribeTimeoutMs: number;
}

export interface RemotePublicationEvents {
  published(track: RemoteDataTrack): void;
  unpublished(track: RemoteDataTrack): void;
}

interface PendingSubscribe {
  readonly stream: DataTrackStream;
  readonly wait: Pending<DataTrackStream>;
}

interface TrackWaiter {
  readonly wait: Pending<RemoteDataTrack>;
}

const ZERO_NATIVE: RemoteTrackStats = Object.freeze({
  framesReceived: 0,
  bytesReceived: 0,
  packetsReceived: 0,
  droppedInterrupted: 0,
  droppedUnknownFrame: 0,
  droppedBufferFull: 0,
  droppedIncomplete: 0,
});

export class RemotePublications implements RemoteTrackOwner {
  private readonly byTrackId = new Map<number, RemoteDataTrack>();
  /** identity → name → every published track under that name, in the order they appeared. */
  private readonly owned = new Map<string, Map<string, Set<RemoteDataTrack>>>();
  /**
   * identity → name → track: the public `participant.dataTracks`. Names are unique per publisher
   * on a conforming server; should one repeat, the first track holds the name and the next takes
   * it over when the first goes away (both stay published and are unpublished like any other).
   */
  private readonly byParticipant = new Map<string, Map<string, RemoteDataTrack>>();
  /** Tracks with a subscription wanted (pending or active). */
  private readonly subscribed = new Set<RemoteDataTrack>();
  /** Pending subscriptions' timers for asking again (see sendSubscription). */
  private readonly subscribeRetries = new Map<RemoteDataTrack, NodeJS.Timeout>();
  /** Subscribe requests in flight (see request-window.ts). */
  private readonly subscribeRequests = new RequestWindow<RemoteDataTrack>();
  private readonly pendingSubs = new Map<RemoteDataTrack, Set<PendingSubscribe>>();
  private readonly trackWaiters = new Map<string, Map<string, Set<TrackWaiter>>>();
  /** The addon's counters of a track, kept from just before its publication went away. */
  private readonly finalNative = new WeakMap<RemoteDataTrack, RemoteTrackStats>();
  private readonly infos = new WeakMap<RemoteDataTrack, ProtoDataTrackInfo>();

  constructor(
    private readonly host: DataTrackHost,
    private readonly manager: () => NativeRemoteManager,
    private readonly cryptor: DataTrackFrameCryptor | null,
    private readonly config: RemotePublicationsConfig,
    private readonly events: RemotePublicationEvents,
  ) {}

  /** The live map for one participant (created on demand so callers can hold on to it). */
  tracksOf(identity: string): Map<string, RemoteDataTrack> {
    let m = this.byParticipant.get(identity);
    if (!m) {
      m = new Map();
      this.byParticipant.set(identity, m);
    }
    return m;
  }

  identities(): string[] {
    return [...this.byParticipant.keys()];
  }

  waitForTrack(identity: string, name: string, options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<RemoteDataTrack> {
    const existing = this.byParticipant.get(identity)?.get(name);
    if (existing) return Promise.resolve(existing);
    let byName = this.trackWaiters.get(identity);
    if (!byName) {
      byName = new Map();
      this.trackWaiters.set(identity, byName);
    }
    let set = byName.get(name);
    if (!set) {
      set = new Set();
      byName.set(name, set);
    }
    const waiters = set;
    const waiter: TrackWaiter = {
      wait: pending<RemoteDataTrack>({
        signal: options.signal,
        onAbort: () => new DataTrackSubscribeError('cancelled', `waiting for data track '${name}' was cancelled`),
        timeoutMs: options.timeoutMs,
        onTimeout: () => new DataTrackSubscribeError('timeout', `${identity} did not publish '${name}' in time`),
        onSettle: () => waiters.delete(waiter),
      }),
    };
    waiters.add(waiter);
    return waiter.wait.promise;
  }

  // ---- publication discovery ----

  onParticipantInfo(info: ParticipantInfo): void {
    if (info.identity === this.host.localIdentity()) return;
    if (info.state === ParticipantInfo_State.DISCONNECTED) {
      this.onParticipantLeft(info.identity);
      return;
    }
    const descriptors: RemoteTrackDescriptor[] = [];
    const protoBySid = new Map<string, ProtoDataTrackInfo>();
    for (const t of info.dataTracks) {
      // Validated per track: one bad entry must not cost the participant's other tracks.
      if (!isUsableTrackInfo(t)) {
        debug('%s: ignoring data track %o (bad SID, handle or encryption)', info.identity, t.sid);
        continue;
      }
      // Of entries repeating a SID the first counts, as in the addon.
      if (protoBySid.has(t.sid)) continue;
      descriptors.push({ sid: t.sid, pubHandle: t.pubHandle, name: t.name, usesE2ee: t.encryption === Encryption_Type.GCM });
      protoBySid.set(t.sid, t);
    }
    // Keep the counters of tracks about to disappear (gone, or renamed: a rename is a new track).
    for (const t of this.ownedTracks(info.identity)) {
      if (protoBySid.get(t.sid)?.name !== t.name) this.snapshotNative(t);
    }
    let changes: RemotePublicationChanges;
    try {
      changes = this.manager().updateParticipant(info.identity, descriptors);
    } catch (err) {
      debug('updateParticipant(%s) failed: %s', info.identity, (err as Error).message);
      return;
    }
    this.apply(info.identity, changes, protoBySid);
  }

  onParticipantLeft(identity: string): void {
    const mine = [...this.ownedTracks(identity)];
    for (const t of mine) this.snapshotNative(t);
    let changes: RemotePublicationChanges;
    try {
      changes = this.manager().removeParticipant(identity);
    } catch (err) {
      debug('removeParticipant(%s) failed: %s', identity, (err as Error).message);
      changes = { published: [], unpublished: [], reassigned: [] };
    }
    this.apply(identity, changes, new Map());
    // Tracks the addon no longer knew about still must not linger.
    for (const t of mine) this.unpublished(t, 'unpublished');
    this.owned.delete(identity);
    this.byParticipant.delete(identity);
    const waiters = this.trackWaiters.get(identity);
    if (waiters) {
      for (const set of waiters.values()) {
        for (const w of [...set]) w.wait.reject(new DataTrackSubscribeError('disconnected', `${identity} left the room`));
      }
      this.trackWaiters.delete(identity);
    }
  }

  private apply(identity: string, changes: RemotePublicationChanges, protoBySid: Map<string, ProtoDataTrackInfo>): void {
    for (const { trackId } of changes.unpublished) {
      const t = this.byTrackId.get(trackId);
      if (t) this.unpublished(t, 'unpublished');
    }
    for (const { trackId, newSid } of changes.reassigned) {
      const t = this.byTrackId.get(trackId);
      if (!t) continue;
      debug('%s/%s: SID %s → %s', identity, t.name, t.sid, newSid);
      t._setSid(newSid);
      const p = protoBySid.get(newSid);
      if (p) this.infos.set(t, p);
      if (t._sub !== 'none') {
        // The old subscription went with the old SID; ask again under the new one.
        t._sub = 'pending';
        this.sendSubscription(t, true);
      }
    }
    for (const { trackId, sid } of changes.published) {
      const p = protoBySid.get(sid);
      if (!p) continue;
      const info: DataTrackInfo = {
        sid,
        name: p.name,
        usesE2ee: p.encryption === Encryption_Type.GCM,
        ...(p.schema ? { schema: schemaIdFromProto(p.schema) } : {}),
        ...(p.frameEncoding ? { frameEncoding: frameEncodingFromProto(p.frameEncoding) } : {}),
      };
      const track = new RemoteDataTrack(trackId, info, identity, this, this.cryptor);
      this.byTrackId.set(trackId, track);
      this.infos.set(track, p);
      const sameName = this.ownedUnder(identity, info.name);
      sameName.add(track);
      if (sameName.size === 1) this.tracksOf(identity).set(info.name, track);
      this.events.published(track);
      const waiters = this.trackWaiters.get(identity)?.get(info.name);
      if (waiters) for (const w of [...waiters]) w.wait.resolve(track);
    }
  }

  private unpublished(track: RemoteDataTrack, reason: 'unpublished' | 'disconnected'): void {
    if (!track._markUnpublished()) return;
    this.byTrackId.delete(track._trackId);
    const identity = track.publisherIdentity;
    const byName = this.owned.get(identity);
    const sameName = byName?.get(track.name);
    sameName?.delete(track);
    if (sameName?.size === 0) {
      byName!.delete(track.name);
      if (byName!.size === 0) this.owned.delete(identity);
    }
    const map = this.byParticipant.get(identity);
    if (map?.get(track.name) === track) {
      map.delete(track.name);
      // A track repeating the name takes it over (only a non-conforming server repeats names).
      const next = sameName?.values().next().value;
      if (next) map.set(track.name, next);
    }
    this.endSubscription(track, reason);
    this.events.unpublished(track);
  }

  private ownedUnder(identity: string, name: string): Set<RemoteDataTrack> {
    let byName = this.owned.get(identity);
    if (!byName) {
      byName = new Map();
      this.owned.set(identity, byName);
    }
    let set = byName.get(name);
    if (!set) {
      set = new Set();
      byName.set(name, set);
    }
    return set;
  }

  private *ownedTracks(identity: string): Iterable<RemoteDataTrack> {
    for (const set of this.owned.get(identity)?.values() ?? []) yield* set;
  }

  // ---- subscriptions ----

  async subscribe(track: RemoteDataTrack, options: DataTrackSubscribeOptions): Promise<DataTrackStream> {
    const { signal } = options;
    const cancelled = () => new DataTrackSubscribeError('cancelled', `subscribing to '${track.name}' was cancelled`);
    if (signal?.aborted) throw cancelled();
    if (!track.isPublished) throw new DataTrackSubscribeError('unpublished', `data track '${track.name}' is not published`);
    if (!this.host.isConnected()) throw new DataTrackSubscribeError('disconnected', 'the room is not connected');
    if (this.host.isReconnecting()) {
      try {
        await this.host.waitUntilReady(signal);
      } catch (err) {
        if (signal?.aborted) throw cancelled();
        throw new DataTrackSubscribeError('disconnected', 'the room disconnected while reconnecting', { cause: err });
      }
      if (!track.isPublished) throw new DataTrackSubscribeError('unpublished', `data track '${track.name}' is not published`);
    }

    const stream = new DataTrackStream(options.bufferSize ?? 16, (s) => this.streamCancelled(track, s));
    if (track._sub === 'active' && this.host.dataTrackChannel()?.isOpen) {
      track._streams.push(stream);
      return stream;
    }
    if (track._sub === 'none') {
      try {
        this.manager().subscribe(track._trackId, track._maxPartialFrames);
      } catch (err) {
        throw new DataTrackSubscribeError('unpublished', `data track '${track.name}' is not known any more`, { cause: err });
      }
      // livekit-server may fold an unsubscribe and the next subscribe into one and keep the
      // subscription and its handle, sending nothing; so the SFU's last map, if it still has a
      // handle for this track, is the subscription (a later map that drops it is followed).
      track._sub = this.manager().subscriberHandle(track._trackId) === 0 ? 'pending' : 'active';
      this.subscribed.add(track);
      this.sendSubscription(track, true);
    }
    let set = this.pendingSubs.get(track);
    if (!set) {
      set = new Set();
      this.pendingSubs.set(track, set);
    }
    const pendingSet = set;
    const timeoutMs = options.timeoutMs ?? this.config.subscribeTimeoutMs;
    const entry: PendingSubscribe = {
      stream,
      wait: pending<DataTrackStream>({
        signal,
        onAbort: cancelled,
        timeoutMs,
        onTimeout: () => new DataTrackSubscribeError('timeout', `the SFU assigned no handle for '${track.name}' within ${timeoutMs} ms`),
        onSettle: () => pendingSet.delete(entry),
      }),
    };
    pendingSet.add(entry);
    entry.wait.promise.catch(() => {
      stream._end('cancelled');
      this.maybeUnsubscribe(track);
    });
    if (track._sub === 'active') this.resolvePending(track);
    return entry.wait.promise;
  }

  setPipelineOptions(track: RemoteDataTrack, maxPartialFrames: number): void {
    if (track._sub === 'none') return;
    try {
      this.manager().setPipelineOptions(track._trackId, maxPartialFrames);
    } catch (err) {
      debug('setPipelineOptions failed: %s', (err as Error).message);
    }
  }

  onSubscriberHandles(msg: DataTrackSubscriberHandles): void {
    const entries: Array<[number, string]> = [];
    for (const [key, value] of Object.entries(msg.subHandles)) {
      const handle = Number(key);
      if (Number.isInteger(handle) && handle > 0 && handle <= 0xffff && value?.trackSid) entries.push([handle, value.trackSid]);
    }
    const manager = this.manager();
    try {
      manager.setSubscriberHandles(entries);
    } catch (err) {
      debug('setSubscriberHandles failed: %s', (err as Error).message);
      return;
    }
    for (const track of this.subscribed) {
      const handle = manager.subscriberHandle(track._trackId);
      if (track._sub === 'active' && handle === 0) {
        // The SFU dropped a subscription we still want: livekit-server can lose a subscribe that
        // reaches it while it is still tearing down the previous subscription. Ask again.
        track._sub = 'pending';
        this.sendSubscription(track, true);
        continue;
      }
      if (track._sub !== 'pending' || handle === 0) continue;
      track._sub = 'active';
      this.cancelSubscribeRetry(track);
      this.resolvePending(track);
    }
  }

  /** Our `_data_track` channel opened: subscriptions that only waited for it are ready now. */
  onChannelOpen(): void {
    for (const track of this.subscribed) if (track._sub === 'active') this.resolvePending(track);
  }

  /**
   * Resolves waiting subscribes once the SFU has assigned a handle and our channel is open: until
   * then the SFU drops what it would forward, and a caller who pushes right after subscribe()
   * resolves would lose the first frames.
   */
  private resolvePending(track: RemoteDataTrack): void {
    const set = this.pendingSubs.get(track);
    if (!set || set.size === 0) return;
    if (!this.host.dataTrackChannel()?.isOpen) return;
    // Attach before resolving: frames may arrive before the caller's continuation runs.
    for (const entry of [...set]) {
      if (entry.wait.settled) continue;
      track._streams.push(entry.stream);
      entry.wait.resolve(entry.stream);
    }
  }

  stats(track: RemoteDataTrack): RemoteDataTrackStats {
    // The addon counts per publication, across subscribe/unsubscribe cycles.
    const n = (track.isPublished ? this.liveNative(track) : this.finalNative.get(track)) ?? ZERO_NATIVE;
    const sum = (k: keyof RemoteTrackStats) => n[k];
    let overflow = track._overflowOfEnded;
    for (const s of track._streams) overflow += s.stats().framesDroppedOverflow;
    return {
      framesReceived: sum('framesReceived'),
      bytesReceived: sum('bytesReceived'),
      packetsReceived: sum('packetsReceived'),
      framesDelivered: track._framesDelivered,
      framesDropped: {
        interrupted: sum('droppedInterrupted'),
        incomplete: sum('droppedIncomplete'),
        unknownFrame: sum('droppedUnknownFrame'),
        bufferFull: sum('droppedBufferFull'),
        subscriberOverflow: overflow,
        decryptFailed: track._decryptFailed,
      },
    };
  }

  // ---- receive path ----

  onPacket(packet: Uint8Array): void {
    const frames = this.manager().handlePacket(packet);
    if (frames === null) return;
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      this.byTrackId.get(f.trackId)?._receive(f);
    }
  }

  // ---- connection lifecycle ----

  /** Full reconnect starting: handles of the old session mean nothing in the new one. */
  onRestarting(): void {
    try {
      this.manager().setSubscriberHandles([]);
    } catch {
      /* nothing routed anyway */
    }
    for (const t of this.subscribed) {
      t._sub = 'pending';
    }
    // Requests in flight went with the old session; onJoined asks the new one again.
    this.subscribeRequests.clear();
  }

  /**
   * After a (re)join: participants missing from the new session left while we were away, and the
   * new session must be asked for our subscriptions. The infos of those present arrive through
   * onParticipantInfo (the Room delivers them once its participant objects exist).
   */
  onJoined(others: ParticipantInfo[]): void {
    const present = new Set(others.map((p) => p.identity));
    for (const identity of this.identities()) if (!present.has(identity)) this.onParticipantLeft(identity);
    for (const t of this.subscribed) {
      if (t._sub === 'pending' && t.isPublished) this.sendSubscription(t, true);
    }
  }

  onDisconnected(): void {
    for (const identity of [...this.owned.keys()]) {
      for (const t of [...this.ownedTracks(identity)]) {
        this.snapshotNative(t);
        this.unpublished(t, 'disconnected');
      }
    }
    this.owned.clear();
    this.byParticipant.clear();
    for (const byName of this.trackWaiters.values()) {
      for (const set of byName.values()) {
        for (const w of [...set]) w.wait.reject(new DataTrackSubscribeError('disconnected', 'the room disconnected'));
      }
    }
    this.trackWaiters.clear();
    this.subscribed.clear();
    for (const timer of this.subscribeRetries.values()) clearTimeout(timer);
    this.subscribeRetries.clear();
    this.subscribeRequests.clear();
  }

  // ---- internals ----

  private streamCancelled(track: RemoteDataTrack, stream: DataTrackStream): void {
    const i = track._streams.indexOf(stream);
    if (i >= 0) {
      track._streams.splice(i, 1);
      track._overflowOfEnded += stream.stats().framesDroppedOverflow;
    }
    this.maybeUnsubscribe(track);
  }

  /** Unsubscribes once the last stream (and the last pending subscribe) is gone. */
  private maybeUnsubscribe(track: RemoteDataTrack): void {
    if (track._sub === 'none' || track._streams.length > 0) return;
    const set = this.pendingSubs.get(track);
    if (set && set.size > 0) return;
    track._sub = 'none';
    this.subscribed.delete(track);
    this.pendingSubs.delete(track);
    this.cancelSubscribeRetry(track);
    try {
      this.manager().unsubscribe(track._trackId);
    } catch {
      /* already gone with its publication */
    }
    if (track.isPublished && this.host.isConnected()) this.sendSubscription(track, false);
  }

  /** The publication ended: streams end (buffered frames stay readable), pending subscribes fail. */
  private endSubscription(track: RemoteDataTrack, reason: 'unpublished' | 'disconnected'): void {
    const set = this.pendingSubs.get(track);
    if (set) {
      const err =
        reason === 'unpublished'
          ? new DataTrackSubscribeError('unpublished', `data track '${track.name}' was unpublished`)
          : new DataTrackSubscribeError('disconnected', 'the room disconnected');
      for (const entry of [...set]) entry.wait.reject(err);
      this.pendingSubs.delete(track);
    }
    for (const s of track._streams) {
      track._overflowOfEnded += s.stats().framesDroppedOverflow;
      s._end(reason);
    }
    track._streams = [];
    this.cancelSubscribeRetry(track);
    if (track._sub !== 'none') {
      track._sub = 'none';
      this.subscribed.delete(track);
      try {
        this.manager().unsubscribe(track._trackId);
      } catch {
        /* the addon already dropped it with the publication */
      }
    }
  }

  private sendSubscription(track: RemoteDataTrack, subscribe: boolean, retryInMs = SUBSCRIBE_RETRY_FIRST_MS): void {
    this.cancelSubscribeRetry(track);
    const send = () =>
      this.host.sendSignal({
        case: 'updateDataSubscription',
        value: new UpdateDataSubscription({ updates: [new UpdateDataSubscription_Update({ trackSid: track.sid, subscribe })] }),
      });
    if (!subscribe) {
      send();
      return;
    }
    // Subscribes share the publish requests' bound on a burst (request-window.ts), and one whose
    // handle is already known frees its slot at once.
    this.subscribeRequests.submit(track, () => {
      send();
      if (track._sub === 'active') this.subscribeRequests.settle(track);
      else this.armSubscribeRetry(track, retryInMs);
    });
  }

  /**
   * livekit-server can lose a subscribe that reaches it while it is still tearing down the previous
   * subscription of the same track, and then sends nothing at all. Asking again is harmless (a
   * subscribe to a subscribed track changes nothing), so a subscription still without a handle asks
   * again, backing off.
   */
  private armSubscribeRetry(track: RemoteDataTrack, retryInMs: number): void {
    const timer = setTimeout(() => {
      this.subscribeRetries.delete(track);
      if (track._sub !== 'pending' || !this.subscribed.has(track) || !track.isPublished) return;
      if (!this.host.isConnected() || this.host.isReconnecting()) return;
      debug('%s: no handle yet, asking again', track.sid);
      this.sendSubscription(track, true, Math.min(retryInMs * 2, SUBSCRIBE_RETRY_MAX_MS));
    }, retryInMs);
    timer.unref();
    this.subscribeRetries.set(track, timer);
  }

  private cancelSubscribeRetry(track: RemoteDataTrack): void {
    clearTimeout(this.subscribeRetries.get(track));
    this.subscribeRetries.delete(track);
    this.subscribeRequests.settle(track);
  }

  private liveNative(track: RemoteDataTrack): RemoteTrackStats | null {
    try {
      return this.manager().trackStats(track._trackId);
    } catch {
      return null;
    }
  }

  /** Called before the addon forgets a publication (and its counters). */
  private snapshotNative(track: RemoteDataTrack): void {
    const live = this.liveNative(track);
    if (live) this.finalNative.set(track, live);
  }
}

/** What the addon can take: a SID, a publisher handle in 1..65535, and an encryption we know. */
function isUsableTrackInfo(t: ProtoDataTrackInfo): boolean {
  // Only GCM is E2EE for data tracks; anything else unknown is skipped rather than misread.
  const knownEncryption = t.encryption === Encryption_Type.NONE || t.encryption === Encryption_Type.GCM;
  return knownEncryption && t.sid !== '' && Number.isInteger(t.pubHandle) && t.pubHandle >= 1 && t.pubHandle <= 0xffff;
}
