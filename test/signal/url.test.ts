import { buildRtcUrl, buildValidateUrl } from '../../lib/signal/url';

describe('rtc url', () => {
  const cases: [string, string][] = [
    ['wss://example.livekit.cloud', 'wss://example.livekit.cloud/rtc/v1'],
    ['wss://example.livekit.cloud/', 'wss://example.livekit.cloud/rtc/v1'],
    ['ws://127.0.0.1:7880', 'ws://127.0.0.1:7880/rtc/v1'],
    ['http://localhost:7880', 'ws://localhost:7880/rtc/v1'],
    ['https://host.example', 'wss://host.example/rtc/v1'],
    ['wss://host/sub', 'wss://host/sub/rtc/v1'],
    ['https://host/sub/path/', 'wss://host/sub/path/rtc/v1'],
    ['ws://[::1]:7880', 'ws://[::1]:7880/rtc/v1'],
  ];
  it.each(cases)('%s → %s', (input, expected) => {
    const url = buildRtcUrl(input, {});
    expect(`${url.protocol}//${url.host}${url.pathname}`).toBe(expected);
  });

  it('adds the query parameters and keeps the ones already there', () => {
    const url = buildRtcUrl('wss://host/sub?region=eu', { access_token: 'a.b.c', join_request: 'AB-_==' });
    expect(url.searchParams.get('region')).toBe('eu');
    expect(url.searchParams.get('access_token')).toBe('a.b.c');
    expect(url.searchParams.get('join_request')).toBe('AB-_==');
  });

  it('rejects what is not a LiveKit URL', () => {
    expect(() => buildRtcUrl('not a url', {})).toThrow(TypeError);
    expect(() => buildRtcUrl('ftp://host', {})).toThrow(/scheme/);
  });

  it('derives the validate URL over http(s), same path prefix and query', () => {
    const secure = buildValidateUrl(buildRtcUrl('wss://host/sub', { access_token: 't' }));
    expect(secure.href).toBe('https://host/sub/rtc/v1/validate?access_token=t');
    const plain = buildValidateUrl(buildRtcUrl('ws://127.0.0.1:7880', { access_token: 't' }));
    expect(plain.href).toBe('http://127.0.0.1:7880/rtc/v1/validate?access_token=t');
  });
});
