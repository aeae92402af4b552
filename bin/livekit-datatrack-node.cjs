#!/usr/bin/env node
'use strict';
require('../dist/cjs/cli.js').main(process.argv.slice(2)).catch((err) => {
  console.error(err && err.message ? err.message : err);
  process.exit(1);
});
