// The data-track layer of a Room: the Room feeds it connection facts through DataTrackHostListener
// and it owns everything data-track (native managers, public track objects, streams, E2EE).
// The participants delegate their data-track members here; the Room passes this controller's
// events on to the participants and then emits them itself (room-integration.ts).

import { debuglog } from 'node:util';
import type { JoinResponse, ParticipantInfo, PublishDataTrackResponse, SignalResponse } from '@livekit/protocol';
import { type NativeLocalManager, type NativeRemoteManager, native } from '../native/binding';
import { DataTrackFrameCryptor } from '../e2ee/frame-cryptor';
import type { E2EEOptions, KeyProvider } from '../e2ee/key-provider';
import { emitSafely, TypedEmitter } from '../room/typed-emitter';
import { DataTrackSubscribeError } from './errors';
import type { DataTrackHost, DataTrackHostListener } from './host';
import { LocalPublications } from './local-publications';
import type { LocalDataTrack } from './local-track';
import type { LocalDataTrackApi, RemoteDataTrackApi } from './participant-api';
import { RemotePublications } from './remote-publications';
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
  private localManager?: NativeLocalManager;
  private remoteManager?: NativeRemoteManager;
  private readonly sender: FrameSender;
  private readonly local: LocalPublications;
  private readonly remote: RemotePublications;
  private readonly schemas: SchemaStore;
  /** Between onRestarting and the next onJoined. */
  private restarting = false;

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
    this.sender = new FrameSender(() => this.nativeLocal(), () => host.dataTrackChannel(), {
      highWaterMark: s.highWaterMark,
      lowWaterMark: Math.min(s.lowWaterMark, s.highWaterMark),
    });
    this.local = new LocalPublications(
      host,
      () => this.nativeLocal(),
      this.sender,
      cryptor,
      { publishTimeoutMs: s.publishTimeoutMs, unpublishTimeoutMs: s.unpublishTimeoutMs, queueCapacity: s.queueCapacity },
      {
        published: (t) => emitSafely(this, 'localDataTrackPublished', t),
        unpublished: (t) => emitSafely(this, 'localDataTrackUnpublished', t),
      },
    );
    this.remote = new RemotePublications(
      host,
      () => this.nativeRemote(),
      cryptor,
      { subscribeTimeoutMs: s.subscribeTimeoutMs },
      {
        published: (t) => emitSafely(this, 'dataTrackPublished', t),
        unpublished: (t) => emitSafely(this, 'dataTrackUnpublished', t),
      },
    );
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
      this.restarting = false;
      this.remote.onJoined(join.otherParticipants);
      this.local.onJoined();
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
      this.restarting = true;
      this.local.onRestarting();
      this.remote.onRestarting();
    });
  }

  onDisconnected(reason: string): void {
    this.guard('onDisconnected', () => {
      debug('disconnected: %s', reason);
      this.restarting = false;
      this.local.onDisconnected();
      this.remote.onDisconnected();
      this.schemas.onDisconnected();
      // A later connect starts from scratch, handles included (as livekit-client does).
      this.localManager = undefined;
      this.remoteManager = undefined;
    });
  }

  /** True between the start of a full reconnect and the next join. */
  get isRestarting(): boolean {
    return this.restarting;
  }

  // ---- internals ----

  private nativeLocal(): NativeLocalManager {
    this.localManager ??= new (native().LocalManager)({ queueCapacity: this.settings.queueCapacity });
    return this.localManager;
  }

  private nativeRemote(): NativeRemoteManager {
    this.remoteManager ??= new (native().RemoteManager)();
    return this.remoteManager;
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      debug('%s failed: %s', what, (err as Error).stack ?? err);
    }
  }
}
