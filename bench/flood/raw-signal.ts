// A bare signal client (ws + protobuf, no SDK, no peer connection): what a flooding or probing
// client needs to speak to an SFU, and a byte count per kind of server message.

import { SignalRequest, SignalResponse } from '@livekit/protocol';
import WebSocket from 'ws';

export type RequestMessage = SignalRequest['message'];
export type ResponseMessage = SignalResponse['message'];

export class RawSignal {
  /** Bytes received per SignalResponse case. */
  readonly bytesByCase = new Map<string, number>();
  readonly countByCase = new Map<string, number>();
  private listeners: Array<(m: ResponseMessage) => void> = [];

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      const message = SignalResponse.fromBinary(data).message;
      const key = message.case ?? 'empty';
      this.bytesByCase.set(key, (this.bytesByCase.get(key) ?? 0) + data.length);
      this.countByCase.set(key, (this.countByCase.get(key) ?? 0) + 1);
      for (const l of this.listeners) l(message);
    });
  }

  /** v0 join (no peer connection needed to publish or to ping); resolves on the JoinResponse. */
  static async join(url: string, token: string): Promise<RawSignal> {
    const ws = new WebSocket(`${url}/rtc?access_token=${encodeURIComponent(token)}&protocol=16&sdk=node&auto_subscribe=0`);
    const signal = new RawSignal(ws);
    await signal.next((m) => m.case === 'join', 10_000, 'join response');
    return signal;
  }

  onMessage(listener: (m: ResponseMessage) => void): void {
    this.listeners.push(listener);
  }

  /** Resolves with the first later message matching `pred`. */
  next(pred: (m: ResponseMessage) => boolean, timeoutMs: number, what: string): Promise<ResponseMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      const listener = (m: ResponseMessage) => {
        if (!pred(m)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(m);
      };
      this.listeners.push(listener);
    });
  }

  send(message: RequestMessage): void {
    this.ws.send(new SignalRequest({ message }).toBinary());
  }

  bytes(kind: string): number {
    return this.bytesByCase.get(kind) ?? 0;
  }

  close(): void {
    this.ws.terminate();
  }
}
