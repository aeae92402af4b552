// One participant of a room: identity, grants, state and version, plus what lives across a resume
// (data-track publications, subscriptions and handles, blobs). The signal socket and the peer
// connection are attachments that a resume may replace.

import { randomInt } from 'node:crypto';
import {
  ClientInfo,
  DisconnectReason,
  ParticipantInfo,
  ParticipantInfo_Kind,
  ParticipantInfo_State,
  type DataTrackInfo,
  type ParticipantPermission,
} from '../protocol';
import type { DataChannel } from 'node-datachannel';
import type { CongestionGate } from './congestion';
import type { DataBlobStore } from './data-blobs';
import { newId } from './ids';
import type { SharedResponse, SignalConnection, SignalMessage } from './signal';
import type { PeerTransport } from './transport';

/** A data track published by a participant. */
export interface Publication {
  info: DataTrackInfo;
  publisher: Participant;
  /** Subscriber → its down track. */
  subscribers: Map<Participant, DownTrack>;
  /** The same down tracks as a plain array: the per-packet loop walks it without allocating. */
  downTracks: DownTrack[];
}

/** One active subscription: where a publication's packets go, and under which handle. */
export interface DownTrack {
  subscriber: Participant;
  handle: number;
}

/** A participant's downstream `_data_track`, set once the SFU has adopted it and it is open. */
export interface DataSink {
  channel: DataChannel;
  gate: CongestionGate;
}

export interface ParticipantInit {
  identity: string;
  name: string;
  metadata: string;
  attributes: Record<string, string>;
  kind: string;
  permission: ParticipantPermission;
  clientInfo: ClientInfo;
  autoSubscribeDataTrack: boolean;
}

const KINDS: Record<string, ParticipantInfo_Kind> = {
  standard: ParticipantInfo_Kind.STANDARD,
  ingress: ParticipantInfo_Kind.INGRESS,
  egress: ParticipantInfo_Kind.EGRESS,
  sip: ParticipantInfo_Kind.SIP,
  agent: ParticipantInfo_Kind.AGENT,
  connector: ParticipantInfo_Kind.CONNECTOR,
  bridge: ParticipantInfo_Kind.BRIDGE,
};

export class Participant {
  readonly sid = newId('PA_');
  readonly identity: string;
  readonly name: string;
  readonly metadata: string;
  readonly attributes: Record<string, string>;
  readonly kind: ParticipantInfo_Kind;
  readonly permission: ParticipantPermission;
  readonly clientInfo: ClientInfo;
  readonly autoSubscribeDataTrack: boolean;
  readonly joinedAtMs = Date.now();

  state = ParticipantInfo_State.JOINING;
  version = 0;
  disconnectReason = DisconnectReason.UNKNOWN_REASON;
  closed = false;

  signal: SignalConnection | null = null;
  transport: PeerTransport | null = null;
  /** Id of the offer being answered, echoed in the answer. */
  answerId = 0;
  /** Trickled candidates that arrived before any offer (v0 clients may do that). */
  earlyCandidates: string[] = [];
  /** Removes the participant if neither signal nor transport comes back in time. */
  lostTimer: NodeJS.Timeout | null = null;

  /** Own publications by publisher handle. */
  readonly published = new Map<number, Publication>();
  /** Names of `published`, for the duplicate-name check in constant time. */
  readonly publishedNames = new Set<string>();
  /** Track SIDs this participant asked for, with the time it asked (pending ones expire). */
  readonly desired = new Map<string, number>();
  /**
   * Active subscriptions by track SID: a handle was given out and sent in a snapshot. A wish only
   * becomes one once `dataSink` exists, so no packet is ever routed to a channel that is not there.
   */
  readonly subscriptions = new Map<string, { handle: number; publication: Publication }>();
  /** The handles of `subscriptions`, so a fresh one is found without walking them all. */
  readonly subscriberHandles = new Set<number>();
  /** The open `_data_track` of the current connection, or null (none yet, or being replaced). */
  dataSink: DataSink | null = null;
  /** Last subscriber handle given out; like the server it starts at a random small value. */
  lastSubscriberHandle = randomInt(256);

  constructor(
    init: ParticipantInit,
    readonly blobs: DataBlobStore,
  ) {
    this.identity = init.identity;
    this.name = init.name;
    this.metadata = init.metadata;
    this.attributes = init.attributes;
    this.kind = KINDS[init.kind] ?? ParticipantInfo_Kind.STANDARD;
    this.permission = init.permission;
    this.clientInfo = init.clientInfo;
    this.autoSubscribeDataTrack = init.autoSubscribeDataTrack;
  }

  get hidden(): boolean {
    return this.permission.hidden;
  }

  send(message: SignalMessage | SharedResponse): void {
    this.signal?.send(message);
  }

  /** Every change a client must see bumps the version; clients ignore older infos. */
  touch(): void {
    this.version++;
  }

  toInfo(): ParticipantInfo {
    const gone = this.state === ParticipantInfo_State.DISCONNECTED;
    return new ParticipantInfo({
      sid: this.sid,
      identity: this.identity,
      state: this.state,
      metadata: this.metadata,
      joinedAt: BigInt(Math.floor(this.joinedAtMs / 1000)),
      joinedAtMs: BigInt(this.joinedAtMs),
      name: this.name,
      version: this.version,
      permission: this.permission,
      isPublisher: this.published.size > 0,
      kind: this.kind,
      attributes: this.attributes,
      disconnectReason: gone ? this.disconnectReason : DisconnectReason.UNKNOWN_REASON,
      // The list is authoritative for clients: always complete, and empty once gone.
      dataTracks: gone ? [] : [...this.published.values()].map((p) => p.info),
      clientProtocol: this.clientInfo.clientProtocol,
      capabilities: this.clientInfo.capabilities,
    });
  }
}
