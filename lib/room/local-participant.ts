import { ParticipantInfo, type ParticipantPermission } from '../protocol';
import type { LocalDataTrack } from '../datatrack/local-track';
import type { LocalDataTrackApi } from '../datatrack/participant-api';
import type { DataTrackSchemaId } from '../datatrack/schema';
import type { DataTrackPublishOptions } from '../datatrack/types';
import type { LocalParticipantEventCallbacks } from './events';
import { Participant } from './participant';

export interface ParticipantPermissions {
  canSubscribe: boolean;
  canPublish: boolean;
  canPublishData: boolean;
  canUpdateMetadata: boolean;
  canSubscribeMetrics: boolean;
  hidden: boolean;
}

/**
 * This client's participant. The object lives as long as the Room, so references to it stay
 * valid across reconnects; its identity is empty until the first join.
 */
export class LocalParticipant extends Participant<LocalParticipantEventCallbacks> {
  /** @internal */
  constructor(private readonly dataTrackApi: LocalDataTrackApi) {
    super(new ParticipantInfo());
  }

  /** What the token allows, as last reported by the server; undefined before the first join. */
  get permissions(): ParticipantPermissions | undefined {
    const p: ParticipantPermission | undefined = this._info.permission;
    if (!p) return undefined;
    return {
      canSubscribe: p.canSubscribe,
      canPublish: p.canPublish,
      canPublishData: p.canPublishData,
      canUpdateMetadata: p.canUpdateMetadata,
      canSubscribeMetrics: p.canSubscribeMetrics,
      hidden: p.hidden,
    };
  }

  /**
   * Publishes a data track; resolves once the SFU has accepted it. Rejects with
   * DataTrackPublishError (reason: notAllowed, duplicateName, invalidName, invalidSchema,
   * timeout, limitReached, disconnected, cancelled, internal).
   * With room E2EE (`new Room({ encryption })`) the track is encrypted; that is decided here,
   * at publish time.
   */
  publishDataTrack(options: string | DataTrackPublishOptions): Promise<LocalDataTrack> {
    return this.dataTrackApi.publishDataTrack(options);
  }

  /** This participant's published data tracks by name (a live map). */
  get dataTracks(): ReadonlyMap<string, LocalDataTrack> {
    return this.dataTrackApi.localDataTracks;
  }

  /**
   * Stores a schema definition in the SFU for subscribers to fetch (needs the SFU's data-blob
   * store). Rejects with DataTrackSchemaStoreError.
   */
  defineSchema(id: DataTrackSchemaId, definition: string | Uint8Array, options?: { signal?: AbortSignal }): Promise<void> {
    return this.dataTrackApi.defineSchema(id, definition, options);
  }

  /** Fetches the definition `identity` stored for `id`. Rejects with DataTrackSchemaStoreError. */
  getSchema(id: DataTrackSchemaId, identity: string, options?: { signal?: AbortSignal }): Promise<string> {
    return this.dataTrackApi.getSchema(id, identity, options);
  }

  /**
   * Adopts the info of a (new) session unconditionally: after a full reconnect the SID changes.
   * @internal
   */
  resetInfo(info: ParticipantInfo): void {
    this._info = info;
  }
}
