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
  /** Deadline for connect() as a whole: signal, join and peer connection. Default 15 s. */
  connectTimeoutMs?: number;
  /**
   * How the room retries after losing its connection: a ReconnectPolicy, or options of the default
   * exponential backoff (10 attempts, 100 ms doubling to 5 s, ±20 % jitter, give up after 60 s; the
   * first 3 attempts are resumes, later ones full reconnects). `{ maxAttempts: 0 }` disables reconnects.
   */
  reconnectPolicy?: ReconnectPolicy | ReconnectPolicyOptions;
  /**
   * How long a remote participant that went away with a reconnect pending (replaced by a new session
   * of the same identity, or missing after our own full reconnect) keeps its participant object and
   * data tracks while it comes back. Default 10 000 ms; 0 restores leave-and-join semantics.
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

export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
export const DEFAULT_REJOIN_GRACE_MS = 10_000;
