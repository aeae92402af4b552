import { gunzipSync } from 'node:zlib';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ClientInfo_SDK,
  JoinRequest,
  ReconnectReason,
  WrappedJoinRequest,
  WrappedJoinRequest_Compression,
} from '@livekit/protocol';
import { protocolVersion as livekitClientProtocol } from 'livekit-client';
import { buildClientInfo, PROTOCOL_VERSION } from '../../lib/signal/client-info';
import { buildJoinRequest, decodeJoinRequest, encodeJoinRequest } from '../../lib/signal/join-request';

/** Decodes the way the Go server does: strict URL-safe alphabet, padding required. */
function decodeLikeServer(value: string): { wrapped: WrappedJoinRequest; inner: JoinRequest } {
  expect(value).toMatch(/^[A-Za-z0-9_-]*={0,2}$/);
  expect(value.length % 4).toBe(0);
  const wrapped = WrappedJoinRequest.fromBinary(Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64'));
  const bytes =
    wrapped.compression === WrappedJoinRequest_Compression.GZIP ? gunzipSync(wrapped.joinRequest) : wrapped.joinRequest;
  return { wrapped, inner: JoinRequest.fromBinary(bytes) };
}

const ourVersion = (JSON.parse(fs.readFileSync(path.join(__dirname, '../../package.json'), 'utf8')) as { version: string })
  .version;

// A realistic libdatachannel offer is a few hundred bytes; repetition makes gzip worthwhile.
const OFFER_SDP = [
  'v=0',
  'o=rtc 1415279927 0 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=msid-semantic:WMS *',
  'a=ice-options:ice2,trickle',
  'a=fingerprint:sha-256 E5:FD:CA:79:C6:63:C2:5F:EF:A0:D5:E2:44:EE:7A:76:96:F4:A8:7E:8A:B4:D7:DC:D0:02:A5:9B:34:0C:E0:34',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
  'c=IN IP4 0.0.0.0',
  'a=mid:0',
  'a=sendrecv',
  'a=sctp-port:5000',
  'a=max-message-size:262144',
  'a=setup:actpass',
  'a=ice-ufrag:spHF',
  'a=ice-pwd:nNFOw0p3Yxha8tkvj789CM',
  '',
].join('\r\n');

describe('client info', () => {
  it('speaks the same signal protocol level as livekit-client', () => {
    expect(PROTOCOL_VERSION).toBe(17);
    expect(PROTOCOL_VERSION).toBe(livekitClientProtocol);
  });

  it('identifies as the Node SDK with our package version and the host OS', () => {
    const info = buildClientInfo();
    expect(info.sdk).toBe(ClientInfo_SDK.NODE);
    expect(info.version).toBe(ourVersion);
    expect(info.protocol).toBe(17);
    expect(info.os).toBe(process.platform);
    expect(info.osVersion).not.toBe('');
    // No RPC/data-stream support, so no client_protocol level claimed.
    expect(info.clientProtocol).toBe(0);
  });
});

describe('join request', () => {
  it('carries client info, connection settings and the publisher offer with its id', () => {
    const encoded = encodeJoinRequest(
      buildJoinRequest({
        clientInfo: buildClientInfo(),
        autoSubscribeDataTrack: true,
        publisherOffer: { sdp: OFFER_SDP, id: 1 },
      }),
    );
    const { inner } = decodeLikeServer(encoded);
    expect(inner.clientInfo?.sdk).toBe(ClientInfo_SDK.NODE);
    expect(inner.clientInfo?.protocol).toBe(17);
    expect(inner.clientInfo?.version).toBe(ourVersion);
    expect(inner.connectionSettings?.autoSubscribeDataTrack).toBe(true);
    // Data-only client: no media auto-subscription, no adaptive stream.
    expect(inner.connectionSettings?.autoSubscribe).toBe(false);
    expect(inner.connectionSettings?.adaptiveStream).toBe(false);
    expect(inner.publisherOffer?.type).toBe('offer');
    expect(inner.publisherOffer?.sdp).toBe(OFFER_SDP);
    expect(inner.publisherOffer?.id).toBe(1);
    expect(inner.reconnect).toBe(false);
    expect(inner.participantSid).toBe('');
    expect(inner.reconnectReason).toBe(ReconnectReason.RR_UNKNOWN);
  });

  it('leaves auto_subscribe_data_track unset (server default off) unless asked', () => {
    const { inner } = decodeLikeServer(encodeJoinRequest(buildJoinRequest({ clientInfo: buildClientInfo() })));
    expect(inner.connectionSettings?.autoSubscribeDataTrack).toBeUndefined();
    expect(inner.publisherOffer).toBeUndefined();

    const off = decodeLikeServer(
      encodeJoinRequest(buildJoinRequest({ clientInfo: buildClientInfo(), autoSubscribeDataTrack: false })),
    );
    expect(off.inner.connectionSettings?.autoSubscribeDataTrack).toBe(false);
  });

  it('sets the resume fields for a reconnect', () => {
    const { inner } = decodeLikeServer(
      encodeJoinRequest(
        buildJoinRequest({
          clientInfo: buildClientInfo(),
          resume: { participantSid: 'PA_abc', reason: ReconnectReason.RR_SIGNAL_DISCONNECTED },
        }),
      ),
    );
    expect(inner.reconnect).toBe(true);
    expect(inner.participantSid).toBe('PA_abc');
    expect(inner.reconnectReason).toBe(ReconnectReason.RR_SIGNAL_DISCONNECTED);
  });

  it('gzips when that is smaller and not otherwise', () => {
    const big = decodeLikeServer(
      encodeJoinRequest(buildJoinRequest({ clientInfo: buildClientInfo(), publisherOffer: { sdp: OFFER_SDP, id: 1 } })),
    );
    expect(big.wrapped.compression).toBe(WrappedJoinRequest_Compression.GZIP);

    // An empty request gzips to more than its own size.
    const tiny = decodeLikeServer(encodeJoinRequest(new JoinRequest()));
    expect(tiny.wrapped.compression).toBe(WrappedJoinRequest_Compression.NONE);
    expect(tiny.wrapped.joinRequest.length).toBe(0);
  });

  it('round-trips through decodeJoinRequest, padded or not', () => {
    const req = buildJoinRequest({ clientInfo: buildClientInfo(), publisherOffer: { sdp: OFFER_SDP, id: 7 } });
    const encoded = encodeJoinRequest(req);
    expect(decodeJoinRequest(encoded).equals(req)).toBe(true);
    expect(decodeJoinRequest(encoded.replace(/=+$/, '')).equals(req)).toBe(true);
  });
});
