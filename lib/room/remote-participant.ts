import type { ParticipantInfo } from '../protocol';
import type { RemoteDataTrackApi } from '../datatrack/participant-api';
import type { RemoteDataTrack } from '../datatrack/remote-track';
import type { RemoteParticipantEventCallbacks } from './events';
import { Participant } from './participant';

/** Another participant in the room. Keyed by identity in `room.remoteParticipants`. */
export class RemoteParticipant extends Participant<RemoteParticipantEventCallbacks> {
  /** @internal */
  constructor(
    info: ParticipantInfo,
    private readonly dataTrackApi: RemoteDataTrackApi,
  ) {
    super(info);
  }

  /** The participant's published data tracks by name (a live map; the same objects as the events carry). */
  get dataTracks(): ReadonlyMap<string, RemoteDataTrack> {
    return this.dataTrackApi.remoteDataTracks(this.identity);
  }

  /**
   * Resolves with the track named `name` as soon as it is published (at once if it is). Rejects
   * with DataTrackSubscribeError: 'timeout' (only with `timeoutMs`), 'cancelled' (the signal),
   * 'disconnected' (the room is not connected, or disconnects meanwhile).
   */
  waitForDataTrack(name: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<RemoteDataTrack> {
    return this.dataTrackApi.waitForDataTrack(this.identity, name, options);
  }

  /**
   * A new session of the same identity took over (its full reconnect): the object stays, the SID
   * and info are the new session's.
   * @internal
   */
  _adoptSession(info: ParticipantInfo): void {
    this._info = info;
  }
}
