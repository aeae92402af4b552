#!/usr/bin/env node
// Builds the Rust addon with cargo and places it where lib/native/binding.ts looks for it,
// under the file name `napi build --platform` would give it. Run by scripts/install.cjs at
// install time, so it must not depend on devDependencies.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { addonFileName } = require('./platform.cjs');

const root = path.resolve(__dirname, '..');
const manifest = path.join(root, 'native', 'Cargo.toml');
// A CARGO_TARGET_DIR of the caller's is honoured (cargo's own rule), so builds can share compiled dependencies.
const targetDir = process.env.CARGO_TARGET_DIR || path.join(root, 'native', 'target');

execFileSync('cargo', ['build', '--release', '--lib', '-p', 'livekit-datatrack-node', '--manifest-path', manifest], {
  stdio: 'inherit',
  env: { ...process.env, CARGO_TARGET_DIR: targetDir },
});

const libName = { linux: 'liblivekit_datatrack.so', darwin: 'liblivekit_datatrack.dylib', win32: 'livekit_datatrack.dll' }[process.platform];
if (!libName) throw new Error(`unsupported platform ${process.platform}`);
const out = path.join(root, 'native', addonFileName());
fs.copyFileSync(path.join(targetDir, 'release', libName), out);
console.log(`built ${path.relative(root, out)}`);
