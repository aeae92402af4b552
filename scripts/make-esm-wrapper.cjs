#!/usr/bin/env node
// The ESM entry re-exports the CommonJS build instead of compiling the sources twice: one copy
// of every class means `instanceof` and the addon's state behave the same under import and require.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const cjs = require(path.join(root, 'dist', 'cjs', 'index.js'));
const names = Object.keys(cjs).filter((n) => n !== 'default' && n !== '__esModule').sort();
const esmDir = path.join(root, 'dist', 'esm');
fs.mkdirSync(esmDir, { recursive: true });
fs.writeFileSync(
  path.join(esmDir, 'index.mjs'),
  `import cjs from '../cjs/index.js';\nexport const { ${names.join(', ')} } = cjs;\nexport default cjs;\n`,
);
fs.writeFileSync(path.join(esmDir, 'index.d.mts'), `export * from '../cjs/index.js';\n`);
