// How a Room gets its data-track layer: one controller per Room, whose events go to the participant
// they concern first and then to the Room (as livekit-client's ParticipantEvent and RoomEvent do).

import type { E2EEOptions } from '../e2ee/key-provider';
import { KeyProvider } from '../e2ee/key-provider';
import { ParticipantEvent, RoomEvent, type RoomEventCallbacks } from '../room/events';
import type { LocalParticipant } from '../room/local-participant';
import type { RemoteParticipant } from '../room/remote-participant';
import { emitSafely, type TypedEventEmitter } from '../room/typed-emitter';
import { DataTrackController } from './controller';
import type { DataTrackHost } from './host';
import type { RemoteDataTrack } from './remote-track';
import type { DataTrackSettings } from './types';

export interface DataTrackRoomOptions {
  encryption?: E2EEOptions | { [key: string]: unknown };
  dataTracks?: DataTrackSettings;
}

/** Where the controller's events go. */
export interface DataTrackEventTargets {
  readonly room: TypedEventEmitter<RoomEventCallbacks>;
  readonly localParticipant: LocalParticipant;
  /** The current participant object of `identity`, if any. */
  remoteParticipant(identity: string): RemoteParticipant | undefined;
}

/** The controller for a Room; throws a TypeError for encryption options without a KeyProvider. */
export function createDataTrackController(host: DataTrackHost, options: DataTrackRoomOptions = {}): DataTrackController {
  const encryption = options.encryption as E2EEOptions | undefined;
  if (encryption !== undefined && !(encryption.keyProvider instanceof KeyProvider)) {
    throw new TypeError('encryption.keyProvider must be a KeyProvider');
  }
  return new DataTrackController(host, { ...options.dataTracks, encryption });
}

/** Passes the controller's events on: the participant's event first, then the room's. */
export function routeDataTrackEvents(controller: DataTrackController, targets: DataTrackEventTargets): void {
  // The participant a track was announced with. An unpublish can come after the participant left
  // the registry (it left, or the room disconnected), and must still name it.
  const publisherOf = new WeakMap<RemoteDataTrack, RemoteParticipant>();
  const { room, localParticipant } = targets;

  controller.on('dataTrackPublished', (track) => {
    const participant = targets.remoteParticipant(track.publisherIdentity);
    if (participant) {
      publisherOf.set(track, participant);
      emitSafely(participant, ParticipantEvent.DataTrackPublished, track);
    }
    emitSafely(room, RoomEvent.DataTrackPublished, track, participant!);
  });
  controller.on('dataTrackUnpublished', (track) => {
    const participant = publisherOf.get(track) ?? targets.remoteParticipant(track.publisherIdentity);
    if (participant) emitSafely(participant, ParticipantEvent.DataTrackUnpublished, track);
    emitSafely(room, RoomEvent.DataTrackUnpublished, track, participant!);
  });
  controller.on('localDataTrackPublished', (track) => {
    emitSafely(localParticipant, ParticipantEvent.LocalDataTrackPublished, track);
    emitSafely(room, RoomEvent.LocalDataTrackPublished, track);
  });
  controller.on('localDataTrackUnpublished', (track) => {
    emitSafely(localParticipant, ParticipantEvent.LocalDataTrackUnpublished, track);
    emitSafely(room, RoomEvent.LocalDataTrackUnpublished, track);
  });
}
