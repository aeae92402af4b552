import { DisconnectReason as ProtoDisconnectReason } from '../protocol';

/** Why a room disconnected: the server's reasons (mirroring the protocol enum) plus client-side ones. */
export enum DisconnectReason {
  Unknown = 'unknown',
  ClientInitiated = 'clientInitiated',
  DuplicateIdentity = 'duplicateIdentity',
  ServerShutdown = 'serverShutdown',
  ParticipantRemoved = 'participantRemoved',
  RoomDeleted = 'roomDeleted',
  StateMismatch = 'stateMismatch',
  JoinFailure = 'joinFailure',
  Migration = 'migration',
  /** The signal connection closed or stopped answering pings. */
  SignalClose = 'signalClose',
  RoomClosed = 'roomClosed',
  UserUnavailable = 'userUnavailable',
  UserRejected = 'userRejected',
  SipTrunkFailure = 'sipTrunkFailure',
  ConnectionTimeout = 'connectionTimeout',
  MediaFailure = 'mediaFailure',
  AgentError = 'agentError',
  /** The peer connection failed (ICE/DTLS). Client-side only. */
  TransportFailure = 'transportFailure',
}

const FROM_PROTO: Record<number, DisconnectReason> = {
  [ProtoDisconnectReason.UNKNOWN_REASON]: DisconnectReason.Unknown,
  [ProtoDisconnectReason.CLIENT_INITIATED]: DisconnectReason.ClientInitiated,
  [ProtoDisconnectReason.DUPLICATE_IDENTITY]: DisconnectReason.DuplicateIdentity,
  [ProtoDisconnectReason.SERVER_SHUTDOWN]: DisconnectReason.ServerShutdown,
  [ProtoDisconnectReason.PARTICIPANT_REMOVED]: DisconnectReason.ParticipantRemoved,
  [ProtoDisconnectReason.ROOM_DELETED]: DisconnectReason.RoomDeleted,
  [ProtoDisconnectReason.STATE_MISMATCH]: DisconnectReason.StateMismatch,
  [ProtoDisconnectReason.JOIN_FAILURE]: DisconnectReason.JoinFailure,
  [ProtoDisconnectReason.MIGRATION]: DisconnectReason.Migration,
  [ProtoDisconnectReason.SIGNAL_CLOSE]: DisconnectReason.SignalClose,
  [ProtoDisconnectReason.ROOM_CLOSED]: DisconnectReason.RoomClosed,
  [ProtoDisconnectReason.USER_UNAVAILABLE]: DisconnectReason.UserUnavailable,
  [ProtoDisconnectReason.USER_REJECTED]: DisconnectReason.UserRejected,
  [ProtoDisconnectReason.SIP_TRUNK_FAILURE]: DisconnectReason.SipTrunkFailure,
  [ProtoDisconnectReason.CONNECTION_TIMEOUT]: DisconnectReason.ConnectionTimeout,
  [ProtoDisconnectReason.MEDIA_FAILURE]: DisconnectReason.MediaFailure,
  [ProtoDisconnectReason.AGENT_ERROR]: DisconnectReason.AgentError,
};

export function disconnectReasonFromProto(reason: ProtoDisconnectReason): DisconnectReason {
  return FROM_PROTO[reason] ?? DisconnectReason.Unknown;
}
