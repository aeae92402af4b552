// One signal WebSocket: binary protobuf frames both ways. Pings are answered right here, like the
// server's read loop does, so liveness never depends on room state.

import { Pong, SignalRequest, SignalResponse } from '@livekit/protocol';
import type { WebSocket } from 'ws';
import type { Logger } from './log';

export type SignalMessage = SignalResponse['message'];

export class SignalConnection {
  private closed = false;
  private closeListeners: Array<() => void> = [];

  constructor(
    private readonly ws: WebSocket,
    private readonly onRequest: (req: SignalRequest) => void,
    private readonly log: Logger,
  ) {
    ws.on('message', (data, isBinary) => this.receive(data, isBinary));
    ws.on('close', () => this.markClosed());
    ws.on('error', (err) => this.log.debug(`signal socket error: ${err.message}`));
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  send(message: SignalMessage): void {
    if (!this.isOpen) return;
    this.ws.send(new SignalResponse({ message }).toBinary(), { binary: true });
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
    for (const l of this.closeListeners.splice(0)) l();
  }

  private receive(data: unknown, isBinary: boolean): void {
    if (this.closed) return;
    if (!isBinary) {
      this.log.debug('ignoring a text signal frame (only binary protobuf is supported)');
      return;
    }
    const bytes = Array.isArray(data) ? Buffer.concat(data as Buffer[]) : Buffer.from(data as ArrayBuffer);
    let req: SignalRequest;
    try {
      req = SignalRequest.fromBinary(bytes);
    } catch (err) {
      this.log.debug(`undecodable signal request: ${(err as Error).message}`);
      return;
    }
    const msg = req.message;
    if (msg.case === 'ping') {
      this.send({ case: 'pong', value: BigInt(Date.now()) });
      return;
    }
    if (msg.case === 'pingReq') {
      this.send({ case: 'pongResp', value: new Pong({ lastPingTimestamp: msg.value.timestamp, timestamp: BigInt(Date.now()) }) });
      return;
    }
    try {
      this.onRequest(req);
    } catch (err) {
      // A client must never be able to take the server down with a strange request.
      this.log.debug(`error handling ${msg.case}: ${(err as Error).stack ?? err}`);
    }
  }
}
