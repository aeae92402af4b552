// SIDs are random; to subscribe before a publication exists the test must know its SID in advance.
jest.mock('../../lib/dev-server/ids', () => {
  let n = 0;
  const actual = jest.requireActual('../../lib/dev-server/ids');
  return {
    ...actual,
    newId: (prefix: string) => (prefix === 'DTR_' ? `DTR_pending${String(++n).padStart(5, '0')}` : actual.newId(prefix)),
  };
});
import { DevServer } from '../../lib/dev-server';
import { TestClient } from './helpers/client';
import { sfuChannelOpen } from './helpers/setup';

/** A signal-only publisher and a subscriber whose `_data_track` the SFU has adopted (so only the SID is missing). */
async function pair(server: DevServer) {
  const pub = await TestClient.connect(server.url, await server.token('pub'), 'pub', { noPeerConnection: true });
  const adopted = sfuChannelOpen(server, 'sub');
  const sub = await TestClient.connect(server.url, await server.token('sub'), 'sub');
  await adopted.promise;
  return [pub, sub] as const;
}

test('a subscription to a SID that is published later is fulfilled when it appears', async () => {
  const server = await DevServer.start();
  const [pub, sub] = await pair(server);
  try {
    sub.subscribe('DTR_pending00001');
    sub.send({ case: 'ping', value: 1n });
    await sub.next('pong');
    expect(sub.received('dataTrackSubscriberHandles')).toHaveLength(0);
    const info = await pub.publishOk(1, 'late');
    expect(info.sid).toBe('DTR_pending00001');
    const snap = await sub.nextHandles();
    expect(Object.values(snap).map((t) => t.trackSid)).toEqual([info.sid]);
  } finally {
    await pub.close();
    await sub.close();
    await server.close();
  }
});

test('a pending subscription expires after pendingSubscriptionMs', async () => {
  // A negative window makes every pending wish already stale, without waiting for time to pass.
  const server = await DevServer.start({ pendingSubscriptionMs: -1 });
  const [pub, sub] = await pair(server);
  try {
    const next = `DTR_pending${String(2).padStart(5, '0')}`;
    sub.subscribe(next);
    const info = await pub.publishOk(1, 'late');
    expect(info.sid).toBe(next);
    await sub.nextUpdate('pub', (p) => p.dataTracks.length === 1); // after the publication was processed
    expect(sub.received('dataTrackSubscriberHandles')).toHaveLength(0);
  } finally {
    await pub.close();
    await sub.close();
    await server.close();
  }
});
