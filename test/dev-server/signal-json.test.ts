// JSON signalling: livekit-server decodes a text frame as protojson and answers in JSON from then on
// (until the client sends binary again). The dev SFU does the same.

import { Ping, PublishDataTrackRequest, SignalRequest } from '@livekit/protocol';
import { useDevServer } from './helpers/setup';

const h = useDevServer();

const json = (message: SignalRequest['message']) => new SignalRequest({ message }).toJsonString();

describe('JSON signal messages', () => {
  test('a text request is handled and the replies switch to JSON, then back with a binary request', async () => {
    const c = await h.connect('json', {}, { noPeerConnection: true });
    expect(c.textFrames).toBe(0);
    c.sendRaw(json({ case: 'publishDataTrackRequest', value: new PublishDataTrackRequest({ pubHandle: 3, name: 'by-json' }) }));
    const res = await c.next('publishDataTrackResponse');
    expect(res.info?.name).toBe('by-json');
    expect(c.textFrames).toBeGreaterThan(0);

    c.sendRaw(json({ case: 'pingReq', value: new Ping({ timestamp: 7n }) }));
    expect((await c.next('pongResp')).lastPingTimestamp).toBe(7n);
    const textSoFar = c.textFrames;

    c.send({ case: 'pingReq', value: new Ping({ timestamp: 8n }) });
    expect((await c.next('pongResp')).lastPingTimestamp).toBe(8n);
    expect(c.textFrames).toBe(textSoFar);
  });

  test('an undecodable text frame is dropped and does not switch the format', async () => {
    const c = await h.connect('garbage-text', {}, { noPeerConnection: true });
    c.sendRaw('{"not": "a signal request"');
    c.sendRaw('{"pingReq": {"timestamp": "NaN-ish"}}');
    c.send({ case: 'pingReq', value: new Ping({ timestamp: 9n }) });
    expect((await c.next('pongResp')).lastPingTimestamp).toBe(9n);
    expect(c.textFrames).toBe(0);
  });
});
