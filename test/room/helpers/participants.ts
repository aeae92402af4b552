// Participant objects as a Room makes them, for tests of the participant registry: a fresh,
// never-connected Room supplies the local participant and the data-track controller.

import type { ParticipantInfo } from '@livekit/protocol';
import { ROOM_INTERNALS } from '../../../lib/room/internals';
import type { LocalParticipant } from '../../../lib/room/local-participant';
import { RemoteParticipant } from '../../../lib/room/remote-participant';
import { Room } from '../../../lib/room/room';

export function participantsOfNewRoom(): {
  local: LocalParticipant;
  createRemote: (info: ParticipantInfo) => RemoteParticipant;
} {
  const room = new Room();
  const dataTracks = room[ROOM_INTERNALS].dataTracks;
  return { local: room.localParticipant, createRemote: (info) => new RemoteParticipant(info, dataTracks) };
}
