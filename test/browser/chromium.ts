// Debian's Chromium for the browser tests, driven by playwright-core. Playwright never downloads a
// browser here: the executable is the system one (`.ci/run` installs it with apt when missing).

import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--no-default-browser-check',
  // The SFU offers only 127.0.0.1 candidates. Chromium leaves loopback out of its own candidates and
  // hides its host addresses behind mDNS names; it still connects here through another interface
  // (the SFU learns a peer-reflexive address), but these two keep ICE from depending on one.
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/**
 * Headless Chromium with a fresh profile (playwright's launch() makes a temporary user-data dir and
 * deletes it on close). The caller closes it in a finally/afterAll.
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** "156.0.8078.108", from `chromium --version`. */
export function chromiumVersion(): string {
  const out = execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const m = out.match(/Chromium (\d+(?:\.\d+)+)/);
  if (!m) throw new Error(`unexpected \`${CHROMIUM_PATH} --version\` output: ${out.trim()}`);
  return m[1];
}
