import type { LocalDataTrack, RemoteDataTrack } from '../datatrack';
import type { ConnectionState } from './connection-state';
import type { DisconnectReason } from './disconnect-reason';
import type { RemoteParticipant } from './remote-participant';

/** Room events. Values are camelCase strings, as in livekit-client and @livekit/rtc-node. */
export enum RoomEvent {
  Connected = 'connected',
  Disconnected = 'disconnected',
  Reconnecting = 'reconnecting',
  Reconnected = 'reconnected',
  ConnectionStateChanged = 'connectionStateChanged',
  ParticipantConnected = 'participantConnected',
  ParticipantDisconnected = 'participantDisconnected',
  /** A remote participant published a data track; emitted after the participant's own event. */
  DataTrackPublished = 'dataTrackPublished',
  /** A remote data track went away (unpublished, publisher left, or this room disconnected); after the participant's event. */
  DataTrackUnpublished = 'dataTrackUnpublished',
  /** This participant's track was published; emitted after the local participant's event. */
  LocalDataTrackPublished = 'localDataTrackPublished',
  /** This participant's track was unpublished (by unpublish(), the SFU or a disconnect); after the local participant's event. */
  LocalDataTrackUnpublished = 'localDataTrackUnpublished',
}

/** Listener signatures per event. */
export type RoomEventCallbacks = {
  connected: () => void;
  disconnected: (reason: DisconnectReason) => void;
  reconnecting: () => void;
  reconnected: () => void;
  connectionStateChanged: (state: ConnectionState) => void;
  participantConnected: (participant: RemoteParticipant) => void;
  participantDisconnected: (participant: RemoteParticipant) => void;
  dataTrackPublished: (track: RemoteDataTrack, participant: RemoteParticipant) => void;
  dataTrackUnpublished: (track: RemoteDataTrack, participant: RemoteParticipant) => void;
  localDataTrackPublished: (track: LocalDataTrack) => void;
  localDataTrackUnpublished: (track: LocalDataTrack) => void;
};

/**
 * Participant events: each fires on the participant concerned first, then as the RoomEvent of the
 * same name on the room (like livekit-client's ParticipantEvent). The local ones fire on
 * `room.localParticipant`, the others on the RemoteParticipant that published the track.
 */
export enum ParticipantEvent {
  DataTrackPublished = 'dataTrackPublished',
  DataTrackUnpublished = 'dataTrackUnpublished',
  LocalDataTrackPublished = 'localDataTrackPublished',
  LocalDataTrackUnpublished = 'localDataTrackUnpublished',
}

/** Listener signatures of a LocalParticipant's events. */
export type LocalParticipantEventCallbacks = {
  localDataTrackPublished: (track: LocalDataTrack) => void;
  localDataTrackUnpublished: (track: LocalDataTrack) => void;
};

/** Listener signatures of a RemoteParticipant's events. */
export type RemoteParticipantEventCallbacks = {
  dataTrackPublished: (track: RemoteDataTrack) => void;
  dataTrackUnpublished: (track: RemoteDataTrack) => void;
};

/** Every participant event, for code that handles a Participant of either kind. */
export type ParticipantEventCallbacks = LocalParticipantEventCallbacks & RemoteParticipantEventCallbacks;
