// LiveKit's own SDKs as bench rows, driven through the interop suite's drivers (test code, so the
// peers are measured exactly as the interop tests exercise them).

import type { InteropPeer, PeerKind } from '../../test/interop/drivers/peer';
import { makePeer } from '../../test/interop/helpers';
import type { PublisherEndpoint, RowDriver, SubscriberEndpoint } from './driver';

function peerRow(kind: PeerKind): RowDriver {
  return {
    async publisher(params): Promise<PublisherEndpoint> {
      const peer = makePeer(kind);
      await peer.connect(params.url!, params.tokens![0]);
      const track = await peer.publish(params.trackName);
      // Both SDKs' push is asynchronous; the pacer must not wait for one frame before the next,
      // so refusals are counted as they settle and reported with settle().
      const pending = new Set<Promise<void>>();
      let refused = 0;
      return {
        push(payload) {
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
          await track.unpublish().catch(() => {});
          await peer.disconnect();
        },
      };
    },

    async subscribers(params, _ipc, onFrame): Promise<SubscriberEndpoint> {
      const peers: InteropPeer[] = [];
      const closers: Array<() => void> = [];
      for (const [index, token] of params.tokens!.entries()) {
        const peer = makePeer(kind);
        await peer.connect(params.url!, token);
        const remote = await peer.waitForRemoteTrack(params.publisherIdentity, params.trackName, 20_000);
        const sub = remote.subscribe({ bufferSize: 1024 });
        await sub.ready;
        void (async () => {
          for await (const frame of sub) onFrame(index, frame.payload);
        })().catch(() => {});
        closers.push(() => sub.close());
        peers.push(peer);
      }
      return {
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
