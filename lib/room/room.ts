import { debuglog } from 'node:util';
import {
  DisconnectReason as ProtoDisconnectReason,
  JoinResponse,
  LeaveRequest,
  LeaveRequest_Action,
  ReconnectReason,
  Room as RoomInfo,
  SignalTarget,
  SyncState,
  TrickleRequest,
} from '../protocol';
import type { DataTrackHost, DataTrackHostListener } from '../datatrack/host';
import { createDataTrackController, routeDataTrackEvents } from '../datatrack/room-integration';
import { buildClientInfo } from '../signal/client-info';
import { ConnectError, ConnectErrorReason } from '../signal/errors';
import { DEFAULT_CONNECT_TIMEOUT_MS } from '../signal/signal-client';
import { buildJoinRequest } from '../signal/join-request';
import { buildRtcUrl } from '../signal/url';
import {
  SignalClient,
  type SignalClientHandler,
  type SignalResponseMessage,
} from '../signal/signal-client';
import type { IceServerConfig } from '../transport/ice';
import {
  PublisherTransport,
  type PublisherTransportHandler,
  TimeoutError,
} from '../transport/publisher-transport';
import { ConnectionState } from './connection-state';
import { DisconnectReason, disconnectReasonFromProto } from './disconnect-reason';
import { RoomError, RoomErrorReason } from './errors';
import { RoomEvent, type RoomEventCallbacks } from './events';
import { ROOM_INTERNALS, type RoomInternals } from './internals';
import { LocalParticipant } from './local-participant';
import { DEFAULT_REJOIN_GRACE_MS, type RoomConnectOptions, type RoomOptions } from './options';
import { ParticipantRegistry } from './participant-registry';
import { Reconnector, ResumeImpossibleError, type ReconnectRequest } from './reconnect';
import { resolveReconnectPolicy } from './reconnect-policy';
import { SIMULATE_SCENARIOS, type SimulateScenario } from './simulate';
import { RemoteParticipant } from './remote-participant';
import { TypedEmitter } from './typed-emitter';

const debug = debuglog('livekit:room');
/** How long a peer connection's failure waits for the signal to show whether the server ended the session. */
const TRANSPORT_FAILURE_PROBE_MS = 2_000;

/** One signal session plus its peer connection, from connect() (or a full reconnect) to its end. */
interface Session {
  url: string;
  /** Replaced by the server's refresh_token messages, for reconnects. */
  token: string;
  signal: SignalClient;
  transport: PublisherTransport | undefined;
  /** Aborts every wait of an in-progress connect; `failure` says why. */
  readonly abort: AbortController;
  failure: Error | undefined;
  joined: boolean;
}

interface ReadyWaiter {
  resolve(): void;
  reject(err: Error): void;
}

/**
 * A connection to one LiveKit room: signal session, the single publisher peer connection and
 * the participant list. The data-track layer (lib/datatrack) sees the Room only through a
 * DataTrackHost and is fed through a DataTrackHostListener.
 */
export class Room extends TypedEmitter<RoomEventCallbacks> {
  /** This client's participant; the same object for the room's lifetime. */
  readonly localParticipant: LocalParticipant;
  /** @internal */
  readonly [ROOM_INTERNALS]: RoomInternals;

  private readonly options: RoomOptions;
  private readonly registry: ParticipantRegistry;
  private state = ConnectionState.Disconnected;
  private session: Session | undefined;
  private roomInfo: RoomInfo | undefined;
  /** From the last join: the next peer connection can use them (this one was offered before). */
  private lastIceServers: IceServerConfig[] = [];
  /** Where data-track facts go: the controller (a test of the host seam may replace it). */
  private listener: DataTrackHostListener;
  private readyWaiters = new Set<ReadyWaiter>();
  private ending: Promise<void> | undefined;
  /** Resume / full reconnect after a loss (lib/room/reconnect.ts). */
  private readonly reconnector: Reconnector;

  /** Throws a TypeError if `options.encryption` has no KeyProvider. */
  constructor(options: RoomOptions = {}) {
    super();
    this.options = { ...options };
    const host = this.dataTrackHost();
    const dataTracks = createDataTrackController(host, this.options);
    this.listener = dataTracks;
    this.localParticipant = new LocalParticipant(dataTracks);
    this.reconnector = new Reconnector(resolveReconnectPolicy(options.reconnectPolicy), {
      resume: (signal, timeoutMs, request) => this.resumeSession(signal, timeoutMs, request),
      restart: (signal, timeoutMs) => this.restartSession(signal, timeoutMs),
      started: () => {
        this.setState(ConnectionState.Reconnecting);
        this.emit(RoomEvent.Reconnecting);
      },
      succeeded: (mode) => {
        debug('reconnected (%s)', mode);
        this.setState(ConnectionState.Connected);
        this.emit(RoomEvent.Reconnected);
      },
      gaveUp: (reason, err) => {
        debug('reconnect gave up (%s): %s', reason, err?.message ?? '');
        void this.endSession(reason, true);
      },
    });
    this.registry = new ParticipantRegistry(this.localParticipant, (info) => new RemoteParticipant(info, dataTracks), {
      joined: (participant, info) => {
        // Announced while reconnecting too: those are participants the application has not seen.
        if (this.isConnected()) this.emit(RoomEvent.ParticipantConnected, participant);
        this.listener.onRemoteParticipantInfo(info);
      },
      updated: (_participant, info) => this.listener.onRemoteParticipantInfo(info),
      left: (participant, replaced) => {
        // A replacement keeps the identity: the data-track layer reconciles its tracks from the
        // new session's info instead of dropping them.
        if (!replaced) this.listener.onRemoteParticipantLeft(participant.identity);
        if (this.isConnected()) this.emit(RoomEvent.ParticipantDisconnected, participant);
      },
    }, { rejoinGraceMs: options.rejoinGraceMs ?? DEFAULT_REJOIN_GRACE_MS });
    routeDataTrackEvents(dataTracks, {
      room: this,
      localParticipant: this.localParticipant,
      remoteParticipant: (identity) => this.registry.remotes.get(identity),
    });
    this[ROOM_INTERNALS] = {
      host,
      dataTracks,
      replaceDataTrackListener: (listener) => {
        if (this.session) throw new RoomError(RoomErrorReason.InvalidState, 'replace the data-track listener before connect()');
        this.listener = listener;
      },
    };
  }

  get name(): string {
    return this.roomInfo?.name ?? '';
  }

  /** The server's room SID (`RM_…`); empty before the first join. */
  get sid(): string {
    return this.roomInfo?.sid ?? '';
  }

  get metadata(): string {
    return this.roomInfo?.metadata ?? '';
  }

  get connectionState(): ConnectionState {
    return this.state;
  }

  /** Everyone else in the room, by identity. */
  get remoteParticipants(): ReadonlyMap<string, RemoteParticipant> {
    return this.registry.remotes;
  }

  /** Signal round-trip time from the last ping, in ms (0 until measured). */
  get signalRttMs(): number {
    return this.session?.signal.rttMs ?? 0;
  }

  /**
   * Joins the room and resolves once the peer connection is up. Rejects with a ConnectError;
   * the room is then disconnected again and connect() may be retried.
   */
  async connect(url: string, token: string, opts: RoomConnectOptions = {}): Promise<void> {
    if (this.session || this.ending) {
      throw new RoomError(RoomErrorReason.InvalidState, `connect() called while the room is ${this.state}`);
    }
    // A malformed URL is a programming error: a TypeError now, not a ConnectError later.
    buildRtcUrl(url, {});
    if (opts.signal?.aborted) throw cancelledError(opts.signal);
    const listener = this.listener;
    const session = { url, token, abort: new AbortController(), joined: false } as Session;
    session.signal = new SignalClient(this.signalHandler(session));
    this.session = session;

    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    const timer = setTimeout(
      () => this.failConnect(session, new ConnectError(ConnectErrorReason.Timeout, `connect timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = () => this.failConnect(session, cancelledError(opts.signal!));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    this.setState(ConnectionState.Connecting);
    try {
      await this.establish(session, listener, deadline);
      if (this.session !== session) throw session.failure ?? cancelledError();
    } catch (err) {
      const failure = session.failure ?? toConnectError(err);
      if (this.session === session) await this.endSession(DisconnectReason.JoinFailure, true);
      throw failure;
    } finally {
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
    this.setState(ConnectionState.Connected);
    this.emit(RoomEvent.Connected);
  }

  /** Leaves the room and releases everything. Safe to call at any time, any number of times. */
  async disconnect(): Promise<void> {
    await this.endSession(DisconnectReason.ClientInitiated, true);
  }

  // --- what the data-track layer sees of the Room --------------------------------------------

  private dataTrackHost(): DataTrackHost {
    return {
      sendSignal: (message) => this.session?.signal.send(message),
      dataTrackChannel: () => this.session?.transport?.dataTrackChannel() ?? null,
      localIdentity: () => this.localParticipant.identity,
      isConnected: () => this.isConnected(),
      isReconnecting: () => this.state === ConnectionState.Reconnecting,
      waitUntilReady: (signal) => this.waitUntilReady(signal),
    };
  }

  private isConnected(): boolean {
    return this.state === ConnectionState.Connected || this.state === ConnectionState.Reconnecting;
  }

  private waitUntilReady(signal?: AbortSignal): Promise<void> {
    if (this.state === ConnectionState.Connected) return Promise.resolve();
    if (this.state === ConnectionState.Disconnected) {
      return Promise.reject(new RoomError(RoomErrorReason.NotConnected, 'room is not connected'));
    }
    if (signal?.aborted) return Promise.reject(new RoomError(RoomErrorReason.Cancelled, 'wait cancelled'));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => waiter.reject(new RoomError(RoomErrorReason.Cancelled, 'wait cancelled'));
      const waiter: ReadyWaiter = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          this.readyWaiters.delete(waiter);
          resolve();
        },
        reject: (err) => {
          signal?.removeEventListener('abort', onAbort);
          this.readyWaiters.delete(waiter);
          reject(err);
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.readyWaiters.add(waiter);
    });
  }

  // --- session lifecycle -----------------------------------------------------------------------

  /**
   * Fresh join: new peer connection, offer inside the join request, join response, then wait
   * for the transport. Re-runnable for a full reconnect on a new Session.
   */
  private async establish(session: Session, listener: DataTrackHostListener, deadline: number, rejoin = false): Promise<void> {
    const abort = session.abort.signal;
    const transport = this.newTransport(session, listener);
    const offer = await raceAbort(transport.createOffer(), abort);

    const joinRequest = buildJoinRequest({
      clientInfo: buildClientInfo(),
      autoSubscribeDataTrack: this.options.autoSubscribeDataTrack,
      publisherOffer: offer,
    });
    const first = await session.signal.connect(session.url, session.token, joinRequest, {
      signal: abort,
      timeoutMs: Math.max(1, deadline - Date.now()),
    });
    if (first.case !== 'join') throw new ConnectError(ConnectErrorReason.Protocol, `unexpected ${first.case} response`);
    this.applyJoin(session, first.value, listener, rejoin);
    session.signal.release();
    await transport.waitConnected(abort, Math.max(1, deadline - Date.now()));
    // The channel opens right after the transport; resolving connect() with it usable spares
    // every caller a second wait. A server without data tracks closes it instead, which is fine.
    await raceAbort(transport.waitDataTrackChannel(Math.max(1, deadline - Date.now())), abort);
  }

  private applyJoin(session: Session, join: JoinResponse, listener: DataTrackHostListener, rejoin = false): void {
    session.joined = true;
    this.roomInfo = join.room;
    this.lastIceServers = join.iceServers.map((s) => ({ urls: s.urls, username: s.username, credential: s.credential }));
    if (join.participant) this.localParticipant.resetInfo(join.participant);
    if (rejoin) {
      // A full reconnect: participant objects (and their data tracks) of identities still around,
      // or expected back within the grace period, carry over.
      const kept = this.registry.beginRejoin(join.otherParticipants);
      let forListener = join;
      if (kept.length > 0) {
        forListener = join.clone();
        forListener.otherParticipants = [...join.otherParticipants, ...kept];
      }
      listener.onJoined(forListener);
    } else {
      this.registry.clear();
      listener.onJoined(join);
    }
    for (const info of join.otherParticipants) this.registry.apply(info);
  }

  /** Makes an in-progress connect fail with `err` (first failure wins). */
  private failConnect(session: Session, err: Error): void {
    if (this.session !== session || session.abort.signal.aborted) return;
    session.failure = err;
    session.abort.abort(err);
  }

  /**
   * The session broke (signal lost, transport failed, or the server said leave). While connecting
   * the connect fails; once connected the reconnector takes over unless `recovery` is null (the
   * server said leave for good) or the policy allows no attempt, and then the room disconnects.
   */
  private onSessionLost(
    session: Session,
    reason: DisconnectReason,
    err: Error,
    sendLeave: boolean,
    recovery: Omit<ReconnectRequest, 'reason' | 'error'> | null = {},
  ): void {
    if (this.session !== session) return;
    debug('session lost (%s): %s', reason, err.message);
    if (this.state === ConnectionState.Connecting) {
      this.failConnect(session, err);
      return;
    }
    if (recovery !== null && !this.ending && this.reconnector.request({ reason, error: err, ...recovery })) return;
    void this.endSession(reason, sendLeave);
  }

  /** Ends the current session for good; concurrent callers share one teardown. */
  private endSession(reason: DisconnectReason, sendLeave: boolean): Promise<void> {
    if (this.ending) return this.ending;
    const session = this.session;
    if (!session) return Promise.resolve();
    this.ending = this.teardown(session, reason, sendLeave).finally(() => {
      this.ending = undefined;
    });
    return this.ending;
  }

  private async teardown(session: Session, reason: DisconnectReason, sendLeave: boolean): Promise<void> {
    const wasConnected = this.isConnected();
    this.reconnector.stop();
    this.failConnect(session, cancelledError());
    this.session = undefined;
    session.transport?.close();
    const signalClosed = session.signal.close({ sendLeave });
    this.registry.clear();
    this.setState(ConnectionState.Disconnected);
    const gone = new RoomError(RoomErrorReason.Disconnected, `room disconnected (${reason})`);
    for (const waiter of [...this.readyWaiters]) waiter.reject(gone);
    this.listener.onDisconnected(reason);
    await signalClosed;
    if (wasConnected) this.emit(RoomEvent.Disconnected, reason);
  }

  // --- reconnects (the loop and its policy live in reconnect.ts) -------------------------------

  /**
   * Quick reconnect: the same session continues on a new signal socket (`reconnect` join with our
   * participant SID), then `sync_state` says which data tracks we publish. The peer connection is
   * kept if it is still up; otherwise a new one is offered in the reconnect request (our SFU
   * answers it with a new connection, as libdatachannel cannot restart ICE in place). Requests
   * made meanwhile wait in the signal client's queue until the resume is done.
   */
  private async resumeSession(abort: AbortSignal, timeoutMs: number, request: ReconnectRequest): Promise<void> {
    const session = this.session;
    if (!session || !session.joined) throw new ConnectError(ConnectErrorReason.Cancelled, 'no session to resume');
    const listener = this.listener;
    const deadline = Date.now() + timeoutMs;
    const transport = session.transport;
    if (!transport || transport.connectionState !== 'connected') {
      throw new ResumeImpossibleError(`the peer connection is ${transport?.connectionState ?? 'gone'}: a resume cannot bring it back`);
    }
    const joinRequest = buildJoinRequest({
      clientInfo: buildClientInfo(),
      autoSubscribeDataTrack: this.options.autoSubscribeDataTrack,
      resume: {
        participantSid: this.localParticipant.sid,
        reason: ReconnectReason.RR_SIGNAL_DISCONNECTED,
      },
    });
    debug('resuming %s (%s)', this.localParticipant.sid, request.reason);
    const first = await session.signal.connect(session.url, session.token, joinRequest, {
      signal: abort,
      timeoutMs: Math.max(1, deadline - Date.now()),
    });
    if (first.case !== 'reconnect') throw new ConnectError(ConnectErrorReason.Protocol, `unexpected ${first.case} response to a resume`);
    if (first.value.iceServers.length > 0) {
      this.lastIceServers = first.value.iceServers.map((s) => ({ urls: s.urls, username: s.username, credential: s.credential }));
    }
    // Passes the resume queue: the server checks our publications against its own.
    session.signal.send({
      case: 'syncState',
      value: new SyncState({ publishDataTracks: listener.syncStatePublishedTracks() }),
    });
    session.signal.release();
    if (abort.aborted) throw abort.reason;
    session.signal.setResumed();
    listener.onResumed();
  }

  /**
   * Full reconnect: the old session is dropped and a new one joins (new participant SID). No
   * `leave` is sent for the old one: the server's duplicate-identity takeover replaces it, and the
   * others then see DUPLICATE_IDENTITY, which tells them this identity is coming straight back.
   */
  private async restartSession(abort: AbortSignal, timeoutMs: number): Promise<void> {
    const old = this.session;
    if (!old || this.ending) throw new ConnectError(ConnectErrorReason.Cancelled, 'the room is disconnecting');
    const listener = this.listener;
    old.abort.abort(new ConnectError(ConnectErrorReason.Cancelled, 'replaced by a full reconnect'));
    old.transport?.close();
    void old.signal.close({ sendLeave: false });
    listener.onRestarting();
    const session = { url: old.url, token: old.token, abort: new AbortController(), joined: false } as Session;
    session.signal = new SignalClient(this.signalHandler(session));
    this.session = session;
    const onAbort = () => this.failConnect(session, abort.reason instanceof Error ? abort.reason : cancelledError());
    if (abort.aborted) onAbort();
    abort.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => this.failConnect(session, new ConnectError(ConnectErrorReason.Timeout, `full reconnect timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    try {
      await this.establish(session, listener, Date.now() + timeoutMs, true);
      if (this.session !== session) throw session.failure ?? cancelledError();
    } catch (err) {
      throw session.failure ?? err;
    } finally {
      clearTimeout(timer);
      abort.removeEventListener('abort', onAbort);
    }
  }

  /**
   * Fault injection for tests (see SimulateScenario). Resolves once the fault is injected; watch
   * RoomEvent.Reconnecting / Reconnected / Disconnected for the outcome.
   */
  async simulateScenario(scenario: SimulateScenario): Promise<void> {
    if (!SIMULATE_SCENARIOS.includes(scenario)) throw new TypeError(`unknown scenario ${String(scenario)}`);
    const session = this.session;
    if (!session || !session.joined || this.ending || this.state === ConnectionState.Connecting) {
      throw new RoomError(RoomErrorReason.InvalidState, `simulateScenario() called while the room is ${this.state}`);
    }
    const simulated = (what: string) => new ConnectError(ConnectErrorReason.ServerUnreachable, `simulated ${what}`);
    const leave = (action: LeaveRequest_Action, reason: ProtoDisconnectReason) =>
      this.onSignalMessage(session, { case: 'leave', value: new LeaveRequest({ canReconnect: action !== LeaveRequest_Action.DISCONNECT, reason, action }) });
    switch (scenario) {
      case 'signal-reconnect':
        this.onSessionLost(session, DisconnectReason.SignalClose, simulated('signal loss'), false, {});
        return;
      case 'full-reconnect':
        this.onSessionLost(session, DisconnectReason.SignalClose, simulated('full reconnect'), false, { full: true });
        return;
      case 'transport-failure':
        session.transport?.close();
        this.onSessionLost(session, DisconnectReason.TransportFailure, simulated('peer connection failure'), true, { full: true });
        return;
      case 'server-leave':
        leave(LeaveRequest_Action.DISCONNECT, ProtoDisconnectReason.SERVER_SHUTDOWN);
        return;
      case 'server-leave-resume':
        leave(LeaveRequest_Action.RESUME, ProtoDisconnectReason.UNKNOWN_REASON);
        return;
      case 'server-leave-reconnect':
        leave(LeaveRequest_Action.RECONNECT, ProtoDisconnectReason.STATE_MISMATCH);
        return;
    }
  }

  private setState(state: ConnectionState): void {
    if (this.state === state) return;
    this.state = state;
    if (state === ConnectionState.Connected) for (const waiter of [...this.readyWaiters]) waiter.resolve();
    this.emit(RoomEvent.ConnectionStateChanged, state);
  }

  // --- signal and transport events -------------------------------------------------------------

  private signalHandler(session: Session): SignalClientHandler {
    return {
      onMessage: (message) => {
        if (this.session === session) this.onSignalMessage(session, message);
      },
      onLost: (reason, detail) => {
        this.onSessionLost(
          session,
          DisconnectReason.SignalClose,
          new ConnectError(ConnectErrorReason.ServerUnreachable, `signal lost (${reason}): ${detail}`),
          false,
        );
      },
    };
  }

  /** A new peer connection for `session` (its current one from now on). */
  private newTransport(session: Session, listener: DataTrackHostListener): PublisherTransport {
    const transportRef: { current?: PublisherTransport } = {};
    const transport = new PublisherTransport(this.transportHandler(session, listener, transportRef), {
      iceServers: this.options.iceServers ?? this.lastIceServers,
    });
    transportRef.current = transport;
    session.transport = transport;
    return transport;
  }

  private transportHandler(
    session: Session,
    listener: DataTrackHostListener,
    transportRef: { current?: PublisherTransport },
  ): PublisherTransportHandler {
    return {
      onIceCandidate: (candidateInit) => {
        session.signal.send({
          case: 'trickle',
          value: new TrickleRequest({ candidateInit, target: SignalTarget.PUBLISHER }),
        });
      },
      // The data path: straight to the data-track layer, nothing else in between.
      onDataTrackMessage: (packet) => listener.onDataTrackMessage(packet),
      onDataTrackChannelOpen: () => {
        if (this.session === session && session.transport === transportRef.current) listener.onChannelOpen();
      },
      onFailed: (state) => {
        // Only the session's current peer connection counts (a resume may have replaced it).
        if (session.transport !== transportRef.current) return;
        // A server that removes a participant (another session took its identity, say) sends a
        // leave and closes its peer connection at once, and the connection's failure can reach
        // us first. Rejoining then would take the identity back from the newcomer, so the signal
        // is asked first: its answer comes after anything the server sent before it.
        void session.signal.probe(TRANSPORT_FAILURE_PROBE_MS).then(() =>
          this.onSessionLost(
            session,
            DisconnectReason.TransportFailure,
            new ConnectError(ConnectErrorReason.ServerUnreachable, `peer connection ${state}`),
            true,
            { full: true },
          ),
        );
      },
    };
  }

  private onSignalMessage(session: Session, message: SignalResponseMessage): void {
    switch (message.case) {
      case 'answer': {
        const { sdp, id } = message.value;
        try {
          session.transport?.setAnswer(sdp, id);
        } catch (err) {
          this.onSessionLost(
            session,
            DisconnectReason.TransportFailure,
            new ConnectError(ConnectErrorReason.Protocol, `the server's answer was rejected: ${String(err)}`, { cause: err }),
            true,
            { full: true },
          );
        }
        return;
      }
      case 'trickle':
        if (message.value.target === SignalTarget.PUBLISHER) session.transport?.addRemoteCandidate(message.value.candidateInit);
        return;
      case 'update':
        for (const info of message.value.participants) this.registry.apply(info);
        return;
      case 'roomUpdate':
        if (message.value.room) this.roomInfo = message.value.room;
        return;
      case 'refreshToken':
        session.token = message.value;
        return;
      case 'leave': {
        const leave = message.value;
        const reason = disconnectReasonFromProto(leave.reason);
        // RESUME: resume right away; RECONNECT: rejoin from scratch; DISCONNECT: the room ends.
        const recovery =
          leave.action === LeaveRequest_Action.RESUME
            ? {}
            : leave.action === LeaveRequest_Action.RECONNECT
              ? { full: true }
              : null;
        this.onSessionLost(
          session,
          reason,
          new ConnectError(
            ConnectErrorReason.LeaveRequest,
            `server asked to leave (${reason}, ${LeaveRequest_Action[leave.action] ?? leave.action})`,
            { leave },
          ),
          false,
          recovery,
        );
        return;
      }
      case 'publishDataTrackResponse':
      case 'unpublishDataTrackResponse':
      case 'requestResponse':
      case 'dataTrackSubscriberHandles':
      case 'storeDataBlobResponse':
      case 'getDataBlobResponse':
        this.listener.onSignalResponse(message);
        return;
      default:
        return;
    }
  }
}

function cancelledError(signal?: AbortSignal): ConnectError {
  const why = signal?.reason instanceof Error ? signal.reason.message : signal?.reason;
  return new ConnectError(
    ConnectErrorReason.Cancelled,
    why !== undefined ? `connect cancelled: ${String(why)}` : 'connect cancelled',
    signal ? { cause: signal.reason } : {},
  );
}

function toConnectError(err: unknown): ConnectError {
  if (err instanceof ConnectError) return err;
  if (err instanceof TimeoutError) return new ConnectError(ConnectErrorReason.Timeout, err.message, { cause: err });
  const message = err instanceof Error ? err.message : String(err);
  return new ConnectError(ConnectErrorReason.ServerUnreachable, `connect failed: ${message}`, { cause: err });
}

/** Rejects with the signal's reason as soon as it aborts. */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
