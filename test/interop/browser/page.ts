// Runs inside Chromium: livekit-client 2.23.0 with the browser's own WebRTC, driven from Node by
// drivers/browser-peer.ts. Commands arrive through `window.lkPeer` (page.evaluate); everything the
// page observes (frames, unpublishes, participants leaving) goes back through `window.lkReport`, a
// binding the driver installs, so the driver waits on events instead of polling.
// Bytes cross the boundary as base64 and user timestamps as decimal strings (no bigint there).

import * as LK from 'livekit-client';
import type { PageApi, PageEvent, PageRemoteTrack } from './protocol';
import { fromBase64, toBase64 } from './base64';

LK.setLogLevel('warn');

let room: LK.Room | undefined;
const localTracks = new Map<string, LK.LocalDataTrack>(); // by sid
const subscriptions = new Map<number, AbortController>();

const report = (event: PageEvent) => void window.lkReport(event).catch(() => {});

function activeRoom(): LK.Room {
  if (!room) throw new Error('browser peer: not connected');
  return room;
}

function remoteInfo(track: LK.RemoteDataTrack): PageRemoteTrack {
  return { sid: track.info.sid, name: track.info.name, usesE2ee: track.info.usesE2ee, publisherIdentity: track.publisherIdentity };
}

function findRemote(sid: string): LK.RemoteDataTrack {
  for (const p of activeRoom().remoteParticipants.values()) {
    for (const t of p.dataTracks.values()) if (t.info.sid === sid) return t;
  }
  throw new Error(`browser peer: no remote data track ${sid}`);
}

const api: PageApi = {
  async connect(url, token, e2eePassphrase) {
    let encryption: LK.E2EEOptions | undefined;
    if (e2eePassphrase) {
      const keyProvider = new LK.ExternalE2EEKeyProvider();
      await keyProvider.setKey(e2eePassphrase);
      // The worker does the AES-GCM work; it was bundled next to this page.
      encryption = { keyProvider, worker: new Worker('e2ee-worker.js') };
    }
    room = new LK.Room({ adaptiveStream: false, dynacast: false, encryption });
    room.on(LK.RoomEvent.DataTrackPublished, (t: LK.RemoteDataTrack) => report({ kind: 'trackPublished', track: remoteInfo(t) }));
    room.on(LK.RoomEvent.DataTrackUnpublished, (sid: string) => report({ kind: 'trackUnpublished', sid }));
    room.on(LK.RoomEvent.ParticipantDisconnected, (p: LK.RemoteParticipant) => report({ kind: 'participantLeft', identity: p.identity }));
    await room.connect(url, token, { autoSubscribe: true, maxRetries: 0 });
    // Tracks already in the room at join time come with the join response; announce them too.
    for (const p of room.remoteParticipants.values()) {
      for (const t of p.dataTracks.values()) report({ kind: 'trackPublished', track: remoteInfo(t) });
    }
    return room.localParticipant.identity;
  },

  async publish(name) {
    const track = await activeRoom().localParticipant.publishDataTrack({ name });
    const info = track.info;
    if (!info) throw new Error('browser peer: published track has no info');
    localTracks.set(info.sid, track);
    return { sid: info.sid, name: info.name, usesE2ee: info.usesE2ee };
  },

  push(sid, payload, userTimestamp) {
    const track = localTracks.get(sid);
    if (!track) throw new Error(`browser peer: no local track ${sid}`);
    const ts = userTimestamp === undefined ? undefined : BigInt(userTimestamp);
    return Promise.resolve(track.tryPush({ payload: fromBase64(payload), userTimestamp: ts }));
  },

  async unpublish(sid) {
    const track = localTracks.get(sid);
    if (!track) throw new Error(`browser peer: no local track ${sid}`);
    localTracks.delete(sid);
    await track.unpublish();
  },

  subscribe(id, sid, bufferSize) {
    const track = findRemote(sid);
    const abort = new AbortController();
    subscriptions.set(id, abort);
    // RemoteDataTrack.subscribe() hides when the SFU confirmed the subscription; the manager's
    // openSubscriptionStream (the same call, 2.23.0 internals) also returns that promise.
    const manager = (track as unknown as { manager: { openSubscriptionStream(sid: string, s: AbortSignal, n: number): [ReadableStream<LK.DataTrackFrame>, Promise<unknown>] } }).manager;
    const [stream, confirmed] = manager.openSubscriptionStream(sid, abort.signal, bufferSize);
    Promise.resolve(confirmed).then(
      () => report({ kind: 'subscriptionReady', id }),
      (e: unknown) => report({ kind: 'subscriptionEnded', id, error: String(e) }),
    );
    void (async () => {
      const reader = stream.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          report({
            kind: 'frame',
            id,
            payload: toBase64(value.payload),
            userTimestamp: value.userTimestamp === undefined ? undefined : value.userTimestamp.toString(),
          });
        }
        report({ kind: 'subscriptionEnded', id });
      } catch (e) {
        report({ kind: 'subscriptionEnded', id, error: abort.signal.aborted ? undefined : String(e) });
      }
    })();
  },

  closeSubscription(id) {
    subscriptions.get(id)?.abort();
    subscriptions.delete(id);
  },

  async disconnect() {
    for (const abort of subscriptions.values()) abort.abort();
    subscriptions.clear();
    await room?.disconnect();
  },
};

window.lkPeer = api;
