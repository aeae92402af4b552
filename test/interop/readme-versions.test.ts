// The README's interoperability table names the peer versions this suite ran against and the servers
// each peer is tested through; this keeps it true when a dependency, the pin or a suite changes.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { chromiumVersion } from '../browser/chromium';
import { LIVEKIT_SERVER_VERSION } from '../../scripts/livekit-server/version';
import type { PeerKind } from './drivers/peer';
import { PEER_SERVERS } from './peer-servers';

const root = path.resolve(__dirname, '..', '..');
const installed = (pkg: string): string =>
  JSON.parse(fs.readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
const readme = () => fs.readFileSync(path.join(root, 'README.md'), 'utf8');

test('README names the installed livekit-client and rtc-ffi-bindings versions', () => {
  const lkc = readme().match(/\| `livekit-client` \(JS SDK\) \| ([\d.]+) \|/);
  const ffi = readme().match(/\| Rust SDK \| `@livekit\/rtc-ffi-bindings` ([\d.]+) \|/);
  expect(lkc?.[1]).toBe(installed('livekit-client'));
  expect(ffi?.[1]).toBe(installed('@livekit/rtc-ffi-bindings'));
  expect(installed('@livekit/rtc-ffi-bindings-linux-x64-gnu')).toBe(installed('@livekit/rtc-ffi-bindings'));
});

// Debian ships Chromium security updates within a major version every few weeks, so a fresh CI
// machine may carry a newer build than the README names: the major version has to match, the build
// is the one the suite last ran against.
test('README names the installed Chromium (major version) and livekit-client in its browser row', () => {
  const row = readme().match(/\| `livekit-client` in Chromium \| ([\d.]+), Chromium ((\d+)\.[\d.]+) \| yes \|/);
  expect(row?.[1]).toBe(installed('livekit-client'));
  expect(row?.[3]).toBe(chromiumVersion().split('.')[0]);
});

test('README names the pinned livekit-server and, per peer, the servers the suites test it through', () => {
  expect(readme()).toContain(`livekit-server ${LIVEKIT_SERVER_VERSION}`);
  const rows: Array<[string, PeerKind]> = [
    ['our SDK', 'ours'],
    ['`livekit-client` (JS SDK)', 'livekit-client'],
    ['`livekit-client` in Chromium', 'livekit-client-browser'],
    ['Rust SDK', 'rust-ffi'],
  ];
  for (const [label, peer] of rows) {
    const line = readme().split('\n').find((l) => l.startsWith(`| ${label} |`));
    expect(line).toBeDefined();
    const cells = line!.split('|').map((c) => c.trim());
    // | peer | version | E2EE | dev SFU | livekit-server | how |
    expect({ peer, dev: cells[4].startsWith('✓'), livekit: cells[5].startsWith('✓') }).toEqual({
      peer,
      dev: PEER_SERVERS[peer].includes('dev-sfu'),
      livekit: PEER_SERVERS[peer].includes('livekit'),
    });
  }
});
