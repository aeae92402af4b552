// Data-track publications, subscriptions, subscriber handles and packet forwarding for one room,
// following livekit-server's rules (validation order and reasons, per-subscriber handles, full
// handle snapshots, no loopback, drop-not-queue under congestion).
//
// One deliberate difference in timing: a subscription is only activated (handle allocated, snapshot
// sent) once the subscriber's `_data_track` has been adopted by the SFU and is open. Until then the
// wish stays pending and is fulfilled when the channel appears. libdatachannel announces incoming
// channels asynchronously, so without this a client could hold its handle, see its own channel
// open, and still lose the first packets because the SFU had nowhere to send them yet.

import {
  DataTrackInfo,
  DataTrackSubscriberHandles,
  DataTrackSubscriberHandles_PublishedDataTrack,
  PublishDataTrackResponse,
  RequestResponse,
  RequestResponse_Reason,
  UnpublishDataTrackResponse,
  type DataTrackFrameEncoding,
  type DataTrackSchemaId,
  type PublishDataTrackRequest,
  type SyncState,
  type UnpublishDataTrackRequest,
  type UpdateDataSubscription,
} from '../protocol';
import type { DataChannel } from 'node-datachannel';
import { CongestionGate, type CongestionOptions } from './congestion';
import { packetHandle, retarget, rewriteHandle } from './forward';
import type { ForwardInfo, ForwardStats } from './forward-stats';
import { newId } from './ids';
import type { Logger } from './log';
import type { DownTrack, Participant, Publication } from './participant';

export const DATA_TRACK_LABEL = '_data_track';
const MAX_NAME_BYTES = 256;
const MAX_CUSTOM_ENCODING_LENGTH = 32;
/** Base header size of a DTP packet; anything shorter cannot carry a handle. */
const MIN_PACKET_BYTES = 12;

export interface DataTrackRoom {
  readonly name: string;
  participants(): Iterable<Participant>;
  /** Bumps the version; the participant's info goes to everyone with this turn's other changes (update-batch.ts). */
  participantChanged(p: Participant): void;
  /** The subscriber's handle map changed; `sendHandles` is called for it with this turn's other changes. */
  handlesChanged(p: Participant): void;
  onForward(info: ForwardInfo): void;
  readonly log: Logger;
  /** How long a subscription to an unknown SID stays pending (the server retries for 1 min). */
  readonly pendingSubscriptionMs: number;
  /** Per-subscriber-channel drop rule. */
  readonly congestion: CongestionOptions;
  /** Shared with the server (counts survive the room). */
  readonly stats: ForwardStats;
  readonly forwardListened: () => boolean;
  /** A participant's `_data_track` was adopted and is open. */
  readonly onDataChannelOpen?: (p: Participant) => void;
}

export class DataTrackRouter {
  private readonly bySid = new Map<string, Publication>();

  constructor(private readonly room: DataTrackRoom) {}

  publish(p: Participant, req: PublishDataTrackRequest): void {
    const refuse = (reason: RequestResponse_Reason, message: string) =>
      p.send({
        case: 'requestResponse',
        value: new RequestResponse({ requestId: 0, reason, message, request: { case: 'publishDataTrack', value: req } }),
      });
    if (!p.permission.canPublishData) return refuse(RequestResponse_Reason.NOT_ALLOWED, 'does not have permission to publish data');
    if (req.pubHandle === 0 || req.pubHandle > 0xffff) {
      return refuse(RequestResponse_Reason.INVALID_HANDLE, 'handle should be > 0 AND < 65536');
    }
    const nameBytes = Buffer.byteLength(req.name, 'utf8');
    if (nameBytes === 0 || nameBytes > MAX_NAME_BYTES) {
      return refuse(RequestResponse_Reason.INVALID_NAME, `name should be between 1 and ${MAX_NAME_BYTES} bytes`);
    }
    if (!validFrameEncoding(req.frameEncoding) || !validSchema(req.schema)) {
      return refuse(RequestResponse_Reason.INVALID_REQUEST, 'encoding identifier is empty or exceeds the maximum length');
    }
    if (p.published.has(req.pubHandle)) {
      return refuse(RequestResponse_Reason.DUPLICATE_HANDLE, 'a data track with this handle already exists');
    }
    if (p.publishedNames.has(req.name)) {
      return refuse(RequestResponse_Reason.DUPLICATE_NAME, 'a data track with this name already exists');
    }
    const info = new DataTrackInfo({
      pubHandle: req.pubHandle,
      sid: newId('DTR_'),
      name: req.name,
      encryption: req.encryption,
      frameEncoding: req.frameEncoding?.clone(),
      schema: req.schema?.clone(),
    });
    const publication: Publication = { info, publisher: p, subscribers: new Map(), downTracks: [] };
    p.published.set(info.pubHandle, publication);
    p.publishedNames.add(info.name);
    this.bySid.set(info.sid, publication);
    p.send({ case: 'publishDataTrackResponse', value: new PublishDataTrackResponse({ info }) });
    this.room.participantChanged(p);

    const now = Date.now();
    for (const other of this.room.participants()) {
      if (other === p) continue;
      const since = other.desired.get(info.sid);
      const pendingAlive = since !== undefined && now - since <= this.room.pendingSubscriptionMs;
      if (since !== undefined && !pendingAlive) other.desired.delete(info.sid);
      if (pendingAlive || other.autoSubscribeDataTrack) {
        if (this.attach(other, publication)) this.room.handlesChanged(other);
      }
    }
  }

  unpublish(p: Participant, req: UnpublishDataTrackRequest): void {
    const publication = p.published.get(req.pubHandle);
    if (!publication) {
      p.send({
        case: 'requestResponse',
        value: new RequestResponse({
          requestId: 0,
          reason: RequestResponse_Reason.NOT_FOUND,
          request: { case: 'unpublishDataTrack', value: req },
        }),
      });
      return;
    }
    this.removePublication(publication);
    p.send({ case: 'unpublishDataTrackResponse', value: new UnpublishDataTrackResponse({ info: publication.info }) });
    this.room.participantChanged(p);
  }

  updateSubscription(p: Participant, req: UpdateDataSubscription): void {
    const now = Date.now();
    let changed = false;
    for (const update of req.updates) {
      const sid = update.trackSid;
      if (update.subscribe) {
        // Without permission the wish is kept but never fulfilled, silently, like the server.
        if (!p.desired.has(sid)) p.desired.set(sid, now);
        const publication = this.bySid.get(sid);
        if (publication) changed = this.attach(p, publication) || changed;
      } else {
        p.desired.delete(sid);
        changed = this.detach(p, sid) || changed;
      }
    }
    if (changed) this.room.handlesChanged(p);
  }

  /** Auto-subscribe on join: every existing track of the others. */
  subscribeToAll(p: Participant): void {
    let changed = false;
    for (const publication of this.bySid.values()) {
      if (publication.publisher !== p) changed = this.attach(p, publication) || changed;
    }
    if (changed) this.room.handlesChanged(p);
  }

  /**
   * The participant's `_data_track` on its current connection is adopted and open: packets can reach
   * it from now on, so pending wishes (and, with auto-subscribe, every track of the others) become
   * subscriptions, announced in one snapshot. Subscriptions that survived a resume keep their handles.
   */
  channelOpened(p: Participant, channel: DataChannel): void {
    if (p.closed) return;
    p.dataSink = { channel, gate: new CongestionGate(this.room.congestion, Date.now()) };
    let changed = false;
    for (const sid of p.desired.keys()) {
      const publication = this.bySid.get(sid);
      if (publication) changed = this.attach(p, publication) || changed;
    }
    if (p.autoSubscribeDataTrack) {
      for (const publication of this.bySid.values()) changed = this.attach(p, publication) || changed;
    }
    if (changed) this.room.handlesChanged(p);
    this.room.onDataChannelOpen?.(p);
  }

  /**
   * The channel is gone (closed, or its connection replaced or closed). Subscriptions stay, as they do
   * across a resume; their packets are dropped (`noChannel`) until a new channel is adopted.
   */
  channelClosed(p: Participant, channel?: DataChannel): void {
    if (p.dataSink && (channel === undefined || p.dataSink.channel === channel)) p.dataSink = null;
  }

  /** A participant leaves: its tracks go away (subscribers get new snapshots), as do its subscriptions. */
  removeParticipant(p: Participant): void {
    for (const publication of [...p.published.values()]) this.removePublication(publication);
    for (const { publication } of p.subscriptions.values()) removeDownTrack(publication, p);
    p.subscriptions.clear();
    p.subscriberHandles.clear();
    p.desired.clear();
    p.dataSink = null;
  }

  /**
   * Resume: every track the client believes it publishes must still be published by it under that
   * SID; otherwise only a full reconnect can bring both sides back in line.
   */
  syncStateMatches(p: Participant, sync: SyncState): boolean {
    return sync.publishDataTracks.every((t) => {
      const publication = t.info ? this.bySid.get(t.info.sid) : undefined;
      return publication !== undefined && publication.publisher === p;
    });
  }

  /**
   * One message from a publisher's `_data_track`. Re-serialized once, for the first subscriber
   * that takes it; every other copy differs only in the handle (bytes 2-3), written in place. Per
   * subscriber: one bufferedAmount read, the congestion verdict, the handle, one write (which
   * copies it).
   */
  forward(p: Participant, packet: Buffer): void {
    const stats = this.room.stats;
    stats.packetsReceived++;
    if (packet.length < MIN_PACKET_BYTES) {
      stats.dropped.malformed++;
      return;
    }
    // Routing needs the handle; everything else about the packet is the codec's business.
    const publication = p.published.get(packetHandle(packet));
    if (!publication) {
      stats.dropped.unknownHandle++; // e.g. sent before the publish response: the server drops these too
      return;
    }
    const to: string[] | null = this.room.forwardListened() ? [] : null;
    const downTracks = publication.downTracks;
    const now = Date.now();
    let out: Buffer | null = null;
    for (let i = 0; i < downTracks.length; i++) {
      const down = downTracks[i];
      const sink = down.subscriber.dataSink;
      if (sink === null) {
        stats.dropped.noChannel++;
        continue;
      }
      if (sink.gate.admit(sink.channel.bufferedAmount(), now) === 'congestion') {
        stats.dropped.congestion++;
        continue;
      }
      if (out === null) {
        try {
          out = rewriteHandle(packet, down.handle);
        } catch (err) {
          // The codec refuses the packet itself, so no subscriber gets it: one malformed packet.
          stats.dropped.malformed++;
          this.room.log.debug(`dropping malformed data-track packet from ${p.identity}: ${(err as Error).message}`);
          return;
        }
      } else {
        retarget(out, down.handle);
      }
      try {
        // false only means "queued": the gate accounts for the queue through bufferedAmount.
        sink.channel.sendMessageBinary(out);
      } catch (err) {
        stats.dropped.sendError++;
        this.room.log.debug(`send to ${down.subscriber.identity} failed: ${(err as Error).message}`);
        continue;
      }
      sink.gate.sent(out.length);
      stats.packetsForwarded++;
      stats.bytesForwarded += out.length;
      to?.push(down.subscriber.identity);
    }
    if (to !== null) {
      this.room.onForward({ room: this.room.name, from: p.identity, trackSid: publication.info.sid, packet, to });
    }
  }

  publicationCount(): number {
    return this.bySid.size;
  }

  private removePublication(publication: Publication): void {
    const { info, publisher } = publication;
    publisher.published.delete(info.pubHandle);
    publisher.publishedNames.delete(info.name);
    this.bySid.delete(info.sid);
    for (const [subscriber, down] of publication.subscribers) {
      subscriber.subscriptions.delete(info.sid);
      subscriber.subscriberHandles.delete(down.handle);
      subscriber.desired.delete(info.sid);
      this.room.handlesChanged(subscriber);
    }
    publication.subscribers.clear();
    publication.downTracks.length = 0;
  }

  /**
   * Returns true if a new subscription was made. Without an open `_data_track` nothing is made: the
   * wish (kept in `desired` by the caller) is fulfilled by `channelOpened`.
   */
  private attach(subscriber: Participant, publication: Publication): boolean {
    if (subscriber.closed || !subscriber.permission.canSubscribe) return false;
    if (publication.publisher === subscriber) return false; // never loop a publisher's packets back
    if (subscriber.subscriptions.has(publication.info.sid)) return false;
    if (subscriber.dataSink === null) return false;
    subscriber.desired.set(publication.info.sid, subscriber.desired.get(publication.info.sid) ?? Date.now());
    const handle = nextHandle(subscriber);
    subscriber.subscriptions.set(publication.info.sid, { handle, publication });
    subscriber.subscriberHandles.add(handle);
    const down: DownTrack = { subscriber, handle };
    publication.subscribers.set(subscriber, down);
    publication.downTracks.push(down);
    return true;
  }

  private detach(subscriber: Participant, sid: string): boolean {
    const sub = subscriber.subscriptions.get(sid);
    if (!sub) return false;
    subscriber.subscriptions.delete(sid);
    subscriber.subscriberHandles.delete(sub.handle);
    removeDownTrack(sub.publication, subscriber);
    return true;
  }

  /** The subscriber's complete current map, as clients expect (they only add/replace from it). */
  sendHandles(subscriber: Participant): void {
    const subHandles: Record<number, DataTrackSubscriberHandles_PublishedDataTrack> = {};
    for (const [sid, { handle, publication }] of subscriber.subscriptions) {
      subHandles[handle] = new DataTrackSubscriberHandles_PublishedDataTrack({
        publisherIdentity: publication.publisher.identity,
        publisherSid: publication.publisher.sid,
        trackSid: sid,
      });
    }
    subscriber.send({ case: 'dataTrackSubscriberHandles', value: new DataTrackSubscriberHandles({ subHandles }) });
  }
}

function removeDownTrack(publication: Publication, subscriber: Participant): void {
  const down = publication.subscribers.get(subscriber);
  if (!down) return;
  publication.subscribers.delete(subscriber);
  const i = publication.downTracks.indexOf(down);
  if (i >= 0) publication.downTracks.splice(i, 1);
}

/** Fresh non-zero u16 per subscription, never one that still names another track for this subscriber. */
function nextHandle(subscriber: Participant): number {
  for (;;) {
    subscriber.lastSubscriberHandle = (subscriber.lastSubscriberHandle + 1) & 0xffff;
    const h = subscriber.lastSubscriberHandle;
    if (h !== 0 && !subscriber.subscriberHandles.has(h)) return h;
  }
}

function validCustom(value: string): boolean {
  return value.length > 0 && value.length <= MAX_CUSTOM_ENCODING_LENGTH;
}

function validFrameEncoding(enc: DataTrackFrameEncoding | undefined): boolean {
  return enc?.value.case !== 'custom' || validCustom(enc.value.value);
}

function validSchema(schema: DataTrackSchemaId | undefined): boolean {
  const enc = schema?.encoding;
  return enc?.value.case !== 'custom' || validCustom(enc.value.value);
}
