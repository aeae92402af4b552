#!/usr/bin/env node
// Packs what gets published from a build on this machine: the main package (its `prepare` compiles
// the TypeScript) and this platform's package with the addon in native/. Usage:
//   node scripts/pack.cjs [--destination DIR] [--json]
// --json prints {"main": {filename, files}, "platform": {filename, files}} (files as npm pack lists them).
'use strict';
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');
const { fillPlatformPackage } = require('./platform-package.cjs');

const root = path.resolve(__dirname, '..');
const { values } = parseArgs({ options: { destination: { type: 'string', default: '.' }, json: { type: 'boolean', default: false } } });
const destination = path.resolve(values.destination);

function pack(dir) {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', destination], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'inherit'],
    shell: process.platform === 'win32',
  });
  // Lifecycle scripts (prepare) may print before npm's JSON array.
  const [packed] = JSON.parse(out.slice(out.search(/^\[/m)));
  return { filename: path.join(destination, packed.filename), files: packed.files.map((f) => f.path) };
}

const platformDir = fillPlatformPackage();
const result = { main: pack(root), platform: pack(platformDir) };
if (values.json) console.log(JSON.stringify(result));
else for (const { filename } of Object.values(result)) console.log(path.relative(process.cwd(), filename));
