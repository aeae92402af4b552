import type { RelaySignal, SetupParams, TrackMemory } from '../lib/protocol';

/** The child's side of the IPC, as rows see it. */
export interface ChildIpc {
  signal(index: number, data: RelaySignal): void;
  onSignal(index: number, handler: (data: RelaySignal) => void): void;
}

export interface PublisherEndpoint {
  /** True if the SDK accepted the frame. */
  push(payload: Uint8Array): boolean | Promise<boolean>;
  /** For asynchronous SDKs: waits for pushes in flight and returns how many were refused. */
  settle?(): Promise<number>;
  close(): Promise<void>;
  /** Many-tracks section: what creating the tracks cost (rows that have tracks). */
  memory?: TrackMemory;
}

export interface SubscriberEndpoint {
  close(): Promise<void>;
  memory?: TrackMemory;
}

/** One way of moving frames from a publisher process to subscriber processes. */
export interface RowDriver {
  publisher(params: SetupParams, ipc: ChildIpc): Promise<PublisherEndpoint>;
  /** Hosts `params.tokens.length` subscribers; `onFrame(i, payload)` for subscriber i. */
  subscribers(
    params: SetupParams,
    ipc: ChildIpc,
    onFrame: (index: number, payload: Uint8Array) => void,
  ): Promise<SubscriberEndpoint>;
}
