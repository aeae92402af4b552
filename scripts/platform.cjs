'use strict';
// The addon for this platform, in @napi-rs/cli's conventions: the file `napi build --platform` writes,
// and the per-platform npm package (`napi create-npm-dirs`' layout in npm/<suffix>/) that carries it prebuilt.
const fs = require('node:fs');
const path = require('node:path');
const { name, version, napi } = require('../package.json');

/** The platform part of the names: linux-x64-gnu, darwin-arm64, win32-x64-msvc, ... */
function platformSuffix() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    const glibc = process.report && process.report.getReport().header.glibcVersionRuntime;
    return `linux-${arch}-${glibc ? 'gnu' : 'musl'}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

/** The addon's file name: native/<this> when built from source, the `main` of the platform package. */
function addonFileName(suffix = platformSuffix()) {
  return `${napi.binaryName}.${suffix}.node`;
}

/** The optional dependency that carries the prebuilt addon; it must have the main package's version. */
function platformPackage(suffix = platformSuffix()) {
  return { name: `${name}-${suffix}`, version };
}

/**
 * The installed platform package's addon file, resolved from `fromDir` as `require` would, or why
 * there is none to use: another version's addon may not match this version's binding.
 */
function prebuiltAddon(fromDir) {
  const wanted = platformPackage();
  let manifest;
  try {
    manifest = require.resolve(`${wanted.name}/package.json`, { paths: [fromDir] });
  } catch {
    return { problem: `${wanted.name}@${wanted.version} is not installed` };
  }
  const installed = JSON.parse(fs.readFileSync(manifest, 'utf8'));
  if (installed.version !== wanted.version) {
    return { problem: `${wanted.name}@${installed.version} is installed, this package needs ${wanted.version}` };
  }
  const file = path.join(path.dirname(manifest), installed.main || '');
  if (!installed.main || !fs.existsSync(file)) return { problem: `${wanted.name} has no addon file at ${file}` };
  return { file, name: wanted.name };
}

module.exports = { platformSuffix, addonFileName, platformPackage, prebuiltAddon };
