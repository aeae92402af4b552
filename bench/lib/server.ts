// The SFU a bench row runs through, in a child process: the development SFU (bench/sfu.ts) or
// the pinned livekit-server (`--server livekit`). The ceiling row never uses either.

import { mintToken } from '../../lib/dev-server';
import { ensureLivekitServer } from '../../scripts/livekit-server/build';
import { LivekitServerProcess } from '../../scripts/livekit-server/process';
import { bundleForNode } from './bundle';
import { startSfuProcess } from './sfu-process';

let sfuBundle: string | undefined;

export type BenchServerKind = 'dev' | 'livekit';

export interface BenchServer {
  url: string;
  token(identity: string, room: string): Promise<string>;
  close(): Promise<void>;
}

export async function startBenchServer(kind: BenchServerKind): Promise<BenchServer> {
  if (kind === 'dev') return startSfuProcess((sfuBundle ??= bundleForNode('bench/sfu.ts', 'sfu')));
  const proc = await LivekitServerProcess.start({ binary: ensureLivekitServer((l) => console.log(l)) });
  return {
    url: proc.url,
    token: (identity, room) => mintToken(proc.apiKey, proc.apiSecret, identity, { room }),
    close: () => proc.stop(),
  };
}
