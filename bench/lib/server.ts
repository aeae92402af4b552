// The SFU a bench row runs through, in a child process: the development SFU (bench/sfu.ts) or
// the pinned livekit-server (`--server livekit`). The ceiling row never uses either.

import { fork } from 'node:child_process';
import { mintToken } from '../../lib/dev-server';
import { ensureLivekitServer } from '../../scripts/livekit-server/build';
import { LivekitServerProcess } from '../../scripts/livekit-server/process';
import type { SfuListening } from '../sfu';
import { bundleForNode } from './bundle';

let sfuBundle: string | undefined;

export type BenchServerKind = 'dev' | 'livekit';

export interface BenchServer {
  url: string;
  token(identity: string, room: string): Promise<string>;
  close(): Promise<void>;
}

export async function startBenchServer(kind: BenchServerKind): Promise<BenchServer> {
  if (kind === 'dev') return startDevServer();
  const proc = await LivekitServerProcess.start({ binary: ensureLivekitServer((l) => console.log(l)) });
  return {
    url: proc.url,
    token: (identity, room) => mintToken(proc.apiKey, proc.apiSecret, identity, { room }),
    close: () => proc.stop(),
  };
}

async function startDevServer(): Promise<BenchServer> {
  const proc = fork((sfuBundle ??= bundleForNode('bench/sfu.ts', 'sfu')), [], {
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
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.send({ type: 'close' });
        const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(killer);
      }
    },
  };
}
