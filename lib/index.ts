// livekit-datatrack-node: LiveKit data tracks for Node.js.
// The public surface: the Room and its participants, data tracks, E2EE keys. The development SFU
// is a subpath of its own (`livekit-datatrack-node/dev-server`), so this entry loads none of it.

export {
  Room,
  RoomEvent,
  ParticipantEvent,
  ConnectionState,
  DisconnectReason,
  RoomError,
  RoomErrorReason,
  Participant,
  ParticipantKind,
  LocalParticipant,
  RemoteParticipant,
  ConnectError,
  ConnectErrorReason,
  type RoomEventCallbacks,
  type ParticipantEventCallbacks,
  type LocalParticipantEventCallbacks,
  type RemoteParticipantEventCallbacks,
  type ParticipantPermissions,
  type RoomOptions,
  type RoomConnectOptions,
  type ReconnectPolicy,
  type ReconnectPolicyOptions,
  ExponentialBackoffPolicy,
  DEFAULT_RECONNECT_POLICY,
  type SimulateScenario,
  type RoomEncryptionOptions,
  type IceServerConfig,
} from './room';

export {
  DataTrackError,
  DataTrackPublishError,
  DataTrackPushError,
  DataTrackSubscribeError,
  DataTrackSchemaStoreError,
  DataTrackSchemaError,
  DataTrackFrame,
  DataTrackStream,
  LocalDataTrack,
  RemoteDataTrack,
  msSinceTimestamp,
  validateSchema,
  type DataTrackPublishErrorReason,
  type DataTrackPushErrorReason,
  type DataTrackSubscribeErrorReason,
  type DataTrackSchemaStoreErrorReason,
  type DataTrackSchemaErrorReason,
  type DataTrackStreamEndReason,
  type DataTrackStreamStats,
  type DataTrackSendOptions,
  type DataTrackFrameBatch,
  type DataTrackPushFramesResult,
  type DataTrackFrameEncoding,
  type DataTrackSchemaEncoding,
  type DataTrackSchemaId,
  type DataTrackInfo,
  type DataTrackPublishOptions,
  type DataTrackSettings,
  type DataTrackSubscribeOptions,
  type LocalDataTrackStats,
  type QueueFullPolicy,
  type RemoteDataTrackPipelineOptions,
  type RemoteDataTrackStats,
} from './datatrack';

export { KeyProvider, E2eeError, type KeyProviderOptions, type KeyProviderEvents, type E2EEOptions } from './e2ee';

export { LiveKitError } from './errors';
export { SignalProtocolError, SignalProtocolErrorReason, SIGNAL_PROTOCOL_WARNING_CODE } from './signal/errors';
