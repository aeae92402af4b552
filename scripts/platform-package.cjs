#!/usr/bin/env node
// Puts this platform's addon, as built into native/ (`npm run build:native`), into its platform package
// in npm/<suffix>/, the job `napi artifacts` does for CI artifacts. (`napi artifacts` also copies the
// addon next to package.json, where the napi-rs loader looks; ours looks in native/.) The package's
// package.json comes from `napi create-npm-dirs`; it must name this addon and carry the main version.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { addonFileName, platformPackage, platformSuffix } = require('./platform.cjs');

const root = path.resolve(__dirname, '..');

/** Copies the addon into npm/<suffix>/ and returns that folder. */
function fillPlatformPackage(suffix = platformSuffix()) {
  const dir = path.join(root, 'npm', suffix);
  const manifestPath = path.join(dir, 'package.json');
  if (!fs.existsSync(manifestPath)) {
    throw new Error(`no platform package for ${suffix}: add its target triple to "napi.targets" in package.json and run \`npx napi create-npm-dirs\``);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  const wanted = platformPackage(suffix);
  const addon = addonFileName(suffix);
  if (manifest.name !== wanted.name || manifest.version !== wanted.version || manifest.main !== addon) {
    throw new Error(
      `${path.relative(root, manifestPath)} says ${manifest.name}@${manifest.version} (main ${manifest.main}); ` +
        `expected ${wanted.name}@${wanted.version} (main ${addon}): run \`npx napi create-npm-dirs\``,
    );
  }
  const built = path.join(root, 'native', addon);
  if (!fs.existsSync(built)) throw new Error(`${path.relative(root, built)} is not built: run \`npm run build:native\``);
  fs.copyFileSync(built, path.join(dir, addon));
  return dir;
}

if (require.main === module) {
  const dir = fillPlatformPackage();
  console.log(`copied native/${addonFileName()} into ${path.relative(root, dir)}/`);
}

module.exports = { fillPlatformPackage };
