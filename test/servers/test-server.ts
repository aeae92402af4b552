// One server fixture for every end-to-end suite: the embedded development SFU, the pinned
// livekit-server built from source, or any server named by LIVEKIT_URL (LiveKit Cloud included).
// Test bodies see only this interface; a test that needs a hook only one server has says so.

import * as crypto from 'node:crypto';
import { DevServer, type DevServerOptions } from '../../lib/dev-server';
import { mintToken, type TokenGrants } from '../../lib/dev-server/auth';
import { builtLivekitServer } from '../../scripts/livekit-server/build';
import { LivekitServerProcess } from '../../scripts/livekit-server/process';

export type ServerKind = 'dev-sfu' | 'livekit-server' | 'external';

export interface TestServer {
  readonly kind: ServerKind;
  readonly url: string;
  readonly apiKey: string;
  readonly apiSecret: string;
  /** A token for `identity`; its room is `roomName(grants.room)`. */
  token(identity: string, grants?: TokenGrants): Promise<string>;
  /** The room name a test's `room` grant becomes: itself, or made unique on a shared external server. */
  roomName(base: string): string;
  close(): Promise<void>;
  /** The development SFU, for what only it offers (forward taps, stats); null on the other servers. */
  readonly dev: DevServer | null;
  /** The livekit-server child process, for crash tests; null unless kind is 'livekit-server'. */
  readonly process: LivekitServerProcess | null;
}

export interface StartOptions {
  /** Options for the development SFU only. */
  dev?: DevServerOptions;
  /** Config keys for livekit-server only, merged over the fixture's (e.g. `{ rtc: { … } }`). */
  livekitConfig?: Record<string, unknown>;
}

/** The servers the parametrized suites run against, in this environment. */
export function serverKinds(): ServerKind[] {
  if (process.env.LIVEKIT_URL) return ['dev-sfu', 'external'];
  return builtLivekitServer() ? ['dev-sfu', 'livekit-server'] : ['dev-sfu'];
}

export async function startTestServer(kind: ServerKind, options: StartOptions = {}): Promise<TestServer> {
  switch (kind) {
    case 'dev-sfu': {
      const dev = await DevServer.start({ port: 0, ...options.dev });
      return fixture(kind, dev.url, dev.apiKey, dev.apiSecret, { dev, close: () => dev.close() });
    }
    case 'livekit-server': {
      const binary = builtLivekitServer();
      if (!binary) throw new Error('livekit-server is not built (npm run livekit-server -- --build-only)');
      const proc = await LivekitServerProcess.start({ binary, config: options.livekitConfig });
      return fixture(kind, proc.url, proc.apiKey, proc.apiSecret, { process: proc, close: () => proc.stop() });
    }
    case 'external': {
      const { LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET } = process.env;
      if (!LIVEKIT_URL || !LIVEKIT_API_KEY || !LIVEKIT_API_SECRET) {
        throw new Error('LIVEKIT_URL needs LIVEKIT_API_KEY and LIVEKIT_API_SECRET');
      }
      // A shared server outlives this run and may serve other runs: rooms get a run-unique suffix.
      const run = crypto.randomBytes(3).toString('hex');
      return fixture(kind, LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET, { close: async () => {}, roomSuffix: `-${run}` });
    }
  }
}

function fixture(
  kind: ServerKind,
  url: string,
  apiKey: string,
  apiSecret: string,
  parts: { dev?: DevServer; process?: LivekitServerProcess; close: () => Promise<void>; roomSuffix?: string },
): TestServer {
  const roomName = (base: string) => base + (parts.roomSuffix ?? '');
  return {
    kind,
    url,
    apiKey,
    apiSecret,
    dev: parts.dev ?? null,
    process: parts.process ?? null,
    roomName,
    token: (identity, grants = {}) =>
      mintToken(apiKey, apiSecret, identity, grants.room === undefined ? grants : { ...grants, room: roomName(grants.room) }),
    close: parts.close,
  };
}
