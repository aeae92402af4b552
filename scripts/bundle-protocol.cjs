#!/usr/bin/env node
// Replaces tsc's dist/cjs/protocol.js (a re-export of all of @livekit/protocol) with a bundle of the
// messages lib/protocol.ts names, tree-shaken, @bufbuild/protobuf included: the same classes, a
// smaller heap for every process that loads the SDK (lib/protocol.ts says why). The bench bundles
// its role processes with the same rule, so it measures what the package ships.
'use strict';
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** The packages compiled into the protocol bundle; every other import stays a require(). */
const INLINED_PACKAGES = ['@livekit/protocol', '@bufbuild/protobuf'];

/** esbuild options for a bundle that inlines INLINED_PACKAGES and no other package. */
function bundleOptions(entryPoint, outfile) {
  const pkg = require(path.join(root, 'package.json'));
  const external = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies, ...pkg.optionalDependencies })
    .filter((name) => !INLINED_PACKAGES.includes(name))
    .flatMap((name) => [name, `${name}/*`]);
  return {
    entryPoints: [entryPoint],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external,
    // Whitespace and syntax only: names stay readable in stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
    sourcemap: 'linked',
    sourcesContent: false,
    logLevel: 'warning',
  };
}

async function main() {
  const esbuild = require('esbuild');
  await esbuild.build(bundleOptions(path.join(root, 'lib', 'protocol.ts'), path.join(root, 'dist', 'cjs', 'protocol.js')));
}

module.exports = { bundleOptions };

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
