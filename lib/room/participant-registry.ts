import { DisconnectReason, ParticipantInfo, ParticipantInfo_State } from '../protocol';
import type { LocalParticipant } from './local-participant';
import type { RemoteParticipant } from './remote-participant';

export interface ParticipantRegistryListener {
  /** A participant (identity) appeared, or a new session of it replaced an older one. */
  joined(participant: RemoteParticipant, info: ParticipantInfo): void;
  /** A newer info for a known participant session. */
  updated(participant: RemoteParticipant, info: ParticipantInfo): void;
  /** A participant left; `replaced` when a new session of the same identity took its place. */
  left(participant: RemoteParticipant, replaced: boolean): void;
}

export interface ParticipantRegistryOptions {
  /**
   * > 0: a participant replaced by a new session of its identity (or missing after our own full
   * reconnect) keeps its object, and its data-track view, for up to this long while it rejoins.
   * 0 (the default here; the Room passes RoomOptions.rejoinGraceMs): replacement is a leave plus
   * a join of a new object.
   */
  rejoinGraceMs?: number;
}

/** Departures after which the same identity is expected to rejoin. */
const COMING_BACK = new Set<DisconnectReason>([
  DisconnectReason.DUPLICATE_IDENTITY,
  DisconnectReason.SERVER_SHUTDOWN,
  DisconnectReason.MIGRATION,
]);

interface Hold {
  /** The info the data-track layer last saw for the participant. */
  baseline: ParticipantInfo;
  /** The newest info of the new session, not yet passed on (it does not list all tracks yet). */
  latest: ParticipantInfo | undefined;
  timer: NodeJS.Timeout;
}

/** True when `info` lists every data track of `baseline` (by publisher handle and name). */
function covers(info: ParticipantInfo, baseline: ParticipantInfo): boolean {
  return baseline.dataTracks.every((old) => info.dataTracks.some((t) => t.pubHandle === old.pubHandle && t.name === old.name));
}

/**
 * Applies ParticipantInfos from join/update to the set of remote participants. The server's
 * info is authoritative per identity; within one SID only non-decreasing versions apply; a new
 * SID for an identity replaces the participant; SIDs that were replaced or left stay retired so
 * late messages about them cannot resurrect them. The local identity is never a remote.
 */
export class ParticipantRegistry {
  readonly remotes = new Map<string, RemoteParticipant>();
  private readonly retiredSids = new Set<string>();
  /** Identities expected back (see ParticipantRegistryOptions.rejoinGraceMs). */
  private readonly held = new Map<string, Hold>();
  private readonly rejoinGraceMs: number;

  constructor(
    private readonly local: LocalParticipant,
    /** Makes the object of a participant session that is new to this registry. */
    private readonly createParticipant: (info: ParticipantInfo) => RemoteParticipant,
    private readonly listener: ParticipantRegistryListener,
    options: ParticipantRegistryOptions = {},
  ) {
    this.rejoinGraceMs = Math.max(0, options.rejoinGraceMs ?? 0);
  }

  apply(info: ParticipantInfo): void {
    let identity = info.identity;
    // Servers before 1.5.2 omitted the identity in disconnect updates.
    if (identity === '') identity = this.identityOfSid(info.sid) ?? '';
    if (identity === '') return;
    if (identity === this.local.identity) {
      this.local.updateInfo(info);
      return;
    }
    if (this.retiredSids.has(info.sid)) return;

    const existing = this.remotes.get(identity);
    if (info.state === ParticipantInfo_State.DISCONNECTED) {
      this.retiredSids.add(info.sid);
      if (!existing || existing.sid !== info.sid) return;
      if (this.rejoinGraceMs > 0 && COMING_BACK.has(info.disconnectReason)) {
        // A new session of this identity took over (its full reconnect), or the server is going
        // down under all of us: it is expected back.
        this.hold(existing);
        return;
      }
      this.forget(existing);
      this.listener.left(existing, false);
      return;
    }
    if (existing && existing.sid === info.sid) {
      if (!existing.updateInfo(info)) return;
      const hold = this.held.get(identity);
      if (hold) {
        if (hold.latest !== undefined && !covers(info, hold.baseline)) {
          hold.latest = info;
          return;
        }
        this.release(identity, hold);
      }
      this.listener.updated(existing, info);
      return;
    }
    if (existing && this.rejoinGraceMs > 0) {
      // Same identity, new session: keep the object. Its data tracks come back under new SIDs as
      // the publisher republishes them; until the new info covers them, the old view stays.
      this.retiredSids.add(existing.sid);
      const hold = this.held.get(identity) ?? this.hold(existing);
      existing._adoptSession(info);
      if (covers(info, hold.baseline)) {
        this.release(identity, hold);
        this.listener.updated(existing, info);
      } else {
        hold.latest = info;
      }
      return;
    }
    if (existing) {
      this.retiredSids.add(existing.sid);
      this.remotes.delete(identity);
      this.listener.left(existing, true);
    }
    const participant = this.createParticipant(info);
    this.remotes.set(identity, participant);
    this.listener.joined(participant, info);
  }

  /** Forgets everything (disconnect, or a full reconnect that starts from a fresh join). */
  clear(): void {
    for (const hold of this.held.values()) clearTimeout(hold.timer);
    this.held.clear();
    this.remotes.clear();
    this.retiredSids.clear();
  }

  /**
   * Our own full reconnect joined a new session: `others` is who the server has now. Known
   * participants missing from it are held for the grace period (they may be rejoining too, e.g.
   * after a server restart) and their last infos returned, so the data-track layer keeps their
   * tracks meanwhile; without a grace period they leave. Apply `others` afterwards.
   */
  beginRejoin(others: readonly ParticipantInfo[]): ParticipantInfo[] {
    const present = new Set(others.map((o) => o.identity));
    const kept: ParticipantInfo[] = [];
    for (const participant of [...this.remotes.values()]) {
      if (present.has(participant.identity)) continue;
      if (this.rejoinGraceMs > 0) {
        const hold = this.held.get(participant.identity) ?? this.hold(participant);
        kept.push(hold.baseline);
      } else {
        this.forget(participant);
        this.listener.left(participant, false);
      }
    }
    return kept;
  }

  private hold(participant: RemoteParticipant): Hold {
    const identity = participant.identity;
    const hold: Hold = {
      baseline: participant.info,
      latest: undefined,
      timer: setTimeout(() => this.expire(identity), this.rejoinGraceMs),
    };
    hold.timer.unref?.();
    this.held.set(identity, hold);
    return hold;
  }

  private release(identity: string, hold: Hold): void {
    clearTimeout(hold.timer);
    if (this.held.get(identity) === hold) this.held.delete(identity);
  }

  /** The grace period ran out: a new session's partial info now counts, or the participant left. */
  private expire(identity: string): void {
    const hold = this.held.get(identity);
    if (!hold) return;
    this.held.delete(identity);
    const participant = this.remotes.get(identity);
    if (!participant) return;
    if (hold.latest && participant.sid === hold.latest.sid) {
      this.listener.updated(participant, participant.info);
      return;
    }
    if (participant.sid !== hold.baseline.sid) return;
    this.forget(participant);
    this.listener.left(participant, false);
  }

  private forget(participant: RemoteParticipant): void {
    this.retiredSids.add(participant.sid);
    const hold = this.held.get(participant.identity);
    if (hold) this.release(participant.identity, hold);
    if (this.remotes.get(participant.identity) === participant) this.remotes.delete(participant.identity);
  }

  private identityOfSid(sid: string): string | undefined {
    for (const participant of this.remotes.values()) if (participant.sid === sid) return participant.identity;
    return undefined;
  }
}
