// LiveKit's own SDKs as bench rows, driven through the interop suite's drivers (test code, so the
// peers are measured exactly as the interop tests exercise them).

import type { InteropPeer, PeerKind } from '../../test/interop/drivers/peer';
import { makePeer } from '../../test/interop/helpers';
import { perTrack, sampleMemory } from '../lib/memory';
import { trackNames, type TrackMemory } from '../lib/protocol';
import type { PublisherEndpoint, RowDriver, SubscriberEndpoint } from './driver';

function peerRow(kind: PeerKind): RowDriver {
  return {
    async publisher(params): Promise<PublisherEndpoint> {
      const peer = makePeer(kind);
      await peer.connect(params.url!, params.tokens![0]);
      const names = trackNames(params);
      const before = names.length > 1 ? sampleMemory() : undefined;
      const tracks = await Promise.all(names.map((name) => peer.publish(name)));
      const memory = before && perTrack(before, tracks.length);
      // Both SDKs' push is asynchronous; the pacer must not wait for one frame before the next,
      // so refusals are counted as they settle and reported with settle().
      const pending = new Set<Promise<void>>();
      let refused = 0;
      let next = 0;
      return {
        memory,
        push(payload) {
          const track = tracks[next];
          next = next + 1 === tracks.length ? 0 : next + 1;
          const p: Promise<void> = track.push(payload).then(
            () => void pending.delete(p),
            () => {
              refused++;
              pending.delete(p);
            },
          );
          pending.add(p);
          return true;
        },
        async settle() {
          await Promise.all(pending);
          const n = refused;
          refused = 0;
          return n;
        },
        async close() {
          await Promise.all(tracks.map((t) => t.unpublish().catch(() => {})));
          await peer.disconnect();
        },
      };
    },

    async subscribers(params, _ipc, onFrame): Promise<SubscriberEndpoint> {
      const peers: InteropPeer[] = [];
      const closers: Array<() => void> = [];
      const names = trackNames(params);
      let memory: TrackMemory | undefined;
      for (const [index, token] of params.tokens!.entries()) {
        const peer = makePeer(kind);
        await peer.connect(params.url!, token);
        const before = names.length > 1 ? sampleMemory() : undefined;
        const remotes = await Promise.all(names.map((name) => peer.waitForRemoteTrack(params.publisherIdentity, name, 20_000)));
        const subs = remotes.map((remote) => remote.subscribe({ bufferSize: 1024 }));
        await Promise.all(subs.map((sub) => sub.ready));
        for (const sub of subs) {
          void (async () => {
            for await (const frame of sub) onFrame(index, frame.payload);
          })().catch(() => {});
          closers.push(() => sub.close());
        }
        if (before) memory = perTrack(before, names.length);
        peers.push(peer);
      }
      return {
        memory,
        async close() {
          for (const c of closers) c();
          await Promise.all(peers.map((p) => p.disconnect()));
        },
      };
    },
  };
}

export const livekitClient = peerRow('livekit-client');
export const rustFfi = peerRow('rust-ffi');
