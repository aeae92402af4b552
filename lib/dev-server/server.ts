// The development SFU: one HTTP server for the signal WebSocket (`/rtc/v1`, `/rtc`) and the validate
// endpoints, rooms created on first join, everything in this process and torn down by `close()`.

import { EventEmitter } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ClientInfo, JoinRequest } from '../protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { checkJoin, grantPermission, HttpError, mintToken, verifyToken, type TokenGrants, type VerifiedToken } from './auth';
import { DEFAULT_TARGET_LATENCY_MS } from './congestion';
import { newForwardStats, type ForwardInfo, type ForwardStats } from './forward-stats';
import { ensureCodecLoaded } from './forward';
import { decodeJoinRequestParam, joinRequestFromQuery } from './join-request';
import { createLogger, type Logger } from './log';
import { Room, type RoomContext } from './room';
import { releaseStrandedChannels, type PeerTransport } from './transport';

export interface DevServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default '127.0.0.1', like `livekit-server --dev`. */
  host?: string;
  /** Default 'devkey'. */
  apiKey?: string;
  /** Default 'secret'. */
  apiSecret?: string;
  /** Called for every data-track packet a publisher sends on a published handle (test observability). */
  onForward?: (info: ForwardInfo) => void;
  /** How long a participant whose signal or connection dropped may resume (default 20 s). */
  resumeWindowMs?: number;
  /** How long a subscription to a not yet published SID stays pending (default 60 s, like the server). */
  pendingSubscriptionMs?: number;
  /**
   * Congestion rule per subscriber `_data_track`, as livekit-server's
   * `rtc.datachannel_data_track_target_latency`: a packet is dropped, not queued, when the channel
   * holds more than max(8 KiB, drain rate × this). Default 100 ms; 0 disables the rule.
   */
  dataTrackTargetLatencyMs?: number;
  /**
   * Hard cap on one subscriber channel's buffered bytes, on top of the latency rule and even with it
   * disabled (default 4 MiB; Infinity for none). The real server bounds its writes with a 50 ms write
   * deadline; libdatachannel never blocks a send, so this keeps a stalled subscriber from growing the
   * queue without limit. At 100 ms it only binds above a 40 MB/s drain rate, so the latency rule
   * decides in practice. A negative value drops every packet (tests).
   */
  maxSubscriberBufferedBytes?: number;
}

export type { ForwardInfo, ForwardStats } from './forward-stats';

/** Forwarding counters since the server started (across rooms and restarts). */
export type DevServerStats = ForwardStats;

export interface ParticipantSnapshot {
  identity: string;
  sid: string;
  state: string;
  dataTracks: string[];
  subscriptions: Array<{ trackSid: string; handle: number }>;
  /** Wished-for track SIDs without an active subscription (track unknown, or no `_data_track` yet). */
  pendingSubscriptions: string[];
  /** Whether the SFU holds an open `_data_track` for this participant (downstream packets can flow). */
  dataChannelOpen: boolean;
}

export interface RoomSnapshot {
  name: string;
  sid: string;
  participants: ParticipantSnapshot[];
}

const RTC_PATH = /^(.*)\/rtc(\/v1)?(\/validate)?\/?$/;

interface Authorized {
  token: VerifiedToken;
  roomName: string;
  request: JoinRequest;
  singlePeerConnection: boolean;
}

/**
 * Events: `'forward'` (ForwardInfo, for every data-track packet on a published handle) and
 * `'dataChannelOpen'` ({ room, identity }: the SFU adopted a participant's open `_data_track`; from
 * then on its subscriptions are active and packets can reach it).
 */
export class DevServer extends EventEmitter {
  readonly apiKey: string;
  readonly apiSecret: string;
  readonly host: string;
  private readonly keys: Map<string, string>;
  private readonly log: Logger;
  private readonly rooms = new Map<string, Room>();
  private readonly sockets = new Set<Socket>();
  private readonly transports = new Set<PeerTransport>();
  private http: http.Server | null = null;
  private wss: WebSocketServer | null = null;
  private listeningPort = 0;
  private closing: Promise<void> | null = null;
  private readonly roomContext: RoomContext;
  private readonly forwardStats: ForwardStats = newForwardStats();

  /** Fault injection for reconnect tests. Not for production use. */
  readonly testHooks = {
    /** Cuts a participant's signal socket (no close frame), as a network drop would. */
    dropSignal: (identity: string, room?: string): boolean => this.withParticipant(identity, room, (r, p) => r.dropSignal(p)),
    /** Closes the SFU side of a participant's peer connection. */
    closePeerConnection: (identity: string, room?: string): boolean =>
      this.withParticipant(identity, room, (r, p) => r.closeTransport(p)),
  };

  private constructor(private readonly options: DevServerOptions) {
    super();
    this.apiKey = options.apiKey ?? 'devkey';
    this.apiSecret = options.apiSecret ?? 'secret';
    this.host = options.host ?? '127.0.0.1';
    this.keys = new Map([[this.apiKey, this.apiSecret]]);
    this.log = createLogger();
    const loopback = this.host === '127.0.0.1' || this.host === 'localhost';
    this.roomContext = {
      log: this.log,
      transportConfig: { bindAddress: loopback ? '127.0.0.1' : undefined },
      resumeWindowMs: options.resumeWindowMs ?? 20_000,
      pendingSubscriptionMs: options.pendingSubscriptionMs ?? 60_000,
      congestion: {
        targetLatencyMs: options.dataTrackTargetLatencyMs ?? DEFAULT_TARGET_LATENCY_MS,
        hardCapBytes: options.maxSubscriberBufferedBytes ?? 4 << 20,
      },
      stats: this.forwardStats,
      trackTransport: (t) => {
        this.transports.add(t);
        void t.done.then(() => this.transports.delete(t));
      },
      forwardListened: () => options.onForward !== undefined || this.listenerCount('forward') > 0,
      onForward: (info) => {
        options.onForward?.(info);
        this.emit('forward', info);
      },
      onDataChannelOpen: (room, p) => this.emit('dataChannelOpen', { room: room.name, identity: p.identity }),
      onEmpty: (room) => {
        if (this.rooms.get(room.name) === room) this.rooms.delete(room.name);
      },
    };
  }

  static async start(options: DevServerOptions = {}): Promise<DevServer> {
    ensureCodecLoaded();
    const server = new DevServer(options);
    await server.listen(options.port ?? 0);
    return server;
  }

  get port(): number {
    return this.listeningPort;
  }

  get url(): string {
    const host = this.host === '0.0.0.0' || this.host === '::' ? '127.0.0.1' : this.host;
    return `ws://${host.includes(':') ? `[${host}]` : host}:${this.listeningPort}`;
  }

  /** An access token for this server; the room defaults to 'dev-room' and roomJoin to true. */
  token(identity: string, grants?: TokenGrants): Promise<string> {
    return mintToken(this.apiKey, this.apiSecret, identity, grants);
  }

  /** What each room holds right now (for tests and debugging). */
  snapshot(): RoomSnapshot[] {
    return [...this.rooms.values()].map((room) => ({
      name: room.name,
      sid: room.sid,
      participants: room.participants().map((p) => ({
        identity: p.identity,
        sid: p.sid,
        state: ['JOINING', 'JOINED', 'ACTIVE', 'DISCONNECTED'][p.state] ?? String(p.state),
        dataTracks: [...p.published.values()].map((pub) => pub.info.sid),
        subscriptions: [...p.subscriptions].map(([trackSid, s]) => ({ trackSid, handle: s.handle })),
        pendingSubscriptions: [...p.desired.keys()].filter((sid) => !p.subscriptions.has(sid)),
        dataChannelOpen: p.dataSink !== null,
      })),
    }));
  }

  /**
   * Forwarding counters since start: packets in, copies out, and every drop by reason. Upstream
   * drops (unknown handle, malformed) count packets; downstream ones (no channel, congestion, send
   * error) count one per subscriber that missed the packet.
   */
  stats(): DevServerStats {
    const s = this.forwardStats;
    return { ...s, dropped: { ...s.dropped } };
  }

  /** Ends every session, connection and socket; resolves once the port is free. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown(false);
    return this.closing;
  }

  /** Fault injection: drops everything abruptly (no leave) and listens again on the same port. */
  async restart(): Promise<void> {
    if (this.closing) throw new Error('DevServer is closed');
    const port = this.listeningPort;
    this.closing = this.shutdown(true);
    await this.closing;
    this.closing = null;
    await this.listen(port);
  }

  private async listen(port: number): Promise<void> {
    const wss = new WebSocketServer({ noServer: true, maxPayload: 2 << 20 });
    const server = http.createServer((req, res) => void this.onHttpRequest(req, res));
    server.on('upgrade', (req, socket, head) => void this.onUpgrade(req, socket, head));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.http = server;
    this.wss = wss;
    this.listeningPort = (server.address() as AddressInfo).port;
  }

  private async shutdown(abrupt: boolean): Promise<void> {
    this.log.debug(`forwarding stats: ${JSON.stringify(this.forwardStats)}`);
    for (const room of [...this.rooms.values()]) room.closeAll(abrupt);
    this.rooms.clear();
    const transportsClosed = Promise.all([...this.transports].map((t) => t.close()));
    const server = this.http;
    const wss = this.wss;
    this.http = null;
    this.wss = null;
    for (const ws of wss?.clients ?? []) ws.terminate();
    wss?.close();
    if (server) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of this.sockets) socket.destroy();
      this.sockets.clear();
      await closed;
    }
    await transportsClosed;
    releaseStrandedChannels();
  }

  private withParticipant(
    identity: string,
    roomName: string | undefined,
    act: (room: Room, p: NonNullable<ReturnType<Room['participant']>>) => void,
  ): boolean {
    for (const room of this.rooms.values()) {
      if (roomName !== undefined && room.name !== roomName) continue;
      const p = room.participant(identity);
      if (p) {
        act(room, p);
        return true;
      }
    }
    return false;
  }

  private async onHttpRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = RTC_PATH.exec(url.pathname);
    if (!match) {
      const body = url.pathname === '/' ? 'OK' : 'not found';
      res.writeHead(url.pathname === '/' ? 200 : 404, { 'Content-Type': 'text/plain' }).end(body);
      return;
    }
    if (!match[3]) {
      // /rtc without a WebSocket upgrade.
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', '*');
    try {
      await this.authorize(req, url, match[2] !== undefined);
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('success');
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end((err as Error).message);
    }
  }

  private async onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    socket.on('error', (err) => this.log.debug(`upgrade socket error: ${err.message}`));
    const url = new URL(req.url ?? '/', 'http://localhost');
    const match = RTC_PATH.exec(url.pathname);
    if (!match || match[3]) return refuseUpgrade(socket, 404, 'not found');
    let auth: Authorized;
    try {
      auth = await this.authorize(req, url, match[2] !== undefined);
    } catch (err) {
      const status = err instanceof HttpError ? err.status : 500;
      return refuseUpgrade(socket, status, (err as Error).message);
    }
    const wss = this.wss;
    if (this.closing || !wss || socket.destroyed) return refuseUpgrade(socket, 503, 'server is shutting down');
    wss.handleUpgrade(req, socket, head, (ws) => this.onSession(ws, auth));
  }

  private async authorize(req: http.IncomingMessage, url: URL, v1: boolean): Promise<Authorized> {
    const header = req.headers.authorization;
    let jwt: string | null;
    if (header !== undefined) {
      if (!header.startsWith('Bearer ')) throw new HttpError(401, 'invalid authorization header. Must start with Bearer ');
      jwt = header.slice('Bearer '.length).trim();
    } else {
      jwt = url.searchParams.get('access_token');
    }
    if (!jwt) throw new HttpError(401, 'permissions denied');
    const token = await verifyToken(jwt, this.keys);
    const roomName = checkJoin(token);
    const joinParam = url.searchParams.get('join_request');
    if (v1 && !joinParam) throw new HttpError(400, 'join_request is required');
    // A join_request on the v0 path turns it into a v1 (single peer connection) join, as on the server.
    const request = joinParam ? decodeJoinRequestParam(joinParam) : joinRequestFromQuery(url.searchParams);
    const wantsMetadata = request.metadata !== '' || Object.keys(request.participantAttributes).length > 0;
    if (wantsMetadata && !grantPermission(token.video).canUpdateMetadata) {
      throw new HttpError(401, 'permissions denied: cannot update own metadata');
    }
    return { token, roomName, request, singlePeerConnection: joinParam !== null };
  }

  private onSession(ws: WebSocket, auth: Authorized): void {
    const { token, roomName, request } = auth;
    let room = this.rooms.get(roomName);
    if (request.reconnect) {
      const resumed = room?.resume(token.identity, request, ws);
      if (!room) Room.refuseResume(ws, this.log);
      if (!resumed) this.log.debug(`resume of ${token.identity} refused: state mismatch`);
      return;
    }
    if (!room) {
      room = new Room(roomName, this.roomContext);
      this.rooms.set(roomName, room);
    }
    const attributes = { ...token.attributes };
    for (const [k, v] of Object.entries(request.participantAttributes)) if (v !== '') attributes[k] = v;
    room.join(
      {
        identity: token.identity,
        name: token.name,
        metadata: request.metadata !== '' ? request.metadata : token.metadata,
        attributes,
        kind: token.kind,
        permission: grantPermission(token.video),
        clientInfo: request.clientInfo ?? new ClientInfo(),
        autoSubscribeDataTrack: request.connectionSettings?.autoSubscribeDataTrack ?? false,
      },
      request,
      ws,
    );
  }
}

function refuseUpgrade(socket: Duplex, status: number, message: string): void {
  if (socket.destroyed) return;
  const reason = http.STATUS_CODES[status] ?? 'Error';
  const body = Buffer.from(message);
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${body.length}\r\n` +
      `Connection: close\r\n\r\n${message}`,
  );
}
