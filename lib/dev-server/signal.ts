// One signal WebSocket: binary protobuf frames both ways, or JSON once the client sends a text
// frame (livekit-server decodes a text message as protojson and answers in JSON from then on).
// Pings are answered right here, like the server's read loop does, so liveness never depends on
// room state.

import { Pong, SignalRequest, SignalResponse } from '../protocol';
import type { WebSocket } from 'ws';
import type { Logger } from './log';
import { RequestQueue } from './request-queue';

export type SignalMessage = SignalResponse['message'];

/**
 * A response sent unchanged to many connections (a participant update to a whole room): encoded
 * once per wire format, on first use, instead of once per recipient.
 */
export class SharedResponse {
  private binary: Uint8Array | undefined;
  private json: string | undefined;

  constructor(readonly message: SignalMessage) {}

  toBinary(): Uint8Array {
    this.binary ??= new SignalResponse({ message: this.message }).toBinary();
    return this.binary;
  }

  toJson(): string {
    this.json ??= new SignalResponse({ message: this.message }).toJsonString();
    return this.json;
  }
}

export class SignalConnection {
  private closed = false;
  /** Set by a text frame: replies are protojson text frames until the next binary one. */
  private json = false;
  private closeListeners: Array<() => void> = [];
  private readonly requests: RequestQueue<SignalRequest>;

  constructor(
    private readonly ws: WebSocket,
    private readonly onRequest: (req: SignalRequest) => void,
    private readonly log: Logger,
  ) {
    this.requests = new RequestQueue(
      (req) => this.dispatch(req),
      (backlogged) => (backlogged ? ws.pause() : ws.resume()),
    );
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', () => {
      // Requests the client sent before closing (a leave, typically) are still handled.
      if (!this.closed) this.requests.flush();
      this.markClosed();
    });
    ws.on('error', (err) => this.log.debug(`signal socket error: ${err.message}`));
  }

  /** Requests received but not handled yet (a burst is handled in slices; see request-queue.ts). */
  get pendingRequests(): number {
    return this.requests.pending;
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  send(message: SignalMessage | SharedResponse): void {
    if (!this.isOpen) return;
    const shared = message instanceof SharedResponse ? message : new SharedResponse(message);
    if (this.json) this.ws.send(shared.toJson(), { binary: false });
    else this.ws.send(shared.toBinary(), { binary: true });
  }

  /** Graceful close (after a leave); `terminate` drops the TCP connection without a close frame. */
  close(terminate = false): void {
    if (terminate) this.ws.terminate();
    else if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.close(1000);
    this.markClosed();
  }

  private markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.requests.clear();
    for (const l of this.closeListeners.splice(0)) l();
  }

  private receive(data: unknown, isBinary: boolean): void {
    if (this.closed) return;
    const bytes = Array.isArray(data) ? Buffer.concat(data as Buffer[]) : Buffer.from(data as ArrayBuffer);
    let req: SignalRequest;
    try {
      req = isBinary ? SignalRequest.fromBinary(bytes) : SignalRequest.fromJsonString(bytes.toString('utf8'));
    } catch (err) {
      this.log.debug(`undecodable ${isBinary ? 'binary' : 'JSON'} signal request: ${(err as Error).message}`);
      return;
    }
    // As on the server, the frame type of the last request decides the format of replies; unlike
    // it (which flips before decoding), an undecodable frame changes nothing here.
    this.json = !isBinary;
    const msg = req.message;
    if (msg.case === 'ping') {
      this.send({ case: 'pong', value: BigInt(Date.now()) });
      return;
    }
    if (msg.case === 'pingReq') {
      this.send({ case: 'pongResp', value: new Pong({ lastPingTimestamp: msg.value.timestamp, timestamp: BigInt(Date.now()) }) });
      return;
    }
    this.requests.push(req);
  }

  private dispatch(req: SignalRequest): void {
    if (this.closed) return;
    try {
      this.onRequest(req);
    } catch (err) {
      // A client must never be able to take the server down with a strange request.
      this.log.debug(`error handling ${req.message.case}: ${(err as Error).stack ?? err}`);
    }
  }
}
