// Finds and loads the compiled addon: the one place that knows where it lives.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** The package root: the first folder upwards that holds native/Cargo.toml (works from lib/ and dist/). */
function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'native', 'Cargo.toml'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`livekit-datatrack-node: cannot find the package root above ${__dirname}`);
    dir = up;
  }
  return dir;
}

function findAddon(): string {
  const dir = path.join(packageRoot(), 'native');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { platformSuffix } = require(path.join(packageRoot(), 'scripts', 'platform.cjs'));
  const exact = path.join(dir, `livekit-datatrack.${platformSuffix()}.node`);
  if (fs.existsSync(exact)) return exact;
  const any = fs.readdirSync(dir).find((f) => f.endsWith('.node'));
  if (any) return path.join(dir, any);
  throw new Error(
    `livekit-datatrack-node: the native addon is not built (looked in ${dir}). Run \`npm install\` or \`npm run build:native\`.`,
  );
}

/** Requires the addon for this platform (the caller caches it). */
export function loadAddon(): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(findAddon());
}
