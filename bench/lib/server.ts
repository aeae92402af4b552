// The SFU a bench row runs through: the development SFU in this process, or the pinned
// livekit-server as a child process (`--server livekit`). The ceiling row never uses either.

import { DevServer, mintToken } from '../../lib/dev-server';
import { ensureLivekitServer } from '../../scripts/livekit-server/build';
import { LivekitServerProcess } from '../../scripts/livekit-server/process';

export type BenchServerKind = 'dev' | 'livekit';

export interface BenchServer {
  url: string;
  token(identity: string, room: string): Promise<string>;
  close(): Promise<void>;
}

export async function startBenchServer(kind: BenchServerKind): Promise<BenchServer> {
  if (kind === 'dev') {
    const dev = await DevServer.start({ port: 0 });
    return { url: dev.url, token: (identity, room) => dev.token(identity, { room }), close: () => dev.close() };
  }
  const proc = await LivekitServerProcess.start({ binary: ensureLivekitServer((l) => console.log(l)) });
  return {
    url: proc.url,
    token: (identity, room) => mintToken(proc.apiKey, proc.apiSecret, identity, { room }),
    close: () => proc.stop(),
  };
}
