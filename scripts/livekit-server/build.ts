// Builds the pinned livekit-server with `go install` into a git-ignored cache, once per version.

import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LIVEKIT_SERVER_MODULE, LIVEKIT_SERVER_VERSION } from './version';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Where the pinned binary lives: `.cache/livekit-server/<version>/server`. */
export function livekitServerBinaryPath(version = LIVEKIT_SERVER_VERSION): string {
  return path.join(REPO_ROOT, '.cache', 'livekit-server', version, 'server');
}

export function goAvailable(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

/** The binary if it is built, else null; never builds. */
export function builtLivekitServer(): string | null {
  const bin = livekitServerBinaryPath();
  return fs.existsSync(bin) ? bin : null;
}

/**
 * The binary, built first if missing. Throws when Go is missing or the build fails; a build takes
 * a few minutes on a cold module cache, then never again for the same pin.
 */
export function ensureLivekitServer(log: (line: string) => void = () => {}): string {
  const bin = livekitServerBinaryPath();
  if (fs.existsSync(bin)) return bin;
  if (!goAvailable()) throw new Error('livekit-server is not built and Go is not installed (needed to build it)');
  log(`building livekit-server ${LIVEKIT_SERVER_VERSION} with go install (once per pin)…`);
  const gobin = path.dirname(bin);
  // go install writes the binary as <GOBIN>/server; build into a temporary GOBIN so a killed build
  // never leaves a half-written binary at the path the fixture trusts.
  const staging = `${gobin}.partial`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  execFileSync('go', ['install', `${LIVEKIT_SERVER_MODULE}/cmd/server@${LIVEKIT_SERVER_VERSION}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: staging, GOFLAGS: '' },
  });
  fs.rmSync(gobin, { recursive: true, force: true });
  fs.renameSync(staging, gobin);
  return bin;
}
