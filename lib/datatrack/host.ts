// The seam between the Room (signal + transport) and the data-track controller.
// The Room owns connections and forwards data-track facts here; the controller owns the native
// managers, the public track objects and their streams. Neither reaches into the other's internals.

import type {
  JoinResponse,
  ParticipantInfo,
  PublishDataTrackResponse,
  SignalRequest,
  SignalResponse,
} from '../protocol';

/** The `_data_track` data channel towards the SFU, as the transport exposes it. */
export interface DataTrackChannel {
  /**
   * Sends one binary message (one DTP packet). Returns false if the channel is not open. Must copy
   * the bytes before returning: the sender writes the next batch into the same buffer.
   */
  send(packet: Uint8Array): boolean;
  /** Bytes queued in the SCTP send buffer. */
  readonly bufferedAmount: number;
  readonly isOpen: boolean;
  /** Called once the buffered amount drops to the low threshold after being above it. */
  onBufferedAmountLow(listener: () => void): void;
  setBufferedAmountLowThreshold(bytes: number): void;
}

export type SignalMessage = SignalRequest['message'];

/** What the Room provides to the controller. */
export interface DataTrackHost {
  /** Sends a signal request; the Room queues it while a resume is in progress. */
  sendSignal(message: SignalMessage): void;
  /** The current `_data_track` channel, or null while there is none open. */
  dataTrackChannel(): DataTrackChannel | null;
  localIdentity(): string;
  /** True while joined (including a resume in progress); false before connect and after disconnect. */
  isConnected(): boolean;
  /** True while a quick or full reconnect is in progress. */
  isReconnecting(): boolean;
  /**
   * Resolves once the room is connected and not reconnecting; rejects if the room disconnects for
   * good or the signal fires. Used by publish/subscribe issued during a reconnect.
   */
  waitUntilReady(signal?: AbortSignal): Promise<void>;
}

/** What the Room calls on the controller. Every method is synchronous and must not throw. */
export interface DataTrackHostListener {
  /** After a fresh join (first connect or full reconnect). */
  onJoined(join: JoinResponse): void;
  /** Every remote ParticipantInfo from join/update (never the local one), already version-filtered. */
  onRemoteParticipantInfo(info: ParticipantInfo): void;
  /** A remote participant left (DISCONNECTED update or removal). */
  onRemoteParticipantLeft(identity: string): void;
  /** Signal responses about data tracks: publish/unpublish responses, request_response, subscriber handles, data blobs. */
  onSignalResponse(message: SignalResponse['message']): void;
  /** One message from a `_data_track` channel. */
  onDataTrackMessage(packet: Uint8Array): void;
  /** A `_data_track` channel opened (initial connect or after a reconnect). */
  onChannelOpen(): void;
  /** For SyncState.publish_data_tracks when resuming: one entry per published local track. */
  syncStatePublishedTracks(): PublishDataTrackResponse[];
  /** Quick reconnect done: publications and subscriptions kept. */
  onResumed(): void;
  /** Full reconnect starting: publications must be re-requested after the next onJoined. */
  onRestarting(): void;
  /** The room disconnected for good: reject pending work, end streams. */
  onDisconnected(reason: string): void;
}
