// Messages between the bench orchestrator (which runs the SFU or the bare relay) and the
// publisher / subscriber child processes. Each role runs in its own process so that CPU time is
// measured per role with process.cpuUsage().

export type RowKind = 'ceiling' | 'ours' | 'ours-e2ee' | 'livekit-client' | 'rust-ffi';
export type Role = 'publisher' | 'subscriber';

export interface SetupParams {
  row: RowKind;
  role: Role;
  url?: string;
  /** One token per participant this process hosts (fan-out subscribers host several). */
  tokens?: string[];
  trackName: string;
  publisherIdentity: string;
  /**
   * Many-tracks section: the publisher publishes this many tracks (`${trackName}-${i}`) and
   * round-robins frames across them; the subscriber subscribes to all. Default 1 (`trackName`).
   */
  tracks?: number;
}

/** The track names a row's publisher publishes and its subscribers subscribe to. */
export function trackNames(params: SetupParams): string[] {
  const n = params.tracks ?? 1;
  return n === 1 ? [params.trackName] : Array.from({ length: n }, (_, i) => `${params.trackName}-${i}`);
}

/** What a role's tracks cost in memory, measured by the row driver around creating them. */
export interface TrackMemory {
  tracks: number;
  /** JS heap used, after a full GC, per track (KiB). */
  heapKbPerTrack: number;
  /** Resident set (JS, addon, node-datachannel), per track (KiB). */
  rssKbPerTrack: number;
}

export interface Cell {
  id: string;
  sizeBytes: number;
  freqHz: number;
  durationS: number;
}

export type ToChild =
  | { type: 'setup'; params: SetupParams }
  | { type: 'signal'; index: number; data: RelaySignal }
  | { type: 'run'; cell: Cell }
  /** Publisher only: stay connected and push nothing for `durationS`, to measure idle CPU. */
  | { type: 'idle'; durationS: number }
  | { type: 'start'; cell: Cell; startNs: string }
  | { type: 'collect'; cellId: string }
  | { type: 'close' };

export type ToParent =
  | { type: 'ready'; memory?: TrackMemory }
  | { type: 'signal'; index: number; data: RelaySignal }
  | {
      type: 'ran';
      cellId: string;
      attempted: number;
      accepted: number;
      cpuMs: number;
      elapsedMs: number;
      loopP99Ms: number;
      pushUs: number;
    }
  | {
      type: 'collected';
      cellId: string;
      received: number[];
      latencies: number[];
      cpuMs: number;
      elapsedMs: number;
      loopP99Ms: number;
    }
  | { type: 'error'; message: string }
  | { type: 'closed' };

/** Ceiling row only: SDP and candidates between a bare client PC and the bare relay. */
export type RelaySignal =
  | { kind: 'offer'; sdp: string }
  | { kind: 'answer'; sdp: string }
  | { kind: 'candidate'; candidate: string; mid: string };
