// One room: who is in it, the join/resume/leave sequences, participant updates, and the dispatch of
// signal requests. Rooms share nothing, so nothing of one room can reach another.

import {
  DisconnectReason,
  JoinResponse,
  LeaveRequest,
  LeaveRequest_Action,
  ParticipantInfo_State,
  ParticipantUpdate,
  ReconnectResponse,
  RequestResponse,
  RequestResponse_Reason,
  Room as RoomInfo,
  RoomUpdate,
  ServerInfo,
  ServerInfo_Edition,
  SessionDescription,
  SignalTarget,
  TrickleRequest,
  type JoinRequest,
  type SignalRequest,
} from '../protocol';
import type { WebSocket } from 'ws';
import { answerGetBlob, DataBlobStore } from './data-blobs';
import type { CongestionOptions } from './congestion';
import { DATA_TRACK_LABEL, DataTrackRouter } from './data-tracks';
import type { ForwardInfo, ForwardStats } from './forward-stats';
import { newId } from './ids';
import type { Logger } from './log';
import { Participant, type ParticipantInit } from './participant';
import { SharedResponse, SignalConnection } from './signal';
import { PeerTransport, type TransportConfig } from './transport';
import { UpdateBatch } from './update-batch';

export const SERVER_VERSION = '1.13.5';
export const PROTOCOL_VERSION = 17;
const PING_INTERVAL_S = 5;
const PING_TIMEOUT_S = 15;

export interface RoomContext {
  readonly log: Logger;
  readonly transportConfig: TransportConfig;
  readonly resumeWindowMs: number;
  readonly pendingSubscriptionMs: number;
  readonly congestion: CongestionOptions;
  readonly stats: ForwardStats;
  forwardListened(): boolean;
  /** Every peer connection is registered so shutdown can wait for libdatachannel to release them. */
  trackTransport(t: PeerTransport): void;
  onForward(info: ForwardInfo): void;
  onDataChannelOpen(room: Room, p: Participant): void;
  onEmpty(room: Room): void;
}

export function serverInfo(): ServerInfo {
  return new ServerInfo({ edition: ServerInfo_Edition.Standard, version: SERVER_VERSION, protocol: PROTOCOL_VERSION, nodeId: 'ND_dev' });
}

export class Room {
  readonly sid = newId('RM_');
  readonly createdAtMs = Date.now();
  private readonly members = new Map<string, Participant>();
  readonly dataTracks: DataTrackRouter;
  private readonly updates = new UpdateBatch({
    flush: (infos, handles) => this.sendUpdates(infos, handles),
    busy: () => {
      for (const p of this.members.values()) if ((p.signal?.pendingRequests ?? 0) > 0) return true;
      return false;
    },
  });

  constructor(
    readonly name: string,
    private readonly ctx: RoomContext,
  ) {
    this.dataTracks = new DataTrackRouter({
      name,
      participants: () => this.members.values(),
      participantChanged: (p) => this.participantChanged(p),
      handlesChanged: (p) => this.updates.handlesChanged(p),
      onForward: (info) => ctx.onForward(info),
      forwardListened: () => ctx.forwardListened(),
      log: ctx.log,
      pendingSubscriptionMs: ctx.pendingSubscriptionMs,
      congestion: ctx.congestion,
      stats: ctx.stats,
      onDataChannelOpen: (p) => ctx.onDataChannelOpen(this, p),
    });
  }

  get size(): number {
    return this.members.size;
  }

  participant(identity: string): Participant | undefined {
    return this.members.get(identity);
  }

  participants(): Participant[] {
    return [...this.members.values()];
  }

  /** A fresh join: JoinResponse first, then the answer to an offer carried in the join request. */
  join(init: ParticipantInit, request: JoinRequest, ws: WebSocket): Participant {
    const previous = this.members.get(init.identity);
    if (previous) {
      previous.send({
        case: 'leave',
        value: new LeaveRequest({ reason: DisconnectReason.DUPLICATE_IDENTITY, action: LeaveRequest_Action.DISCONNECT }),
      });
      this.remove(previous, DisconnectReason.DUPLICATE_IDENTITY);
    }
    const p = new Participant(init, new DataBlobStore());
    this.members.set(p.identity, p);
    this.attachSignal(p, ws);
    p.send({
      case: 'join',
      value: new JoinResponse({
        room: this.toInfo(),
        participant: p.toInfo(),
        otherParticipants: this.visibleTo(p).map((o) => o.toInfo()),
        serverVersion: SERVER_VERSION,
        serverInfo: serverInfo(),
        iceServers: [],
        subscriberPrimary: false,
        pingInterval: PING_INTERVAL_S,
        pingTimeout: PING_TIMEOUT_S,
        fastPublish: p.permission.canPublish,
      }),
    });
    p.state = ParticipantInfo_State.JOINED;
    this.participantChanged(p);
    if (request.publisherOffer) this.handleOffer(p, request.publisherOffer);
    // Single-PC joins are "fast start": auto-subscription happens right away.
    if (p.autoSubscribeDataTrack) this.dataTracks.subscribeToAll(p);
    return p;
  }

  /**
   * Resume: the same participant continues on a new socket. ReconnectResponse comes first, then
   * everyone's current info. Anything we cannot resume gets a lone leave{STATE_MISMATCH, RECONNECT}.
   */
  resume(identity: string, request: JoinRequest, ws: WebSocket): Participant | null {
    const p = this.members.get(identity);
    if (!p || p.closed || (request.participantSid !== '' && request.participantSid !== p.sid)) {
      Room.refuseResume(ws, this.ctx.log);
      return null;
    }
    const old = p.signal;
    p.signal = null;
    old?.close(true);
    this.attachSignal(p, ws);
    this.clearLostTimer(p);
    p.send({ case: 'reconnect', value: new ReconnectResponse({ iceServers: [], serverInfo: serverInfo() }) });
    const everyone = [p, ...this.visibleTo(p)].map((o) => o.toInfo());
    p.send({ case: 'update', value: new ParticipantUpdate({ participants: everyone }) });
    p.send({ case: 'roomUpdate', value: new RoomUpdate({ room: this.toInfo() }) });
    // As livekit-server (v1.13.5): an offer inside a resume request is ignored; a client that
    // needs a new connection sends a signal `offer` after the ReconnectResponse.
    return p;
  }

  static refuseResume(ws: WebSocket, log: Logger): void {
    const signal = new SignalConnection(ws, () => undefined, log);
    signal.send({
      case: 'leave',
      value: new LeaveRequest({ canReconnect: true, reason: DisconnectReason.STATE_MISMATCH, action: LeaveRequest_Action.RECONNECT }),
    });
    signal.close();
  }

  /** Takes a participant out: cleanup, a final DISCONNECTED update to the others, sockets closed. */
  remove(p: Participant, reason: DisconnectReason, terminate = false): void {
    if (p.closed) return;
    p.closed = true;
    this.clearLostTimer(p);
    if (this.members.get(p.identity) === p) this.members.delete(p.identity);
    this.dataTracks.removeParticipant(p);
    p.state = ParticipantInfo_State.DISCONNECTED;
    p.disconnectReason = reason;
    // p is no longer a member: the others are told, not p.
    this.participantChanged(p);
    this.dataTracks.channelClosed(p);
    void p.transport?.close();
    p.transport = null;
    p.signal?.close(terminate);
    p.signal = null;
    if (this.members.size === 0) this.ctx.onEmpty(this);
  }

  /** Server shutdown: everyone is told to go (or, for fault injection, simply cut off). */
  closeAll(abrupt: boolean): void {
    for (const p of this.participants()) {
      if (!abrupt) {
        p.send({
          case: 'leave',
          value: new LeaveRequest({ reason: DisconnectReason.SERVER_SHUTDOWN, action: LeaveRequest_Action.DISCONNECT }),
        });
      }
      this.remove(p, DisconnectReason.SERVER_SHUTDOWN, abrupt);
    }
  }

  /** Bumps p's version; its info goes out with everything else that changed in this turn. */
  participantChanged(p: Participant): void {
    p.touch();
    this.updates.infoChanged(p);
  }

  toInfo(): RoomInfo {
    return new RoomInfo({
      sid: this.sid,
      name: this.name,
      emptyTimeout: 300,
      departureTimeout: 20,
      creationTime: BigInt(Math.floor(this.createdAtMs / 1000)),
      creationTimeMs: BigInt(this.createdAtMs),
      numParticipants: [...this.members.values()].filter((p) => !p.hidden).length,
      numPublishers: [...this.members.values()].filter((p) => p.published.size > 0).length,
    });
  }

  /** Fault hook: the signal socket dies as if the network dropped it. */
  dropSignal(p: Participant): void {
    p.signal?.close(true);
  }

  /** Fault hook: the SFU side of the peer connection goes away. */
  closeTransport(p: Participant): void {
    const t = p.transport;
    p.transport = null;
    this.dataTracks.channelClosed(p);
    void t?.close();
    if (t) this.startLostTimer(p);
  }

  private visibleTo(p: Participant): Participant[] {
    return [...this.members.values()].filter((o) => o !== p && !o.hidden);
  }

  /**
   * One turn's changes: the visible participants' infos in one update, encoded once and sent to
   * every member (hidden participants are only told about themselves), then each changed handle map.
   */
  private sendUpdates(infosChanged: Participant[], handlesChanged: Participant[]): void {
    const visible = infosChanged.filter((p) => !p.hidden);
    if (visible.length > 0) {
      const update = new SharedResponse({ case: 'update', value: new ParticipantUpdate({ participants: visible.map((p) => p.toInfo()) }) });
      for (const o of this.members.values()) o.send(update);
    }
    for (const p of infosChanged) {
      if (p.hidden && !p.closed) p.send({ case: 'update', value: new ParticipantUpdate({ participants: [p.toInfo()] }) });
    }
    for (const p of handlesChanged) if (!p.closed) this.dataTracks.sendHandles(p);
  }

  private attachSignal(p: Participant, ws: WebSocket): void {
    const signal = new SignalConnection(ws, (req) => this.handle(p, signal, req), this.ctx.log);
    p.signal = signal;
    signal.onClose(() => {
      // Only the current socket matters; a replaced one closing is expected.
      if (p.signal === signal && !p.closed) {
        p.signal = null;
        this.startLostTimer(p);
      }
    });
  }

  private startLostTimer(p: Participant): void {
    if (p.closed || p.lostTimer) return;
    p.lostTimer = setTimeout(() => {
      p.lostTimer = null;
      this.ctx.log.debug(`${p.identity} did not come back, removing it`);
      this.remove(p, DisconnectReason.SIGNAL_CLOSE);
    }, this.ctx.resumeWindowMs);
    p.lostTimer.unref?.();
  }

  private clearLostTimer(p: Participant): void {
    if (p.lostTimer) clearTimeout(p.lostTimer);
    p.lostTimer = null;
  }

  private handle(p: Participant, signal: SignalConnection, req: SignalRequest): void {
    if (p.closed || p.signal !== signal) return;
    const msg = req.message;
    switch (msg.case) {
      case 'offer':
        return this.handleOffer(p, msg.value);
      case 'trickle':
        if (msg.value.target !== SignalTarget.PUBLISHER) return;
        if (p.transport) p.transport.addRemoteCandidate(msg.value.candidateInit);
        else p.earlyCandidates.push(msg.value.candidateInit);
        return;
      case 'leave':
        return this.remove(p, DisconnectReason.CLIENT_INITIATED);
      case 'publishDataTrackRequest':
        return this.dataTracks.publish(p, msg.value);
      case 'unpublishDataTrackRequest':
        return this.dataTracks.unpublish(p, msg.value);
      case 'updateDataSubscription':
        return this.dataTracks.updateSubscription(p, msg.value);
      case 'syncState':
        if (!this.dataTracks.syncStateMatches(p, msg.value)) {
          // The client's view cannot be reconciled: ask for a full reconnect.
          p.send({
            case: 'leave',
            value: new LeaveRequest({ canReconnect: true, reason: DisconnectReason.STATE_MISMATCH, action: LeaveRequest_Action.RECONNECT }),
          });
          this.remove(p, DisconnectReason.STATE_MISMATCH);
        }
        return;
      case 'storeDataBlobRequest':
        return p.send(p.blobs.store(msg.value));
      case 'getDataBlobRequest':
        return p.send(answerGetBlob(msg.value, this.members.get(msg.value.participantIdentity)?.blobs));
      case 'addTrack':
      case 'mute':
      case 'updateMetadata':
      case 'updateAudioTrack':
      case 'updateVideoTrack': {
        // Media and metadata are outside a data-track dev server; say so instead of letting clients time out.
        const requestId = msg.case === 'updateMetadata' ? msg.value.requestId : 0;
        p.send({
          case: 'requestResponse',
          value: new RequestResponse({
            requestId,
            reason: RequestResponse_Reason.UNSUPPORTED_TYPE,
            message: `${msg.case} is not supported by the development server`,
            request: { case: msg.case, value: msg.value } as RequestResponse['request'],
          }),
        });
        return;
      }
      default:
        this.ctx.log.debug(`ignoring ${msg.case ?? 'empty'} request from ${p.identity}`);
    }
  }

  private handleOffer(p: Participant, offer: SessionDescription): void {
    let t = p.transport;
    // libdatachannel cannot restart ICE on a live connection: a restart offer gets a new connection.
    if (!t || !t.usable || t.isIceRestart(offer.sdp)) {
      if (t) this.dataTracks.channelClosed(p);
      void t?.close();
      t = this.createTransport(p);
      p.transport = t;
    }
    p.answerId = offer.id;
    try {
      t.applyOffer(offer.sdp);
    } catch (err) {
      this.ctx.log.debug(`offer from ${p.identity} rejected: ${(err as Error).message}`);
      return;
    }
    for (const c of p.earlyCandidates.splice(0)) t.addRemoteCandidate(c);
  }

  private createTransport(p: Participant): PeerTransport {
    const t: PeerTransport = new PeerTransport(
      this.ctx.transportConfig,
      {
        onAnswer: (sdp) => {
          if (p.transport !== t) return;
          p.send({ case: 'answer', value: new SessionDescription({ type: 'answer', sdp, id: p.answerId }) });
        },
        onLocalCandidate: (candidateInit) => {
          if (p.transport !== t) return;
          p.send({ case: 'trickle', value: new TrickleRequest({ candidateInit, target: SignalTarget.PUBLISHER }) });
        },
        onConnected: () => {
          if (p.transport !== t || p.closed) return;
          if (p.signal) this.clearLostTimer(p);
          if (p.state !== ParticipantInfo_State.ACTIVE) {
            p.state = ParticipantInfo_State.ACTIVE;
            this.participantChanged(p);
          }
        },
        onLost: () => {
          if (p.transport === t) this.startLostTimer(p);
        },
        onDataChannel: (label, channel) => {
          // Downstream packets go to the `_data_track` of the participant's current connection.
          if (label === DATA_TRACK_LABEL && p.transport === t && !p.closed) this.dataTracks.channelOpened(p, channel);
        },
        onDataChannelClosed: (label, channel) => {
          if (label === DATA_TRACK_LABEL) this.dataTracks.channelClosed(p, channel);
        },
        onMessage: (label, message) => {
          // Upstream data-track packets are only taken from the participant's own current connection.
          if (label === DATA_TRACK_LABEL && p.transport === t && !p.closed) this.dataTracks.forward(p, message);
        },
      },
      this.ctx.log,
    );
    this.ctx.trackTransport(t);
    return t;
  }
}
