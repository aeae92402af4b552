#!/usr/bin/env node
// npm's install step. An installed package uses the addon it ships for this platform when that
// loads; otherwise (another platform, or a git checkout, where the Rust sources may have changed
// and cargo decides what is stale) the addon is built from native/: through node-gyp and
// binding.gyp, the from-source path npm knows, or with cargo directly where npm gave no node-gyp.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { platformSuffix } = require('./platform.cjs');

const root = path.resolve(__dirname, '..');
const prebuilt = path.join(root, 'native', `livekit-datatrack.${platformSuffix()}.node`);

function loads(file) {
  try {
    require(file);
    return true;
  } catch {
    return false;
  }
}

const checkout = fs.existsSync(path.join(root, '.git'));
if (!checkout && fs.existsSync(prebuilt) && loads(prebuilt)) {
  console.log(`livekit-datatrack-node: using the prebuilt ${path.relative(root, prebuilt)}`);
} else if (process.env.npm_config_node_gyp) {
  execFileSync(process.execPath, [process.env.npm_config_node_gyp, 'rebuild'], { stdio: 'inherit', cwd: root });
} else {
  execFileSync(process.execPath, [path.join(__dirname, 'build-native.cjs')], { stdio: 'inherit' });
}
