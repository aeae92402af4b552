// The data-track layer of a Room: the Room feeds it connection facts through DataTrackHostListener
// and it owns everything data-track (native managers, public track objects, streams, E2EE).
// The participants delegate their data-track members here; the Room passes this controller's
// events on to the participants and then emits them itself (room-integration.ts).

import { debuglog } from 'node:util';
import type { JoinResponse, ParticipantInfo, PublishDataTrackResponse, SignalResponse } from '../protocol';
import { type NativePublisher, type NativeSubscriber, native } from '../native/binding';
import { DataTrackFrameCryptor } from '../e2ee/frame-cryptor';
import type { E2EEOptions, KeyProvider } from '../e2ee/key-provider';
import { emitSafely, TypedEmitter } from '../room/typed-emitter';
import { DeadlineTimer, now } from './deadline-timer';
import { DataTrackSubscribeError } from './errors';
import type { DataTrackHost, DataTrackHostListener } from './host';
import { LocalTracks } from './local-tracks';
import type { LocalDataTrack } from './local-track';
import type { LocalDataTrackApi, RemoteDataTrackApi } from './participant-api';
import { RemoteTracks } from './remote-tracks';
import type { RemoteDataTrack } from './remote-track';
import type { DataTrackSchemaId } from './schema';
import { SchemaStore } from './schema-store';
import { FrameSender } from './sender';
import type { DataTrackPublishOptions, DataTrackSettings } from './types';

const debug = debuglog('livekit:datatrack');

export interface DataTrackControllerOptions extends DataTrackSettings {
  /** Room E2EE: when set, every data track this participant publishes is encrypted. */
  encryption?: E2EEOptions;
}

export type DataTrackControllerEvents = {
  localDataTrackPublished: (track: LocalDataTrack) => void;
  localDataTrackUnpublished: (track: LocalDataTrack) => void;
  /** A remote participant published a track (fired once per publication). */
  dataTrackPublished: (track: RemoteDataTrack) => void;
  /** A remote track went away: unpublished, publisher left, or this room disconnected. */
  dataTrackUnpublished: (track: RemoteDataTrack) => void;
};

const DEFAULTS = {
  publishTimeoutMs: 10_000,
  subscribeTimeoutMs: 10_000,
  unpublishTimeoutMs: 5_000,
  schemaTimeoutMs: 5_000,
  queueCapacity: 16,
  highWaterMark: 256 * 1024,
  lowWaterMark: 64 * 1024,
} satisfies Required<DataTrackSettings>;

export class DataTrackController
  extends TypedEmitter<DataTrackControllerEvents>
  implements DataTrackHostListener, LocalDataTrackApi, RemoteDataTrackApi
{
  readonly settings: Readonly<Required<DataTrackSettings>>;
  readonly keyProvider: KeyProvider | null;
  /** The state machines of the current connection (created on first use, dropped on disconnect). */
  private publisherMachine?: NativePublisher;
  private subscriberMachine?: NativeSubscriber;
  /** Fires at the machines' earliest deadline. */
  private readonly timer = new DeadlineTimer((t) => this.onDeadline(t));
  private draining = false;
  private readonly sender: FrameSender;
  private readonly local: LocalTracks;
  private readonly remote: RemoteTracks;
  private readonly schemas: SchemaStore;

  constructor(
    private readonly host: DataTrackHost,
    options: DataTrackControllerOptions = {},
  ) {
    super();
    const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.settings = Object.freeze({ ...DEFAULTS, ...defined }) as Required<DataTrackSettings>;
    this.keyProvider = options.encryption?.keyProvider ?? null;
    const cryptor = this.keyProvider ? new DataTrackFrameCryptor(this.keyProvider) : null;
    const s = this.settings;
    this.sender = new FrameSender(() => this.publisher(), () => host.dataTrackChannel(), {
      highWaterMark: s.highWaterMark,
      lowWaterMark: Math.min(s.lowWaterMark, s.highWaterMark),
    });
    const fed = () => this.fed();
    this.local = new LocalTracks(host, { publisher: () => this.publisher(), now, fed }, this.sender, cryptor, {
      published: (t) => emitSafely(this, 'localDataTrackPublished', t),
      unpublished: (t) => emitSafely(this, 'localDataTrackUnpublished', t),
    });
    this.remote = new RemoteTracks(host, { subscriber: () => this.subscriber(), now, fed }, cryptor, {
      published: (t) => emitSafely(this, 'dataTrackPublished', t),
      unpublished: (t) => emitSafely(this, 'dataTrackUnpublished', t),
    });
    this.schemas = new SchemaStore(host, s.schemaTimeoutMs);
  }

  // ---- API behind LocalParticipant ----

  /** `localParticipant.publishDataTrack(name | options)` */
  publishDataTrack(options: string | DataTrackPublishOptions): Promise<LocalDataTrack> {
    return this.local.publish(options);
  }

  /** `localParticipant.dataTracks`: published tracks by name (a live map). */
  get localDataTracks(): ReadonlyMap<string, LocalDataTrack> {
    return this.local.byName;
  }

  /** `localParticipant.defineSchema(id, definition)`: stores a definition in the SFU for subscribers. */
  defineSchema(id: DataTrackSchemaId, definition: string | Uint8Array, options?: { signal?: AbortSignal }): Promise<void> {
    return this.schemas.define(id, definition, options);
  }

  /** `localParticipant.getSchema(id, identity)`: a definition stored by `identity`. */
  getSchema(id: DataTrackSchemaId, identity: string, options?: { signal?: AbortSignal }): Promise<string> {
    return this.schemas.get(id, identity, options);
  }

  // ---- API behind RemoteParticipant ----

  /** `participant.dataTracks`: the live name → track map of a remote participant. */
  remoteDataTracks(identity: string): ReadonlyMap<string, RemoteDataTrack> {
    return this.remote.tracksOf(identity);
  }

  /** `participant.waitForDataTrack(name, { signal })` */
  waitForDataTrack(identity: string, name: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<RemoteDataTrack> {
    // Nothing would ever resolve the wait: tracks are only discovered while connected.
    if (!this.host.isConnected()) return Promise.reject(new DataTrackSubscribeError('disconnected', 'the room is not connected'));
    return this.remote.waitForTrack(identity, name, options);
  }

  /** True if the Room should route this RequestResponse here (schema requests use a reserved id range). */
  ownsRequestId(requestId: number): boolean {
    return SchemaStore.owns(requestId);
  }

  // ---- DataTrackHostListener ----

  onJoined(join: JoinResponse): void {
    this.guard('onJoined', () => {
      this.remote.onJoined(join.otherParticipants);
      this.publisher().joined();
      this.fed();
    });
  }

  onRemoteParticipantInfo(info: ParticipantInfo): void {
    this.guard('onRemoteParticipantInfo', () => this.remote.onParticipantInfo(info));
  }

  onRemoteParticipantLeft(identity: string): void {
    this.guard('onRemoteParticipantLeft', () => this.remote.onParticipantLeft(identity));
  }

  onSignalResponse(message: SignalResponse['message']): void {
    this.guard('onSignalResponse', () => {
      switch (message.case) {
        case 'publishDataTrackResponse':
          this.local.onPublishResponse(message.value.info);
          break;
        case 'unpublishDataTrackResponse':
          this.local.onUnpublishResponse(message.value.info);
          break;
        case 'requestResponse':
          if (!this.local.onRequestResponse(message.value)) this.schemas.onRequestResponse(message.value);
          break;
        case 'dataTrackSubscriberHandles':
          this.remote.onSubscriberHandles(message.value);
          break;
        case 'storeDataBlobResponse':
          this.schemas.onStoreResponse(message.value);
          break;
        case 'getDataBlobResponse':
          this.schemas.onGetResponse(message.value);
          break;
        default:
          break;
      }
    });
  }

  onDataTrackMessage(packet: Uint8Array): void {
    try {
      this.remote.onPacket(packet);
    } catch (err) {
      debug('receive path failed: %s', (err as Error).message);
    }
  }

  onChannelOpen(): void {
    this.guard('onChannelOpen', () => {
      this.remote.onChannelOpen();
      this.sender.flush();
    });
  }

  syncStatePublishedTracks(): PublishDataTrackResponse[] {
    try {
      return this.local.syncStatePublishedTracks();
    } catch (err) {
      debug('syncStatePublishedTracks failed: %s', (err as Error).message);
      return [];
    }
  }

  onResumed(): void {
    this.guard('onResumed', () => this.sender.flush());
  }

  onRestarting(): void {
    this.guard('onRestarting', () => {
      this.publisher().restarting();
      this.remote.onRestarting();
      this.fed();
    });
  }

  onDisconnected(reason: string): void {
    this.guard('onDisconnected', () => {
      debug('disconnected: %s', reason);
      this.publisherMachine?.disconnected();
      this.subscriberMachine?.disconnected();
      this.fed();
      this.schemas.onDisconnected();
      // A later connect starts from scratch, handles included (as livekit-client does).
      this.local.forgetConnection();
      this.remote.forgetConnection();
      this.publisherMachine = undefined;
      this.subscriberMachine = undefined;
      this.timer.cancel();
    });
  }

  // ---- internals ----

  private publisher(): NativePublisher {
    const s = this.settings;
    this.publisherMachine ??= new (native().Publisher)({
      nowMs: now(),
      queueCapacity: s.queueCapacity,
      publishTimeoutMs: s.publishTimeoutMs,
      unpublishTimeoutMs: s.unpublishTimeoutMs,
    });
    return this.publisherMachine;
  }

  private subscriber(): NativeSubscriber {
    this.subscriberMachine ??= new (native().Subscriber)({ nowMs: now(), subscribeTimeoutMs: this.settings.subscribeTimeoutMs });
    return this.subscriberMachine;
  }

  /**
   * After every input to a machine: hands its events to the JS side, then arms the timer for the
   * earliest deadline. Inputs made while handling events (user code runs in event listeners) are
   * picked up by the loop already running.
   */
  private fed(): void {
    if (this.draining) return;
    this.draining = true;
    try {
      for (;;) {
        const published = this.publisherMachine?.pollEvents() ?? [];
        const subscribed = this.subscriberMachine?.pollEvents() ?? [];
        if (published.length === 0 && subscribed.length === 0) break;
        for (const e of published) this.guard(e.kind, () => this.local.handle(e));
        for (const e of subscribed) this.guard(e.kind, () => this.remote.handle(e));
      }
    } finally {
      this.draining = false;
    }
    const a = this.publisherMachine?.pollTimeout() ?? null;
    const b = this.subscriberMachine?.pollTimeout() ?? null;
    this.timer.arm(a === null ? b : b === null ? a : Math.min(a, b));
  }

  private onDeadline(nowMs: number): void {
    this.guard('handleTimeout', () => {
      this.publisherMachine?.handleTimeout(nowMs);
      this.subscriberMachine?.handleTimeout(nowMs);
      this.fed();
    });
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      debug('%s failed: %s', what, (err as Error).stack ?? err);
    }
  }
}
