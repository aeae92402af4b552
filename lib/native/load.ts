// Finds and loads the compiled addon: the one place that knows where it lives.
//
// A build from source (native/<addon file>) wins over the prebuilt platform package: in a git checkout
// it is the build of the sources at hand, even when the published prebuilt is installed too, and in an
// installed package it exists only because the install step built it after the prebuilt did not load.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** An addon file to load instead of searching (a custom or debug build). */
export const ADDON_PATH_ENV = 'LIVEKIT_DATATRACK_NATIVE_PATH';

/** scripts/platform.cjs, which the install step shares. */
interface Platform {
  platformSuffix(): string;
  addonFileName(): string;
  prebuiltAddon(fromDir: string): { file: string } | { problem: string };
}

/** Where the addon was found, and by which rule. */
export interface AddonLocation {
  path: string;
  source: 'environment' | 'source build' | 'platform package';
}

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

/** Where this platform's addon is: the environment's override, else a source build, else the platform package. */
export function locateAddon(): AddonLocation {
  const forced = process.env[ADDON_PATH_ENV];
  if (forced) {
    if (!fs.existsSync(forced)) throw new Error(`livekit-datatrack-node: ${ADDON_PATH_ENV}=${forced} does not exist`);
    return { path: path.resolve(forced), source: 'environment' };
  }

  const root = packageRoot();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const platform = require(path.join(root, 'scripts', 'platform.cjs')) as Platform;
  const built = path.join(root, 'native', platform.addonFileName());
  if (fs.existsSync(built)) return { path: built, source: 'source build' };

  const prebuilt = platform.prebuiltAddon(root);
  if ('file' in prebuilt) return { path: prebuilt.file, source: 'platform package' };

  throw new Error(
    [
      `livekit-datatrack-node: no native addon for ${platform.platformSuffix()}. Looked for:`,
      `  - a build from source at ${built}: not built`,
      `  - the prebuilt addon of the platform package, an optional dependency: ${prebuilt.problem}`,
      `Build it from source (needs Rust and cargo): \`npm rebuild livekit-datatrack-node\` where the package is installed,`,
      `\`npm run build:native\` in a git checkout; or set ${ADDON_PATH_ENV} to an addon file.`,
    ].join('\n'),
  );
}

/** Requires the addon for this platform (the caller caches it). */
export function loadAddon(): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(locateAddon().path);
}
