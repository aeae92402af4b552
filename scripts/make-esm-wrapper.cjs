#!/usr/bin/env node
// The ESM entries re-export the CommonJS build instead of compiling the sources twice: one copy
// of every class means `instanceof` and the addon's state behave the same under import and require.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const esmDir = path.join(root, 'dist', 'esm');

/** ESM file name (in dist/esm) → CommonJS module it wraps (relative to dist/cjs). */
const ENTRIES = {
  index: 'index.js', // "."
  'dev-server': 'dev-server/index.js', // "./dev-server"
};

fs.mkdirSync(esmDir, { recursive: true });
for (const [name, cjsPath] of Object.entries(ENTRIES)) {
  const cjs = require(path.join(root, 'dist', 'cjs', cjsPath));
  const names = Object.keys(cjs).filter((n) => n !== 'default' && n !== '__esModule').sort();
  const from = `../cjs/${cjsPath}`;
  fs.writeFileSync(path.join(esmDir, `${name}.mjs`), `import cjs from '${from}';\nexport const { ${names.join(', ')} } = cjs;\nexport default cjs;\n`);
  fs.writeFileSync(path.join(esmDir, `${name}.d.mts`), `export * from '${from}';\n`);
}
