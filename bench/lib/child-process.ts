// The orchestrator's handle on one role process.

import { fork, type ChildProcess } from 'node:child_process';
import { bundleForNode } from './bundle';
import type { RelaySignal, ToChild, ToParent } from './protocol';

let roleBundle: string | undefined;

export class RoleProcess {
  private readonly proc: ChildProcess;
  private waiters: Array<{ type: ToParent['type']; resolve: (m: ToParent) => void; reject: (e: Error) => void }> = [];
  private failure: Error | undefined;
  onSignal: (index: number, data: RelaySignal) => void = () => {};

  constructor(readonly label: string) {
    this.proc = fork((roleBundle ??= bundleForNode('bench/child.ts', 'role')), [], {
      // BENCH_NODE_ARGS='--trace-gc' (or --cpu-prof, ...) reaches the role processes, for profiling.
      execArgv: [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.proc.on('message', (msg: ToParent) => {
      if (msg.type === 'signal') return this.onSignal(msg.index, msg.data);
      if (msg.type === 'error') return this.fail(new Error(`${label}: ${msg.message}`));
      const i = this.waiters.findIndex((w) => w.type === msg.type);
      if (i >= 0) this.waiters.splice(i, 1)[0].resolve(msg);
    });
    this.proc.on('exit', (code) => {
      if (code !== 0 && code !== null) this.fail(new Error(`${label} exited with code ${code}`));
      else this.fail(new Error(`${label} exited`));
    });
  }

  send(msg: ToChild): void {
    this.proc.send(msg);
  }

  /** Sends `msg` and waits for the reply of type `reply`, bounded by `timeoutMs`. */
  request<T extends ToParent['type']>(msg: ToChild, reply: T, timeoutMs = 60_000): Promise<Extract<ToParent, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.label}: no ${reply} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        type: reply,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m as Extract<ToParent, { type: T }>);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.send(msg);
    });
  }

  /**
   * Asks the role to close its peers, then ends the process whatever it answered: a role that
   * failed (or hangs) must not keep the orchestrator alive through its IPC channel.
   */
  async close(): Promise<void> {
    if (this.exited) return;
    const exit = new Promise<void>((resolve) => this.proc.once('exit', () => resolve()));
    if (!this.failure) {
      try {
        await this.request({ type: 'close' }, 'closed', 10_000);
        // The role exits by itself after replying (see child.ts).
        await Promise.race([exit, new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      } catch {
        /* killed below */
      }
    }
    if (!this.exited) this.proc.kill('SIGKILL');
    await exit;
  }

  private get exited(): boolean {
    return this.proc.exitCode !== null || this.proc.signalCode !== null;
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const w of this.waiters.splice(0)) w.reject(err);
  }
}
