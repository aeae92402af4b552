import type { DataTrackSettings } from '../datatrack/types';
import type { E2EEOptions } from '../e2ee/key-provider';
import type { IceServerConfig } from '../transport/ice';

import type { ReconnectPolicy, ReconnectPolicyOptions } from './reconnect-policy';

export type { ReconnectPolicy, ReconnectPolicyOptions } from './reconnect-policy';

/** End-to-end encryption of this participant's data tracks: `{ keyProvider }`. */
export type RoomEncryptionOptions = E2EEOptions;

export interface RoomOptions {
  /**
   * Ask the SFU to subscribe this participant to every data track automatically
   * (`connection_settings.auto_subscribe_data_track`). Unset leaves the server default (off).
   */
  autoSubscribeDataTrack?: boolean;
  /**
   * Deadline for connect() as a whole: signal, join, peer connection and data channel. Default
   * 15 s, which is also the default deadline of each reconnect attempt (`attemptTimeoutMs`).
   */
  connectTimeoutMs?: number;
  /**
   * How the room retries after losing its connection: a ReconnectPolicy, or options of the default
   * exponential backoff (10 attempts, 100 ms doubling to 5 s, ±20 % jitter, give up after 60 s; the
   * first 3 attempts are resumes, later ones full reconnects). `{ maxAttempts: 0 }` disables reconnects.
   */
  reconnectPolicy?: ReconnectPolicy | ReconnectPolicyOptions;
  /**
   * How long a remote participant that is expected back keeps its RemoteParticipant object and its
   * data tracks (open streams included) instead of leaving. Expected back means: the server reported
   * it gone with reason DUPLICATE_IDENTITY, SERVER_SHUTDOWN or MIGRATION, or a new session of its
   * identity replaced it (its full reconnect), or it is missing from the room after our own full
   * reconnect. Meanwhile no ParticipantDisconnected fires; a returning session keeps the same
   * object (new `sid`), and its data tracks keep their objects once the new session lists them
   * all again (under new track SIDs). When the period ends without that, the participant leaves
   * (ParticipantDisconnected, its tracks unpublished) or, if it came back with fewer tracks, the
   * missing ones are unpublished. Any other departure is immediate. Default 10 000 ms; 0 turns
   * this off (a replaced session is a leave plus a join of a new object).
   */
  rejoinGraceMs?: number;
  encryption?: RoomEncryptionOptions;
  /** Timeouts, queue capacity and send-buffer watermarks of the data-track layer. */
  dataTracks?: DataTrackSettings;
  /**
   * ICE servers for the peer connection. The join response's servers arrive after the offer
   * (which travels in the join request), so without this the first connection of a session
   * uses host candidates only; later connections use the servers from the last join.
   */
  iceServers?: IceServerConfig[];
}

export interface RoomConnectOptions {
  signal?: AbortSignal;
}

export const DEFAULT_REJOIN_GRACE_MS = 10_000;
