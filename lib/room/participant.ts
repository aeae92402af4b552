import { ParticipantInfo, ParticipantInfo_Kind, ParticipantInfo_State } from '../protocol';
import type { LocalDataTrack } from '../datatrack/local-track';
import type { RemoteDataTrack } from '../datatrack/remote-track';
import type { ParticipantEventCallbacks } from './events';
import { type EventMap, TypedEmitter } from './typed-emitter';

export enum ParticipantKind {
  Standard = 'standard',
  Ingress = 'ingress',
  Egress = 'egress',
  Sip = 'sip',
  Agent = 'agent',
  Connector = 'connector',
  Bridge = 'bridge',
}

const KIND_FROM_PROTO: Record<number, ParticipantKind> = {
  [ParticipantInfo_Kind.STANDARD]: ParticipantKind.Standard,
  [ParticipantInfo_Kind.INGRESS]: ParticipantKind.Ingress,
  [ParticipantInfo_Kind.EGRESS]: ParticipantKind.Egress,
  [ParticipantInfo_Kind.SIP]: ParticipantKind.Sip,
  [ParticipantInfo_Kind.AGENT]: ParticipantKind.Agent,
  [ParticipantInfo_Kind.CONNECTOR]: ParticipantKind.Connector,
  [ParticipantInfo_Kind.BRIDGE]: ParticipantKind.Bridge,
};

/**
 * What every participant exposes: snapshots of the server's ParticipantInfo, updated in place, its
 * data tracks, and its events (`E`: LocalParticipantEventCallbacks or RemoteParticipantEventCallbacks).
 * Participants are created by their Room.
 */
export abstract class Participant<E extends EventMap<E> = ParticipantEventCallbacks> extends TypedEmitter<E> {
  protected _info: ParticipantInfo;

  // Protected and published: the subclasses' own constructors are stripped from the published
  // declarations, and this one keeps applications from constructing them anyway.
  protected constructor(info: ParticipantInfo) {
    super();
    this._info = info;
  }

  /** The participant's published data tracks by name (a live map; the same objects as the events carry). */
  abstract get dataTracks(): ReadonlyMap<string, LocalDataTrack | RemoteDataTrack>;

  get identity(): string {
    return this._info.identity;
  }

  get sid(): string {
    return this._info.sid;
  }

  get name(): string {
    return this._info.name;
  }

  get metadata(): string {
    return this._info.metadata;
  }

  get attributes(): Readonly<Record<string, string>> {
    return this._info.attributes;
  }

  get kind(): ParticipantKind {
    return KIND_FROM_PROTO[this._info.kind] ?? ParticipantKind.Standard;
  }

  /** The latest ParticipantInfo from the server (read-only by convention). */
  get info(): ParticipantInfo {
    return this._info;
  }

  /** True once the server reports the participant's connection as up. */
  get isActive(): boolean {
    return this._info.state === ParticipantInfo_State.ACTIVE;
  }

  /**
   * Takes a newer info for the same session. Returns false, changing nothing, when the info is
   * for another SID or older than what we have (updates can cross during reconnects).
   * @internal
   */
  updateInfo(info: ParticipantInfo): boolean {
    if (info.sid !== this._info.sid || info.version < this._info.version) return false;
    this._info = info;
    return true;
  }
}
