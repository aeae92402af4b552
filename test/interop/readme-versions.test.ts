// The README's interoperability table names the peer versions this suite ran against; this keeps it
// true when a dependency is bumped.

import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const installed = (pkg: string): string =>
  JSON.parse(fs.readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;

test('README names the installed livekit-client and rtc-ffi-bindings versions', () => {
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const lkc = readme.match(/\| `livekit-client` \(JS SDK\) \| ([\d.]+) \|/);
  const ffi = readme.match(/\| Rust SDK \| `@livekit\/rtc-ffi-bindings` ([\d.]+) \|/);
  expect(lkc?.[1]).toBe(installed('livekit-client'));
  expect(ffi?.[1]).toBe(installed('@livekit/rtc-ffi-bindings'));
  expect(installed('@livekit/rtc-ffi-bindings-linux-x64-gnu')).toBe(installed('@livekit/rtc-ffi-bindings'));
});
