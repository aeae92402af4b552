// Participant updates are coalesced per turn of the event loop: requests that arrive together
// cost one update listing everything, not one update per request re-listing the whole track list.

import { PublishDataTrackRequest, SignalRequest } from '@livekit/protocol';
import { useDevServer } from './helpers/setup';

const h = useDevServer();

describe('participant update batching', () => {
  test('publishes written in one go reach every member as a few updates, the last one complete', async () => {
    const publisher = await h.connect('flooder', {}, { noPeerConnection: true });
    const watcher = await h.connect('watcher', {}, { noPeerConnection: true });
    const n = 500;
    // One buffer with every request: the SFU reads them in one turn of its loop.
    const frames = [];
    for (let i = 1; i <= n; i++) {
      frames.push(new SignalRequest({ message: { case: 'publishDataTrackRequest', value: new PublishDataTrackRequest({ pubHandle: i, name: `t${i}` }) } }).toBinary());
    }
    for (const f of frames) publisher.sendRaw(f);
    const full = await watcher.nextUpdate('flooder', (p) => p.dataTracks.length === n);
    expect(new Set(full.dataTracks.map((t) => t.name)).size).toBe(n);
    const updates = watcher.caseLog.filter((c) => c === 'update').length;
    // Socket writes may split across reads; what must not happen is one update per publish.
    expect(updates).toBeLessThan(n / 10);
    const responses = publisher.caseLog.filter((c) => c === 'publishDataTrackResponse').length;
    expect(responses).toBe(n);
  });

  test('a leave and the remaining members: the departure still reaches everyone once', async () => {
    const a = await h.connect('a', {}, { noPeerConnection: true });
    const b = await h.connect('b', {}, { noPeerConnection: true });
    await a.publishOk(1, 'x');
    b.leave();
    const gone = await a.nextUpdate('b', (p) => p.state === 3 /* DISCONNECTED */);
    expect(gone.dataTracks).toEqual([]);
  });
});
