// redis-server (Debian's) on a free loopback port, in memory only, for a livekit-server cluster.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freeTcpPort, waitForTcp } from './ports';

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export class RedisProcess {
  private exitInfo: string | null = null;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.once('exit', (code, signal) => {
      this.exitInfo = `redis-server exited (${signal ?? `code ${code}`})`;
    });
  }

  static async start(): Promise<RedisProcess> {
    const port = await freeTcpPort();
    const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    const redis = new RedisProcess(child, port);
    try {
      await waitForTcp(port, { timeoutMs: 10_000, exited: () => redis.exitInfo });
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
    return redis;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.exitInfo !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }
}
