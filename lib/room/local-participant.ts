import { ParticipantInfo, type ParticipantPermission } from '@livekit/protocol';
import { Participant } from './participant';

export interface ParticipantPermissions {
  canSubscribe: boolean;
  canPublish: boolean;
  canPublishData: boolean;
  canUpdateMetadata: boolean;
  canSubscribeMetrics: boolean;
  hidden: boolean;
}

/**
 * This client's participant. The object lives as long as the Room, so references to it stay
 * valid across reconnects; its identity is empty until the first join.
 */
export class LocalParticipant extends Participant {
  constructor() {
    super(new ParticipantInfo());
  }

  /** What the token allows, as last reported by the server; undefined before the first join. */
  get permissions(): ParticipantPermissions | undefined {
    const p: ParticipantPermission | undefined = this._info.permission;
    if (!p) return undefined;
    return {
      canSubscribe: p.canSubscribe,
      canPublish: p.canPublish,
      canPublishData: p.canPublishData,
      canUpdateMetadata: p.canUpdateMetadata,
      canSubscribeMetrics: p.canSubscribeMetrics,
      hidden: p.hidden,
    };
  }

  /**
   * Adopts the info of a (new) session unconditionally: after a full reconnect the SID changes.
   * @internal
   */
  resetInfo(info: ParticipantInfo): void {
    this._info = info;
  }
}
