// What the development SFU reports about forwarding: per packet (the 'forward' event) and in total
// (stats()). Public types of the dev-server entry, kept apart from the router so that their
// declarations pull in none of its dependencies.

export interface ForwardInfo {
  room: string;
  /** Publisher identity. */
  from: string;
  trackSid: string;
  /** The packet as the publisher sent it. */
  packet: Uint8Array;
  /** Identities it was sent to (after congestion drops). */
  to: string[];
}

/**
 * Forwarding counters. Upstream drops (`unknownHandle`, `malformed`) count packets; downstream ones
 * (`noChannel`, `congestion`, `sendError`) count copies, one per subscriber that did not get it.
 */
export interface ForwardStats {
  /** Packets received on publishers' `_data_track`. */
  packetsReceived: number;
  /** Copies written to subscribers' `_data_track`. */
  packetsForwarded: number;
  bytesForwarded: number;
  dropped: {
    /** The subscription is active but the subscriber's channel is gone (e.g. during a resume). */
    noChannel: number;
    /** The subscriber's channel holds too much (see congestion.ts). */
    congestion: number;
    /** No track published under the packet's handle (e.g. sent before the publish response). */
    unknownHandle: number;
    /** Shorter than a DTP header, or refused by the codec. */
    malformed: number;
    /** The channel refused the write (closed under our feet). */
    sendError: number;
  };
}

export function newForwardStats(): ForwardStats {
  return {
    packetsReceived: 0,
    packetsForwarded: 0,
    bytesForwarded: 0,
    dropped: { noChannel: 0, congestion: 0, unknownHandle: 0, malformed: 0, sendError: 0 },
  };
}
