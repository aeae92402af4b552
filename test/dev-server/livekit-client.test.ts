import { DevServer } from '../../lib/dev-server';
import { TestClient } from './helpers/client';
// The polyfill setup (and its stubs, each explained) is the interop suite's: one copy for both.
import { installLivekitClientGlobals } from '../interop/drivers/livekit-client-peer';
import { withTimeout } from './helpers/wait';

// livekit-client runs in Node on node-datachannel's polyfill. What it needed (see the helper):
//  - WebRTC globals from node-datachannel/polyfill, `ws` as WebSocket, a minimal `navigator` (Node 20);
//  - stubs: RTCPeerConnection.addTransceiver (media-less transceiver), getSenders/getReceivers ([]),
//    signalingState reported 'stable' until the client applies its offer (libdatachannel
//    auto-negotiates), createOffer returning a plain object (the client rewrites `sdp`).
installLivekitClientGlobals();
// eslint-disable-next-line @typescript-eslint/no-require-imports
const lk = require('livekit-client') as typeof import('livekit-client');

test('livekit-client connects and sees a participant join', async () => {
  lk.setLogLevel('warn');
  const server = await DevServer.start();
  const room = new lk.Room();
  const joined = new Promise<string>((resolve) => room.on(lk.RoomEvent.ParticipantConnected, (p) => resolve(p.identity)));
  await room.connect(server.url, await server.token('js-client'));
  const other = await TestClient.connect(server.url, await server.token('bob'), 'bob');
  expect(room.state).toBe(lk.ConnectionState.Connected);
  expect(room.name).toBe('dev-room');
  expect(await withTimeout(joined, 10000, 'ParticipantConnected')).toBe('bob');
  expect(room.remoteParticipants.get('bob')?.sid).toBe(other.join.participant!.sid);
  await other.close();
  await room.disconnect();
  await server.close();
});
