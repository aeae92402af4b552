// The orchestrator's handle on bench/flood/sfu.ts.

import { fork, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { FromSfu, ToSfu } from './sfu';

export class SfuProcess {
  private constructor(
    private readonly proc: ChildProcess,
    readonly url: string,
  ) {}

  static async start(): Promise<SfuProcess> {
    const proc = fork(path.join(__dirname, 'sfu.ts'), [], { execArgv: ['--import', 'tsx', '--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const url = await new Promise<string>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`SFU process exited (${code})`)));
      proc.on('message', (m: FromSfu) => {
        if (m.type === 'url') resolve(m.url);
      });
    });
    return new SfuProcess(proc, url);
  }

  get pid(): number {
    return this.proc.pid!;
  }

  async token(identity: string, room: string): Promise<string> {
    const m = await this.request({ type: 'token', identity, room }, (r) => r.type === 'token' && r.identity === identity);
    return (m as Extract<FromSfu, { type: 'token' }>).token;
  }

  resetLoop(): void {
    this.proc.send({ type: 'resetLoop' } satisfies ToSfu);
  }

  async loop(): Promise<{ maxMs: number; p99Ms: number }> {
    return (await this.request({ type: 'loop' }, (r) => r.type === 'loop')) as Extract<FromSfu, { type: 'loop' }>;
  }

  async memory(): Promise<Extract<FromSfu, { type: 'memory' }>> {
    return (await this.request({ type: 'memory' }, (r) => r.type === 'memory')) as Extract<FromSfu, { type: 'memory' }>;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.proc.exitCode !== null) return resolve();
      const timer = setTimeout(() => this.proc.kill('SIGKILL'), 10_000);
      this.proc.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      this.proc.disconnect();
    });
  }

  private request(msg: ToSfu, match: (r: FromSfu) => boolean): Promise<FromSfu> {
    return new Promise((resolve, reject) => {
      // A stalled SFU answers late, never not at all: the bound is only against a dead process.
      const timer = setTimeout(() => reject(new Error(`SFU process: no answer to ${msg.type}`)), 120_000);
      const listener = (r: FromSfu) => {
        if (!match(r)) return;
        clearTimeout(timer);
        this.proc.off('message', listener);
        resolve(r);
      };
      this.proc.on('message', listener);
      this.proc.send(msg);
    });
  }
}
