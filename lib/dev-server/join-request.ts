// Turns the two URL forms of a join into one JoinRequest: v1 carries a serialized (maybe gzipped)
// WrappedJoinRequest in `join_request`; v0 spreads the same facts over individual query params.

import { gunzipSync } from 'node:zlib';
import {
  ClientInfo,
  ClientInfo_Capability,
  ClientInfo_SDK,
  ConnectionSettings,
  JoinRequest,
  WrappedJoinRequest,
  WrappedJoinRequest_Compression,
} from '../protocol';
import { HttpError } from './auth';

/** Same bound as the server (Go's default max header size). */
const MAX_JOIN_REQUEST_BYTES = 1 << 20;

export function decodeJoinRequestParam(param: string): JoinRequest {
  // Node's base64url decoder accepts padded and unpadded input, and also the standard alphabet.
  const wrappedBytes = Buffer.from(param, 'base64url');
  if (wrappedBytes.length === 0) throw new HttpError(400, 'cannot decode join request');
  let wrapped: WrappedJoinRequest;
  try {
    wrapped = WrappedJoinRequest.fromBinary(wrappedBytes);
  } catch {
    throw new HttpError(400, 'cannot decode join request');
  }
  let inner: Uint8Array = wrapped.joinRequest;
  if (wrapped.compression === WrappedJoinRequest_Compression.GZIP) {
    try {
      inner = gunzipSync(inner, { maxOutputLength: MAX_JOIN_REQUEST_BYTES });
    } catch {
      throw new HttpError(400, 'cannot decompress join request');
    }
  } else if (inner.length > MAX_JOIN_REQUEST_BYTES) {
    throw new HttpError(400, 'join request too large');
  }
  try {
    return JoinRequest.fromBinary(inner);
  } catch {
    throw new HttpError(400, 'cannot decode join request');
  }
}

const SDK_NAMES: Record<string, ClientInfo_SDK> = {
  js: ClientInfo_SDK.JS,
  ios: ClientInfo_SDK.SWIFT,
  swift: ClientInfo_SDK.SWIFT,
  android: ClientInfo_SDK.ANDROID,
  flutter: ClientInfo_SDK.FLUTTER,
  go: ClientInfo_SDK.GO,
  unity: ClientInfo_SDK.UNITY,
  reactnative: ClientInfo_SDK.REACT_NATIVE,
  rust: ClientInfo_SDK.RUST,
  python: ClientInfo_SDK.PYTHON,
  cpp: ClientInfo_SDK.CPP,
  unityweb: ClientInfo_SDK.UNITY_WEB,
  node: ClientInfo_SDK.NODE,
  esp32: ClientInfo_SDK.ESP32,
};

function bool(v: string | null): boolean {
  return v === '1' || v === 'true';
}

function int(v: string | null): number {
  const n = v === null ? NaN : Number.parseInt(v, 10);
  return Number.isFinite(n) ? n : 0;
}

/** The v0 `/rtc` query form, mapped onto the fields a v1 JoinRequest would carry. */
export function joinRequestFromQuery(q: URLSearchParams): JoinRequest {
  const capabilities = (q.get('capabilities') ?? '')
    .split(',')
    .map((name) => (ClientInfo_Capability as unknown as Record<string, number>)[name.trim()])
    .filter((c): c is number => typeof c === 'number');
  const clientInfo = new ClientInfo({
    sdk: SDK_NAMES[(q.get('sdk') ?? '').toLowerCase()] ?? ClientInfo_SDK.UNKNOWN,
    protocol: int(q.get('protocol')),
    clientProtocol: int(q.get('client_protocol')),
    version: q.get('version') ?? '',
    os: q.get('os') ?? '',
    osVersion: q.get('os_version') ?? '',
    browser: q.get('browser') ?? '',
    browserVersion: q.get('browser_version') ?? '',
    deviceModel: q.get('device_model') ?? '',
    network: q.get('network') ?? '',
    capabilities,
  });
  const settings = new ConnectionSettings({
    autoSubscribe: q.has('auto_subscribe') ? bool(q.get('auto_subscribe')) : true,
    adaptiveStream: bool(q.get('adaptive_stream')),
    disableIceLite: bool(q.get('disable_ice_lite')),
  });
  if (q.has('auto_subscribe_data_track')) settings.autoSubscribeDataTrack = bool(q.get('auto_subscribe_data_track'));
  const reconnect = bool(q.get('reconnect'));
  return new JoinRequest({
    clientInfo,
    connectionSettings: settings,
    reconnect,
    participantSid: reconnect ? (q.get('sid') ?? '') : '',
    reconnectReason: int(q.get('reconnect_reason')),
  });
}
