// Redraws bench/results/latest.svg from latest.json without rerunning the bench (after a chart
// change, or for another results file: `npx tsx bench/chart.ts path/to/run.json`).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { toSvg, type CellResult } from './lib/report';

const input = path.resolve(process.argv[2] ?? path.join(__dirname, 'results', 'latest.json'));
const { title, results } = JSON.parse(fs.readFileSync(input, 'utf8')) as { title: string; results: CellResult[] };
const output = input.replace(/\.json$/, '.svg');
fs.writeFileSync(output, toSvg(results, title));
console.log(`wrote ${path.relative(process.cwd(), output)}`);
