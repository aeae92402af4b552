// How a Room gets its data-track layer: one controller per Room, its events re-emitted as
// RoomEvents with the participant object, and participants bound to it for their data-track API.

import type { E2EEOptions } from '../e2ee/key-provider';
import { KeyProvider } from '../e2ee/key-provider';
import { RoomEvent } from '../room/events';
import type { LocalParticipant } from '../room/local-participant';
import type { RemoteParticipant } from '../room/remote-participant';
import type { DataTrackHost } from './host';
import { DataTrackController } from './controller';
import { registerRoomController } from './participant-api';
import type { DataTrackSettings } from './types';

/** The parts of a Room the integration needs (kept structural so room.ts can pass `this`). */
export interface DataTrackRoom extends DataTrackHost {
  readonly localParticipant: LocalParticipant;
  readonly remoteParticipants: ReadonlyMap<string, RemoteParticipant>;
  emit(event: string, ...args: unknown[]): boolean;
}

export interface DataTrackRoomOptions {
  encryption?: E2EEOptions | { [key: string]: unknown };
  dataTracks?: DataTrackSettings;
}

/** Participant objects last bound per identity, so unpublish events after a leave still name one. */
const lastSeen = new WeakMap<DataTrackController, Map<string, RemoteParticipant>>();

/** Room.createDataTrackListener: the controller for `room`. */
export function createDataTrackController(room: DataTrackRoom, options: DataTrackRoomOptions = {}): DataTrackController {
  const encryption = options.encryption as E2EEOptions | undefined;
  if (encryption !== undefined && !(encryption.keyProvider instanceof KeyProvider)) {
    throw new TypeError('encryption.keyProvider must be a KeyProvider');
  }
  const controller = new DataTrackController(room, { ...options.dataTracks, encryption });
  const seen = new Map<string, RemoteParticipant>();
  lastSeen.set(controller, seen);
  registerRoomController(room, controller);
  const participantOf = (identity: string) => room.remoteParticipants.get(identity) ?? seen.get(identity);

  controller.on('dataTrackPublished', (track) => {
    const participant = participantOf(track.publisherIdentity);
    if (participant) seen.set(track.publisherIdentity, participant);
    room.emit(RoomEvent.DataTrackPublished, track, participant);
  });
  controller.on('dataTrackUnpublished', (track) => {
    room.emit(RoomEvent.DataTrackUnpublished, track, participantOf(track.publisherIdentity));
  });
  controller.on('localDataTrackPublished', (track) => room.emit(RoomEvent.LocalDataTrackPublished, track));
  controller.on('localDataTrackUnpublished', (track) => room.emit(RoomEvent.LocalDataTrackUnpublished, track));
  return controller;
}
