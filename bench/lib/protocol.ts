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
  | { type: 'ready' }
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
