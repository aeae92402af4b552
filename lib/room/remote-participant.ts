import type { ParticipantInfo } from '@livekit/protocol';
import { Participant } from './participant';

/** Another participant in the room. Keyed by identity in `room.remoteParticipants`. */
export class RemoteParticipant extends Participant {
  /**
   * A new session of the same identity took over (its full reconnect): the object stays, the SID
   * and info are the new session's.
   * @internal
   */
  _adoptSession(info: ParticipantInfo): void {
    this._info = info;
  }
}
