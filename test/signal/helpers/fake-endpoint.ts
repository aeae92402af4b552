// A scripted LiveKit signal endpoint for unit-testing the SignalClient's own behaviour (errors,
// ping, queueing). It is a real HTTP + WebSocket server on a real port; Room behaviour against an
// actual SFU is tested with the dev server in test/room.

import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SignalRequest, SignalResponse } from '@livekit/protocol';
import { WebSocketServer, type WebSocket } from 'ws';

export interface UpgradeInfo {
  url: URL;
  headers: http.IncomingHttpHeaders;
}

export interface FakeEndpointOptions {
  /** Refuse the upgrade with this status/body instead of accepting it. */
  refuse?: { status: number; body: string };
  /** What GET /rtc/v1/validate answers (default 200 "success"). */
  validate?: { status: number; body: string };
  /** Accept TCP but never answer the upgrade. */
  hang?: boolean;
}

export class FakeEndpoint {
  readonly upgrades: UpgradeInfo[] = [];
  readonly validateRequests: UpgradeInfo[] = [];
  private readonly server: http.Server;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<Socket>();
  private readonly clients: WebSocket[] = [];
  private readonly received: SignalRequest[] = [];
  private waiters: { pred: (r: SignalRequest) => boolean; resolve: (r: SignalRequest) => void }[] = [];
  private clientWaiters: ((ws: WebSocket) => void)[] = [];

  private constructor(opts: FakeEndpointOptions) {
    this.server = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname.endsWith('/validate')) {
        this.validateRequests.push({ url, headers: req.headers });
        const v = opts.validate ?? { status: 200, body: 'success' };
        res.writeHead(v.status, { 'content-type': 'text/plain' }).end(v.body);
        return;
      }
      res.writeHead(404).end('not found');
    });
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
      this.upgrades.push({ url: new URL(req.url ?? '/', 'http://localhost'), headers: req.headers });
      if (opts.hang) return;
      if (opts.refuse) {
        socket.end(
          `HTTP/1.1 ${opts.refuse.status} Refused\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(
            opts.refuse.body,
          )}\r\nConnection: close\r\n\r\n${opts.refuse.body}`,
        );
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.clients.push(ws);
        ws.on('message', (data: Buffer) => {
          const request = SignalRequest.fromBinary(data);
          this.received.push(request);
          this.waiters = this.waiters.filter((w) => {
            if (!w.pred(request)) return true;
            w.resolve(request);
            return false;
          });
        });
        for (const w of this.clientWaiters.splice(0)) w(ws);
      });
    });
  }

  static async start(opts: FakeEndpointOptions = {}): Promise<FakeEndpoint> {
    const endpoint = new FakeEndpoint(opts);
    await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  get url(): string {
    return `ws://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get requests(): readonly SignalRequest[] {
    return this.received;
  }

  /** The most recent accepted client socket, waiting for one if none yet. */
  client(timeoutMs = 5000): Promise<WebSocket> {
    const last = this.clients[this.clients.length - 1];
    if (last) return Promise.resolve(last);
    return withTimeout(new Promise((resolve) => this.clientWaiters.push(resolve)), timeoutMs, 'client socket');
  }

  async send(message: SignalResponse['message']): Promise<void> {
    const ws = await this.client();
    ws.send(new SignalResponse({ message }).toBinary());
  }

  /** Resolves with the first request (already received or future) matching `pred`. */
  waitFor(pred: (r: SignalRequest) => boolean, timeoutMs = 5000, what = 'signal request'): Promise<SignalRequest> {
    const found = this.received.find(pred);
    if (found) return Promise.resolve(found);
    return withTimeout(new Promise((resolve) => this.waiters.push({ pred, resolve })), timeoutMs, what);
  }

  async close(): Promise<void> {
    for (const ws of this.clients) ws.terminate();
    this.wss.close();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
