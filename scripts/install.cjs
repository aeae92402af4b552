#!/usr/bin/env node
// npm's install step. An installed package uses the prebuilt addon of its platform package (the optional
// dependency npm installs on a matching os/cpu/libc) when that loads. Otherwise (another platform,
// optional dependencies omitted, a prebuilt that does not load here, or a git checkout, where the Rust
// sources may have changed and cargo decides what is stale) the addon is built from native/: through
// node-gyp and binding.gyp, the from-source path npm knows, or with cargo directly where npm gave no
// node-gyp. lib/native/load.ts prefers that build over the platform package.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { prebuiltAddon } = require('./platform.cjs');

const root = path.resolve(__dirname, '..');

/** The platform package's addon when it is usable and loads here, else why not. */
function loadablePrebuilt() {
  const found = prebuiltAddon(root);
  if (!found.file) return found;
  try {
    require(found.file);
    return found;
  } catch (err) {
    return { problem: `${found.name} does not load: ${err.message}` };
  }
}

const checkout = fs.existsSync(path.join(root, '.git'));
const prebuilt = checkout ? { problem: 'a git checkout builds its sources' } : loadablePrebuilt();
if (prebuilt.file) {
  console.log(`livekit-datatrack-node: using the prebuilt addon of ${prebuilt.name}`);
} else {
  console.log(`livekit-datatrack-node: building the addon from source (${prebuilt.problem})`);
  if (process.env.npm_config_node_gyp) {
    execFileSync(process.execPath, [process.env.npm_config_node_gyp, 'rebuild'], { stdio: 'inherit', cwd: root });
  } else {
    execFileSync(process.execPath, [path.join(__dirname, 'build-native.cjs')], { stdio: 'inherit' });
  }
}
