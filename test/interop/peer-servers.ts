// Which servers each interop peer is tested through: the suites pick their peers from this table,
// and the README's interoperability table is checked against it (readme-versions.test.ts).

import type { ServerKind } from '../servers/test-server';
import type { PeerKind } from './drivers/peer';

/** 'livekit' covers livekit-server and any server named by LIVEKIT_URL. */
export type ServerFamily = 'dev-sfu' | 'livekit';

export const PEER_SERVERS: Record<PeerKind, readonly ServerFamily[]> = {
  ours: ['dev-sfu', 'livekit'],
  // In Node, on node-datachannel's polyfill, it cannot establish its peer connections with
  // livekit-server (test/interop/FINDINGS.md, 6); in Chromium it can.
  'livekit-client': ['dev-sfu'],
  'livekit-client-browser': ['dev-sfu', 'livekit'],
  'rust-ffi': ['dev-sfu', 'livekit'],
};

export function familyOf(kind: ServerKind): ServerFamily {
  return kind === 'dev-sfu' ? 'dev-sfu' : 'livekit';
}

export function testedThrough(peer: PeerKind, kind: ServerKind): boolean {
  return PEER_SERVERS[peer].includes(familyOf(kind));
}
