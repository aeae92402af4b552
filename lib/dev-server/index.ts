export { DevServer } from './server';
export type { DevServerOptions, ForwardInfo, RoomSnapshot, ParticipantSnapshot } from './server';
export { mintToken } from './auth';
export type { TokenGrants, VideoGrant } from './auth';
