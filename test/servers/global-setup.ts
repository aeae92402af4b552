// Before any suite: make sure the pinned livekit-server is there (built with Go when missing), so
// every suite parametrized by server kind runs against it too. Without Go it says so in one line,
// unless LIVEKIT_SERVER_REQUIRED is set (CI), where a missing server is a failure.

import { builtLivekitServer, ensureLivekitServer, goAvailable } from '../../scripts/livekit-server/build';
import { LIVEKIT_SERVER_VERSION } from '../../scripts/livekit-server/version';

export default function globalSetup(): void {
  if (process.env.LIVEKIT_URL) {
    console.log(`\nserver suites: development SFU and ${process.env.LIVEKIT_URL} (LIVEKIT_URL)`);
    return;
  }
  if (builtLivekitServer()) return;
  if (goAvailable()) {
    ensureLivekitServer((line) => console.log(`\n${line}`));
    return;
  }
  const message =
    `livekit-server ${LIVEKIT_SERVER_VERSION} suites skipped: Go is not installed ` +
    `(install Go 1.26+ and rerun npm test, or set LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET)`;
  if (process.env.LIVEKIT_SERVER_REQUIRED) throw new Error(message);
  console.log(`\n${message}`);
}
