export { SignalClient, SignalLossReason, DEFAULT_CONNECT_TIMEOUT_MS } from './signal-client';
export type { SignalClientHandler, SignalConnectOptions, FirstSignalMessage } from './signal-client';
export { ConnectError, ConnectErrorReason, SignalProtocolError, SignalProtocolErrorReason, SIGNAL_PROTOCOL_WARNING_CODE } from './errors';
export { buildJoinRequest, encodeJoinRequest, decodeJoinRequest } from './join-request';
export type { JoinRequestOptions } from './join-request';
export { buildRtcUrl, buildValidateUrl } from './url';
export { buildClientInfo, PROTOCOL_VERSION, CLIENT_PROTOCOL, sdkVersion } from './client-info';
