// What crosses between the browser page (page.ts) and its Node driver (drivers/browser-peer.ts):
// plain JSON, so bytes are base64 and u64 user timestamps decimal strings.

export interface PageTrackInfo {
  sid: string;
  name: string;
  usesE2ee: boolean;
}

export interface PageRemoteTrack extends PageTrackInfo {
  publisherIdentity: string;
}

export type PageEvent =
  | { kind: 'trackPublished'; track: PageRemoteTrack }
  | { kind: 'trackUnpublished'; sid: string }
  | { kind: 'participantLeft'; identity: string }
  | { kind: 'subscriptionReady'; id: number }
  | { kind: 'frame'; id: number; payload: string; userTimestamp?: string }
  | { kind: 'subscriptionEnded'; id: number; error?: string };

/** `window.lkPeer`: the commands page.ts takes. */
export interface PageApi {
  /** Connects and returns the local identity. */
  connect(url: string, token: string, e2eePassphrase?: string): Promise<string>;
  publish(name: string): Promise<PageTrackInfo>;
  push(sid: string, payload: string, userTimestamp?: string): Promise<void>;
  unpublish(sid: string): Promise<void>;
  /** Opens subscription `id` (chosen by the driver); its frames and end arrive as events. */
  subscribe(id: number, sid: string, bufferSize: number): void;
  closeSubscription(id: number): void;
  disconnect(): Promise<void>;
}

declare global {
  interface Window {
    lkPeer: PageApi;
    /** Installed by the driver (page.exposeBinding). */
    lkReport(event: PageEvent): Promise<void>;
  }
}
