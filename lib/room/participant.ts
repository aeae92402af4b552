import { ParticipantInfo, ParticipantInfo_Kind, ParticipantInfo_State } from '@livekit/protocol';

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

/** What every participant exposes. Snapshots of the server's ParticipantInfo, updated in place. */
export abstract class Participant {
  protected _info: ParticipantInfo;

  constructor(info: ParticipantInfo) {
    this._info = info;
  }

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
