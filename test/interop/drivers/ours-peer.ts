// Our own SDK (lib/room + lib/datatrack) behind the same InteropPeer interface, so the interop
// matrix can put it on either side of LiveKit's SDKs. Test code only.

import { Room, RoomEvent, type RemoteParticipant } from '../../../lib/room';
import type { RemoteDataTrack } from '../../../lib/datatrack/remote-track';
import type { DataTrackSchemaId } from '../../../lib/datatrack/schema';
import { KeyProvider } from '../../../lib/e2ee';
import {
  DEFAULT_TIMEOUT_MS,
  FrameQueue,
  Latch,
  withTimeout,
  type InteropPeer,
  type PeerConnectOptions,
  type PeerLocalTrack,
  type PeerPublishOptions,
  type PeerRemoteTrack,
  type PeerSchemaId,
  type PeerSubscription,
} from './peer';

const toSchemaId = (id: PeerSchemaId) => id as unknown as DataTrackSchemaId;

export class OursPeer implements InteropPeer {
  readonly kind = 'ours' as const;
  room!: Room;
  private left = new Map<string, Latch<void>>();

  get identity() {
    return this.room?.localParticipant?.identity ?? '';
  }

  private leftLatch(identity: string) {
    let l = this.left.get(identity);
    if (!l) this.left.set(identity, (l = new Latch<void>()));
    return l;
  }

  async connect(url: string, token: string, opts: PeerConnectOptions = {}): Promise<void> {
    let encryption: { keyProvider: KeyProvider } | undefined;
    if (opts.e2eePassphrase) {
      const keyProvider = new KeyProvider();
      await keyProvider.setSharedKey(opts.e2eePassphrase);
      encryption = { keyProvider };
    }
    this.room = new Room({ encryption });
    this.room.on(RoomEvent.ParticipantDisconnected, (p: RemoteParticipant) => this.leftLatch(p.identity).resolve());
    await withTimeout(this.room.connect(url, token), 20_000, 'our Room connect');
  }

  async publish(name: string, opts: PeerPublishOptions = {}): Promise<PeerLocalTrack> {
    const track = await withTimeout(
      this.room.localParticipant.publishDataTrack({
        name,
        schema: opts.schema ? toSchemaId(opts.schema) : undefined,
        frameEncoding: opts.frameEncoding,
      }),
      DEFAULT_TIMEOUT_MS,
      `our publish of ${name}`,
    );
    return {
      sid: track.sid,
      name: track.name,
      usesE2ee: track.info.usesE2ee,
      push: async (payload, userTimestamp) => track.tryPush({ payload, userTimestamp }),
      unpublish: () => withTimeout(track.unpublish(), DEFAULT_TIMEOUT_MS, `our unpublish of ${name}`),
    };
  }

  async waitForRemoteTrack(publisherIdentity: string, name: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<PeerRemoteTrack> {
    const end = Date.now() + timeoutMs;
    let participant = this.room.remoteParticipants.get(publisherIdentity);
    if (!participant) {
      participant = await withTimeout(
        new Promise<RemoteParticipant>((resolve) => {
          const on = (p: RemoteParticipant) => {
            if (p.identity !== publisherIdentity) return;
            this.room.off(RoomEvent.ParticipantConnected, on);
            resolve(p);
          };
          this.room.on(RoomEvent.ParticipantConnected, on);
          const again = this.room.remoteParticipants.get(publisherIdentity);
          if (again) on(again);
        }),
        timeoutMs,
        `ours: participant ${publisherIdentity}`,
      );
    }
    const track: RemoteDataTrack = await participant.waitForDataTrack(name, { timeoutMs: Math.max(1, end - Date.now()) });
    const info = track.info;
    return {
      sid: info.sid,
      name: info.name,
      publisherIdentity: track.publisherIdentity,
      usesE2ee: info.usesE2ee,
      schema: info.schema as PeerSchemaId | undefined,
      frameEncoding: info.frameEncoding as PeerRemoteTrack['frameEncoding'],
      subscribe: (o) => this.subscribe(track, o?.bufferSize),
      waitForUnpublish: (t = DEFAULT_TIMEOUT_MS) => withTimeout(track.waitForUnpublish(), t, `ours: unpublish of ${name}`),
    };
  }

  private subscribe(track: RemoteDataTrack, bufferSize = 64): PeerSubscription {
    const q = new FrameQueue();
    const opened = track.subscribe({ bufferSize });
    let cancel = () => {};
    void opened.then(
      async (stream) => {
        cancel = () => stream.cancel();
        if (q.endLatch.done) stream.cancel();
        try {
          for await (const f of stream) q.push({ payload: f.payload, userTimestamp: f.userTimestamp });
          q.end();
        } catch (e) {
          q.end(e);
        }
      },
      (e) => q.end(e),
    );
    return {
      ready: opened.then(() => undefined),
      next: (t) => q.next(t),
      ended: (t) => q.ended(t),
      close: () => {
        q.end();
        cancel();
      },
      [Symbol.asyncIterator]: () => q.iterate(),
    };
  }

  waitForParticipantLeft(identity: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    return withTimeout(this.leftLatch(identity).promise, timeoutMs, `ours: ${identity} leaving`);
  }

  defineSchema(id: PeerSchemaId, definition: string): Promise<void> {
    return withTimeout(this.room.localParticipant.defineSchema(toSchemaId(id), definition), DEFAULT_TIMEOUT_MS, 'ours defineSchema');
  }

  getSchema(id: PeerSchemaId, publisherIdentity: string): Promise<string> {
    return withTimeout(
      this.room.localParticipant.getSchema(toSchemaId(id), publisherIdentity),
      DEFAULT_TIMEOUT_MS,
      'ours getSchema',
    );
  }

  async disconnect(): Promise<void> {
    if (!this.room) return;
    await withTimeout(this.room.disconnect(), 10_000, 'our Room disconnect').catch(() => {});
    this.room.removeAllListeners?.();
  }
}
