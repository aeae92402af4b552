// livekit-server as a child process on loopback: free ports per instance (suites run side by side),
// the config our tests need, SIGKILL and restart on the same ports for crash tests.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freeTcpPort, freeUdpPort, waitForTcp } from './ports';

export interface LivekitServerOptions {
  binary: string;
  apiKey?: string;
  apiSecret?: string;
  /** `host:port` of a Redis shared by the nodes of a cluster; none for a single node. */
  redisAddress?: string;
  /** Extra top-level config keys merged over ours (YAML is a superset of JSON, so JSON is sent). */
  config?: Record<string, unknown>;
}

interface Ports {
  http: number;
  rtcTcp: number;
  rtcUdp: number;
}

const START_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

export class LivekitServerProcess {
  readonly apiKey: string;
  readonly apiSecret: string;
  /**
   * The server's own log (stdout and stderr), kept for diagnosing a failed test. One file per
   * instance (its restarts append to it): named by port alone, a later server on a reused port
   * appended to an earlier one's log, so a test reading its log could find another run's lines
   * (and one such file had grown past what a string can hold).
   */
  readonly logPath: string;
  private child: ChildProcess | null = null;
  private exitInfo: string | null = null;

  private constructor(
    private readonly options: LivekitServerOptions,
    readonly ports: Ports,
  ) {
    this.apiKey = options.apiKey ?? 'devkey';
    this.apiSecret = options.apiSecret ?? 'secret';
    this.logPath = path.join(os.tmpdir(), `livekit-server-${ports.http}-${process.pid}-${Date.now().toString(36)}.log`);
  }

  static async start(options: LivekitServerOptions): Promise<LivekitServerProcess> {
    const ports = { http: await freeTcpPort(), rtcTcp: await freeTcpPort(), rtcUdp: await freeUdpPort() };
    const server = new LivekitServerProcess(options, ports);
    await server.spawn();
    return server;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.ports.http}`;
  }

  get running(): boolean {
    return this.child !== null && this.exitInfo === null;
  }

  configBody(): string {
    const config: Record<string, unknown> = {
      port: this.ports.http,
      bind_addresses: ['127.0.0.1'],
      rtc: {
        tcp_port: this.ports.rtcTcp,
        udp_port: this.ports.rtcUdp,
        use_external_ip: false,
        node_ip: '127.0.0.1',
      },
      keys: { [this.apiKey]: this.apiSecret },
      // Stored schemas (data blobs) are off by default in the server; LiveKit's own SDK CI turns them on.
      enable_participant_data_blob: true,
      ...(this.options.redisAddress ? { redis: { address: this.options.redisAddress } } : {}),
    };
    return JSON.stringify(mergeConfig(config, this.options.config ?? {}));
  }

  private async spawn(): Promise<void> {
    const log = fs.openSync(this.logPath, 'a');
    this.exitInfo = null;
    const child = spawn(this.options.binary, ['--dev', '--config-body', this.configBody()], {
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    this.child = child;
    child.once('exit', (code, signal) => {
      this.exitInfo = `livekit-server exited (${signal ?? `code ${code}`}); log: ${this.logPath}`;
    });
    try {
      await waitForTcp(this.ports.http, { timeoutMs: START_TIMEOUT_MS, exited: () => this.exitInfo });
    } catch (err) {
      child.kill('SIGKILL');
      throw new Error(`${(err as Error).message}\n${tail(this.logPath)}`);
    }
  }

  /** A crash: SIGKILL, no shutdown of any kind. Resolves once the process is gone. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL', Infinity);
  }

  /** Starts again on the same ports (after kill() or stop()). */
  async restart(): Promise<void> {
    if (this.running) throw new Error('livekit-server is still running');
    await this.spawn();
  }

  /** Graceful stop (SIGTERM; SIGKILL if it has not exited within a few seconds). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM', STOP_GRACE_MS);
  }

  private async signal(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.child;
    if (!child || this.exitInfo !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    if (graceMs === Infinity) return exited;
    let timer: NodeJS.Timeout | undefined;
    const forced = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, graceMs);
    });
    await Promise.race([exited, forced]);
    clearTimeout(timer);
    await exited;
  }
}

/** `over` merged into `base`, nested objects key by key (so `{ rtc: { … } }` keeps our ports). */
function mergeConfig(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const under = out[key];
    out[key] = isPlainObject(under) && isPlainObject(value) ? mergeConfig(under, value) : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function tail(file: string, lines = 30): string {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
