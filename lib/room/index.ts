export { Room } from './room';
export {
  RoomEvent,
  ParticipantEvent,
  type RoomEventCallbacks,
  type ParticipantEventCallbacks,
  type LocalParticipantEventCallbacks,
  type RemoteParticipantEventCallbacks,
} from './events';
export { ConnectionState } from './connection-state';
export { DisconnectReason } from './disconnect-reason';
export { RoomError, RoomErrorReason } from './errors';
export { Participant, ParticipantKind } from './participant';
export { LocalParticipant, type ParticipantPermissions } from './local-participant';
export { RemoteParticipant } from './remote-participant';
export type { RoomOptions, RoomConnectOptions, ReconnectPolicy, RoomEncryptionOptions } from './options';
export { ExponentialBackoffPolicy, DEFAULT_RECONNECT_POLICY, type ReconnectPolicyOptions } from './reconnect-policy';
export type { SimulateScenario } from './simulate';
export type { TypedEventEmitter } from './typed-emitter';
export { ConnectError, ConnectErrorReason } from '../signal/errors';
export type { IceServerConfig } from '../transport/ice';
