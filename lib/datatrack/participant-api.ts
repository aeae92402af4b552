// What the participant classes delegate their data-track members to. The Room's data-track
// controller implements both; each participant is handed it when the Room creates the participant.

import type { LocalDataTrack } from './local-track';
import type { RemoteDataTrack } from './remote-track';
import type { DataTrackSchemaId } from './schema';
import type { DataTrackPublishOptions } from './types';

/** Behind LocalParticipant's data-track members. */
export interface LocalDataTrackApi {
  publishDataTrack(options: string | DataTrackPublishOptions): Promise<LocalDataTrack>;
  /** Published tracks by name (a live map). */
  readonly localDataTracks: ReadonlyMap<string, LocalDataTrack>;
  defineSchema(id: DataTrackSchemaId, definition: string | Uint8Array, options?: { signal?: AbortSignal }): Promise<void>;
  getSchema(id: DataTrackSchemaId, identity: string, options?: { signal?: AbortSignal }): Promise<string>;
}

/** Behind RemoteParticipant's data-track members, keyed by the participant's identity. */
export interface RemoteDataTrackApi {
  /** The live name → track map of `identity`'s publications. */
  remoteDataTracks(identity: string): ReadonlyMap<string, RemoteDataTrack>;
  waitForDataTrack(identity: string, name: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<RemoteDataTrack>;
}
