import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ClientInfo,
  ConnectionSettings,
  JoinRequest,
  ReconnectReason,
  SessionDescription,
  WrappedJoinRequest,
  WrappedJoinRequest_Compression,
} from '../protocol';

export interface JoinRequestOptions {
  clientInfo: ClientInfo;
  /** Left unset when undefined: the server then treats it as false. */
  autoSubscribeDataTrack?: boolean;
  /** The publisher PC's offer; the server answers it right after the join response. */
  publisherOffer?: { sdp: string; id: number };
  /** Present for a resume of an existing session. */
  resume?: { participantSid: string; reason: ReconnectReason };
}

export function buildJoinRequest(opts: JoinRequestOptions): JoinRequest {
  const req = new JoinRequest({
    clientInfo: opts.clientInfo,
    connectionSettings: new ConnectionSettings({
      // Media auto-subscription would make the SFU ask for media sections this client never has.
      autoSubscribe: false,
      adaptiveStream: false,
      autoSubscribeDataTrack: opts.autoSubscribeDataTrack,
    }),
  });
  if (opts.publisherOffer) {
    req.publisherOffer = new SessionDescription({
      type: 'offer',
      sdp: opts.publisherOffer.sdp,
      id: opts.publisherOffer.id,
    });
  }
  if (opts.resume) {
    req.reconnect = true;
    req.participantSid = opts.resume.participantSid;
    req.reconnectReason = opts.resume.reason;
  }
  return req;
}

/**
 * The `join_request` query value: base64url (padded, as Go's URLEncoding expects) of a
 * WrappedJoinRequest, gzip-compressed only when that is actually smaller.
 */
export function encodeJoinRequest(req: JoinRequest): string {
  const raw = req.toBinary();
  const gz = gzipSync(raw);
  const wrapped =
    gz.length < raw.length
      ? new WrappedJoinRequest({ compression: WrappedJoinRequest_Compression.GZIP, joinRequest: gz })
      : new WrappedJoinRequest({ compression: WrappedJoinRequest_Compression.NONE, joinRequest: raw });
  return Buffer.from(wrapped.toBinary()).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

/** Inverse of encodeJoinRequest; accepts padded and unpadded input. */
export function decodeJoinRequest(value: string): JoinRequest {
  const wrapped = WrappedJoinRequest.fromBinary(Buffer.from(value, 'base64url'));
  const inner =
    wrapped.compression === WrappedJoinRequest_Compression.GZIP
      ? gunzipSync(wrapped.joinRequest, { maxOutputLength: 1 << 20 })
      : wrapped.joinRequest;
  return JoinRequest.fromBinary(inner);
}
