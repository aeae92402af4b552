import type { IncomingMessage } from 'node:http';
import type { ClientRequest } from 'node:http';
import { debuglog } from 'node:util';
import {
  DisconnectReason,
  JoinRequest,
  JoinResponse,
  LeaveRequest,
  LeaveRequest_Action,
  Ping,
  ReconnectResponse,
  SignalRequest,
  SignalResponse,
} from '../protocol';
import WebSocket from 'ws';
import {
  ConnectError,
  ConnectErrorReason,
  connectErrorFromSocketError,
  reasonForHttpStatus,
  SIGNAL_PROTOCOL_WARNING_CODE,
  SignalProtocolError,
  SignalProtocolErrorReason,
} from './errors';
import { httpGetText, readBody } from './http';
import { encodeJoinRequest } from './join-request';
import { PingScheduler } from './ping';
import { buildRtcUrl, buildValidateUrl } from './url';

const debug = debuglog('livekit:signal');

export type SignalRequestMessage = SignalRequest['message'];
export type SignalResponseMessage = SignalResponse['message'];

/** What a connect resolves with: the join (fresh session) or the reconnect response (resume). */
export type FirstSignalMessage =
  | { case: 'join'; value: JoinResponse }
  | { case: 'reconnect'; value: ReconnectResponse };

export enum SignalLossReason {
  PingTimeout = 'pingTimeout',
  SocketClosed = 'socketClosed',
}

export interface SignalClientHandler {
  /** Every server message after the first one, in order (pongs included, for completeness). */
  onMessage(message: SignalResponseMessage): void;
  /** The socket went away or stopped answering; not called after close(). */
  onLost(reason: SignalLossReason, detail: string): void;
}

export interface SignalConnectOptions {
  signal?: AbortSignal;
  /** Deadline for the upgrade plus the first message. */
  timeoutMs?: number;
}

/**
 * The one default deadline for connecting: a Room's connect() (RoomOptions.connectTimeoutMs), each
 * reconnect attempt of the default policy, and a bare signal connect.
 */
export const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const VALIDATE_TIMEOUT_MS = 3_000;
const CLOSE_GRACE_MS = 1_000;
const MAX_ERROR_BODY = 16 * 1024;

/** Requests that may pass while a resume is still in progress; everything else waits for it. */
const PASS_THROUGH = new Set<NonNullable<SignalRequestMessage['case']>>([
  'syncState',
  'trickle',
  'offer',
  'answer',
  'simulate',
  'leave',
]);

type State = 'idle' | 'connecting' | 'open' | 'closed';

interface PendingConnect {
  ws: WebSocket;
  expect: 'join' | 'reconnect';
  resolve(first: FirstSignalMessage): void;
  reject(err: ConnectError): void;
}

/**
 * One LiveKit signal session over a WebSocket. It survives socket losses (a later connect with
 * `reconnect` set resumes it) and queues requests while no socket can carry them or a resume
 * is still being negotiated. Closed for good by close().
 */
export class SignalClient {
  private state: State = 'idle';
  private ws: WebSocket | undefined;
  private pending: PendingConnect | undefined;
  private resuming = false;
  private queue: SignalRequestMessage[] = [];
  /** Messages that arrived after the first one but before the owner called release(). */
  private held: SignalResponseMessage[] | undefined;
  private readonly ping: PingScheduler;
  /** Callers of probe() waiting for the next pong (true) or the socket's end (false). */
  private probes = new Set<(answered: boolean) => void>();
  /** Undecodable server messages on this connection (dropped). */
  private undecodable = 0;

  constructor(private readonly handler: SignalClientHandler) {
    this.ping = new PingScheduler(
      (now, rtt) => {
        // Both kinds, like livekit-client: older servers only know the legacy one.
        this.write({ case: 'pingReq', value: new Ping({ timestamp: BigInt(now), rtt: BigInt(rtt) }) });
        this.write({ case: 'ping', value: BigInt(now) });
      },
      () => this.lose(SignalLossReason.PingTimeout, 'no message from the server within ping_timeout'),
    );
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** Round trip measured by ping_req/pong_resp, in ms (0 until known). */
  get rttMs(): number {
    return this.ping.rttMs;
  }

  /**
   * Opens `<url>/rtc/v1` with the join request and resolves with the first server message,
   * which must be `join` (or `reconnect` when `joinRequest.reconnect` is set). Later messages
   * are held until release(), so the caller can apply the first one before any other arrives.
   */
  connect(
    url: string,
    token: string,
    joinRequest: JoinRequest,
    opts: SignalConnectOptions = {},
  ): Promise<FirstSignalMessage> {
    if (this.state === 'closed') {
      return Promise.reject(new ConnectError(ConnectErrorReason.Cancelled, 'signal client is closed'));
    }
    if (this.state === 'connecting') {
      return Promise.reject(new ConnectError(ConnectErrorReason.Protocol, 'a connect is already in progress'));
    }
    if (opts.signal?.aborted) {
      return Promise.reject(abortError(opts.signal));
    }
    let rtcUrl: URL;
    try {
      rtcUrl = buildRtcUrl(url, { access_token: token, join_request: encodeJoinRequest(joinRequest) });
    } catch (err) {
      return Promise.reject(err);
    }
    this.dropSocket();
    this.state = 'connecting';
    this.resuming = joinRequest.reconnect;
    this.held = [];

    const headers = { Authorization: `Bearer ${token}` };
    const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const startedAt = Date.now();

    return new Promise<FirstSignalMessage>((resolve, reject) => {
      const ws = new WebSocket(rtcUrl, { headers });
      // Stops a /validate probe still running when the attempt ends some other way.
      const attempt = new AbortController();
      this.ws = ws;

      const timer = setTimeout(
        () => settle(new ConnectError(ConnectErrorReason.Timeout, `signal connect timed out after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onAbort = () => settle(abortError(opts.signal!));
      opts.signal?.addEventListener('abort', onAbort, { once: true });

      const settle = (result: ConnectError | FirstSignalMessage) => {
        if (this.pending?.ws !== ws) return;
        this.pending = undefined;
        clearTimeout(timer);
        opts.signal?.removeEventListener('abort', onAbort);
        attempt.abort();
        if (result instanceof ConnectError) {
          if (this.state === 'connecting') this.state = 'idle';
          if (this.ws === ws) this.dropSocket();
          reject(result);
        } else {
          resolve(result);
        }
      };
      this.pending = {
        ws,
        expect: joinRequest.reconnect ? 'reconnect' : 'join',
        resolve: settle,
        reject: settle,
      };

      ws.on('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
        const remaining = Math.max(0, timeoutMs - (Date.now() - startedAt));
        void this.explainRefusal(req, res, rtcUrl, headers, Math.min(remaining, VALIDATE_TIMEOUT_MS), attempt.signal).then(
          settle,
        );
      });
      ws.on('error', (err) => {
        if (this.pending?.ws === ws) settle(connectErrorFromSocketError(err));
        else debug('socket error: %s', err.message);
      });
      ws.on('close', (code, reason) => this.onSocketClose(ws, code, reason.toString()));
      ws.on('message', (data, isBinary) => this.onSocketMessage(ws, data as Buffer, isBinary));
    });
  }

  /** Starts delivering messages that followed the first one; call after applying it. */
  release(): void {
    const held = this.held;
    this.held = undefined;
    if (!held) return;
    for (const message of held) {
      if (this.state !== 'open') return;
      this.deliver(message);
    }
  }

  /**
   * Sends a request, or queues it while there is no open socket or a resume is in progress
   * (pass-through kinds excepted). Dropped after close().
   */
  send(message: SignalRequestMessage): void {
    if (this.state === 'closed' || message.case === undefined) return;
    const canSendNow = this.state === 'open' && (!this.resuming || PASS_THROUGH.has(message.case));
    if (canSendNow && this.queue.length === 0) this.write(message);
    else if (canSendNow && PASS_THROUGH.has(message.case)) this.write(message);
    else this.queue.push(message);
  }

  /** The resume finished (transport reconnected, sync_state sent): release queued requests. */
  /**
   * Asks the server for a pong on this socket: true when it answers, false when the socket ends
   * first or after `timeoutMs`. The socket is ordered, so whatever the server sent before its
   * answer (a leave, say) has been handled by then.
   */
  probe(timeoutMs: number): Promise<boolean> {
    if (this.state !== 'open') return Promise.resolve(false);
    return new Promise((resolve) => {
      const settle = (answered: boolean) => {
        clearTimeout(timer);
        this.probes.delete(settle);
        resolve(answered);
      };
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.probes.add(settle);
      this.write({ case: 'pingReq', value: new Ping({ timestamp: BigInt(Date.now()), rtt: BigInt(this.ping.rttMs) }) });
    });
  }

  private settleProbes(answered: boolean): void {
    for (const settle of [...this.probes]) settle(answered);
  }

  setResumed(): void {
    this.resuming = false;
    this.flush();
  }

  /**
   * Ends the session for good: sends `leave` (unless told not to), closes the socket and waits
   * briefly for the close handshake. Safe to call more than once.
   */
  async close(opts: { sendLeave?: boolean } = {}): Promise<void> {
    if (this.state === 'closed') return;
    const wasOpen = this.state === 'open';
    this.state = 'closed';
    this.ping.stop();
    this.settleProbes(false);
    this.queue = [];
    this.held = undefined;
    const pending = this.pending;
    if (pending) pending.reject(new ConnectError(ConnectErrorReason.Cancelled, 'disconnected while connecting'));
    const ws = this.ws;
    this.ws = undefined;
    if (!ws) return;
    if (!wasOpen || ws.readyState !== WebSocket.OPEN) {
      ws.terminate();
      return;
    }
    if (opts.sendLeave !== false) {
      const leave = new LeaveRequest({
        canReconnect: false,
        reason: DisconnectReason.CLIENT_INITIATED,
        action: LeaveRequest_Action.DISCONNECT,
      });
      ws.send(new SignalRequest({ message: { case: 'leave', value: leave } }).toBinary());
    }
    await new Promise<void>((resolve) => {
      const grace = setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
      ws.once('close', () => {
        clearTimeout(grace);
        resolve();
      });
      ws.close(1000);
    });
  }

  private onSocketMessage(ws: WebSocket, data: Buffer, isBinary: boolean): void {
    if (ws !== this.ws) return;
    let response: SignalResponse;
    try {
      response = isBinary
        ? SignalResponse.fromBinary(data)
        : SignalResponse.fromJsonString(data.toString('utf8'), { ignoreUnknownFields: true });
    } catch (err) {
      if (this.pending) {
        this.pending.reject(
          new ConnectError(ConnectErrorReason.Protocol, `undecodable first signal message: ${String(err)}`, {
            cause: err,
          }),
        );
      } else {
        this.reportUndecodable(data, isBinary, err);
      }
      return;
    }
    this.ping.touch();
    const message = response.message;
    if (this.pending) {
      this.onFirstMessage(this.pending, message);
      return;
    }
    switch (message.case) {
      case 'pongResp':
        this.ping.onPong(Number(message.value.lastPingTimestamp));
        this.settleProbes(true);
        return;
      case 'pong':
        return;
    }
    if (this.held) this.held.push(message);
    else this.deliver(message);
  }

  /** Counted, debug-logged, and warned about once per connection (a flood must not flood stderr). */
  private reportUndecodable(data: Buffer, isBinary: boolean, err: unknown): void {
    this.undecodable++;
    debug('dropping undecodable signal message: %s', String(err));
    if (this.undecodable > 1) return;
    const error = new SignalProtocolError(
      SignalProtocolErrorReason.Undecodable,
      `dropped an undecodable ${isBinary ? 'binary' : 'text'} signal message (${data.length} bytes) from the server`,
      { cause: err },
    );
    try {
      process.emitWarning(error);
    } catch {
      // A test runner's sandbox may not take our Error as one: the same warning, by name.
      process.emitWarning(error.message, { type: error.name, code: SIGNAL_PROTOCOL_WARNING_CODE });
    }
  }

  private deliver(message: SignalResponseMessage): void {
    try {
      this.handler.onMessage(message);
    } catch (err) {
      // A handler bug must not take the socket's read loop down with it.
      process.emitWarning(`livekit: signal message handler threw: ${err instanceof Error ? err.stack : String(err)}`);
    }
  }

  private onFirstMessage(pending: PendingConnect, message: SignalResponseMessage): void {
    if (message.case === 'leave') {
      const leave = message.value;
      pending.reject(
        new ConnectError(
          ConnectErrorReason.LeaveRequest,
          `server refused the ${pending.expect}: leave (reason ${DisconnectReason[leave.reason] ?? leave.reason}, action ${
            LeaveRequest_Action[leave.action] ?? leave.action
          })`,
          { leave },
        ),
      );
      return;
    }
    if (message.case !== pending.expect) {
      pending.reject(
        new ConnectError(
          ConnectErrorReason.Protocol,
          `expected ${pending.expect} as the first signal message, got ${message.case ?? 'an empty message'}`,
        ),
      );
      return;
    }
    this.state = 'open';
    if (message.case === 'join') {
      this.ping.start(message.value.pingInterval, message.value.pingTimeout);
      if (message.value.pingInterval <= 0) debug('server sent ping_interval 0: not pinging');
    } else {
      // A reconnect response carries no ping settings: keep the session's.
      this.ping.touch();
    }
    this.flush();
    pending.resolve(message as FirstSignalMessage);
  }

  private onSocketClose(ws: WebSocket, code: number, reason: string): void {
    if (ws !== this.ws) return;
    const detail = `signal socket closed (code ${code}${reason ? `, ${reason}` : ''})`;
    if (this.pending) {
      this.pending.reject(new ConnectError(ConnectErrorReason.ServerUnreachable, `${detail} before the ${this.pending.expect} response`));
      return;
    }
    this.lose(SignalLossReason.SocketClosed, detail);
  }

  private lose(reason: SignalLossReason, detail: string): void {
    if (this.state !== 'open') return;
    this.state = 'idle';
    this.dropSocket();
    this.handler.onLost(reason, detail);
    this.settleProbes(false);
  }

  private flush(): void {
    if (this.queue.length === 0) return;
    const queue = this.queue;
    this.queue = [];
    for (const message of queue) this.send(message);
  }

  private write(message: SignalRequestMessage): void {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(new SignalRequest({ message }).toBinary());
  }

  /** Forgets the current socket without ceremony (loss, failed connect, or a new connect). */
  private dropSocket(): void {
    this.ping.stop();
    const ws = this.ws;
    this.ws = undefined;
    if (ws) {
      // Late events of a dropped socket must not reach anyone; an 'error' still needs a listener.
      ws.removeAllListeners();
      ws.on('error', () => {});
      ws.terminate();
    }
  }

  /** Turns a refused upgrade into a ConnectError, asking `/validate` for the server's reason. */
  private async explainRefusal(
    req: ClientRequest,
    res: IncomingMessage,
    rtcUrl: URL,
    headers: Record<string, string>,
    validateTimeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<ConnectError> {
    const status = res.statusCode ?? 0;
    let body = '';
    try {
      body = await readBody(res, MAX_ERROR_BODY);
    } catch {
      // the status alone still says what happened
    } finally {
      req.destroy();
    }
    if (validateTimeoutMs > 0 && !signal?.aborted) {
      try {
        const validation = await httpGetText(buildValidateUrl(rtcUrl), headers, {
          timeoutMs: validateTimeoutMs,
          signal,
          maxBytes: MAX_ERROR_BODY,
        });
        if (validation.status !== 200 && validation.body) body = validation.body;
      } catch (err) {
        debug('validate request failed: %s', String(err));
      }
    }
    const reason = reasonForHttpStatus(status);
    const message = `could not establish signal connection: HTTP ${status}${body ? ` ${body}` : ''}`;
    return new ConnectError(reason, message, { httpStatus: status, body });
  }
}

function abortError(signal: AbortSignal): ConnectError {
  const why = signal.reason instanceof Error ? signal.reason.message : signal.reason;
  return new ConnectError(
    ConnectErrorReason.Cancelled,
    `connect cancelled${why !== undefined ? `: ${String(why)}` : ''}`,
    { cause: signal.reason },
  );
}
