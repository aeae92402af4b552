export { DevServer } from './server';
export type { DevServerOptions, ForwardInfo, RoomSnapshot, ParticipantSnapshot } from './server';
export type { TokenGrants, VideoGrant } from './auth';
