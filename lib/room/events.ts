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
  /** Emitted by the data-track layer. */
  DataTrackPublished = 'dataTrackPublished',
  /** Emitted by the data-track layer. */
  DataTrackUnpublished = 'dataTrackUnpublished',
  /** Emitted by the data-track layer. */
  LocalDataTrackPublished = 'localDataTrackPublished',
  /** Emitted by the data-track layer. */
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
