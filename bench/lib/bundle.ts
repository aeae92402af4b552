// Compiles a bench entry into one CommonJS file that plain node runs: bench processes run as an
// application runs the built package, without tsx's loader and transformed sources in their heap
// (README, "Subscriber GC"). The SDK is bundled by the build's own rule for the protocol messages
// (scripts/bundle-protocol.cjs), so what is measured is what dist ships.

import { buildSync } from 'esbuild';
import * as path from 'node:path';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { bundleOptions } = require('../../scripts/bundle-protocol.cjs') as { bundleOptions(entry: string, out: string): Parameters<typeof buildSync>[0] };

const ROOT = path.join(__dirname, '..', '..');

/** Bundles `entry` (a path under the repository) into .cache/bench/`name`.cjs and returns that file. */
export function bundleForNode(entry: string, name: string): string {
  const out = path.join(ROOT, '.cache', 'bench', `${name}.cjs`);
  buildSync(bundleOptions(path.resolve(ROOT, entry), out));
  return out;
}
