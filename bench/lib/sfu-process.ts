// The development SFU in a bench process of its own, both sides of it: the child starts it and
// reports where it listens; the parent forks a bundle that does so and mints tokens for it.
// Bundled and under plain node, as an application runs the built package, the SFU is measured
// without the orchestrator's tsx loader and heap.

import { fork } from 'node:child_process';
import { DevServer, mintToken } from '../../lib/dev-server';
import type { BenchServer } from './server';

interface SfuListening {
  type: 'listening';
  url: string;
  apiKey: string;
  apiSecret: string;
}

/**
 * Child side: starts the SFU, reports it, and closes it (then exits) when the parent sends
 * anything or goes away. `beforeClose` runs first, e.g. to print what the process measured.
 */
export async function serveDevServer(beforeClose?: () => void): Promise<void> {
  const server = await DevServer.start({ port: 0 });
  const close = () => {
    beforeClose?.();
    void server.close().then(() => process.exit(0));
  };
  process.once('message', close);
  process.once('disconnect', close);
  const listening: SfuListening = { type: 'listening', url: server.url, apiKey: server.apiKey, apiSecret: server.apiSecret };
  process.send!(listening);
}

/**
 * Parent side: forks `bundle` (with `args`), which must call serveDevServer, and waits for it to
 * listen. Its close() asks the SFU to close and waits for the process to exit (killed after 10 s).
 */
export async function startSfuProcess(bundle: string, args: string[] = []): Promise<BenchServer> {
  const proc = fork(bundle, args, {
    // As the role processes: BENCH_NODE_ARGS reaches the SFU too, for profiling.
    execArgv: [...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const listening = await new Promise<SfuListening>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('development SFU: not listening within 30 s')), 30_000);
    proc.once('message', (m: SfuListening) => {
      clearTimeout(timer);
      resolve(m);
    });
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`development SFU exited before listening (code ${proc.exitCode})`));
    });
  }).catch((err: Error) => {
    proc.kill('SIGKILL');
    throw err;
  });
  return {
    url: listening.url,
    token: (identity, room) => mintToken(listening.apiKey, listening.apiSecret, identity, { room }),
    close: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.send({ type: 'close' });
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
