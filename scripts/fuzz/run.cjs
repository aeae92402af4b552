#!/usr/bin/env node
// `npm run fuzz -- [--seconds N] [--runs N] [--target NAME]...`: runs each cargo-fuzz target of
// native/fuzz for N seconds (default 60) or N executions, one after the other, under `nice`, and
// prints executions, exec/s, corpus size and findings per target. Installs cargo-fuzz into
// .cache/cargo-fuzz (git-ignored) when missing; needs the nightly toolchain (rustup).
'use strict';
const { spawnSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const CARGO_FUZZ_VERSION = '0.13.2';
const root = path.resolve(__dirname, '..', '..');
const fuzzDir = path.join(root, 'native', 'fuzz');
const toolRoot = path.join(root, '.cache', 'cargo-fuzz');
const TARGETS = ['deserialize', 'differential'];

function parseArgs(argv) {
  const opts = { seconds: 60, runs: null, targets: [] };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    if (argv[i] === '--seconds') opts.seconds = Number(value());
    else if (argv[i] === '--runs') opts.runs = Number(value());
    else if (argv[i] === '--target') opts.targets.push(value());
    else throw new Error(`unknown argument ${argv[i]} (use --seconds N, --runs N, --target NAME)`);
  }
  for (const t of opts.targets) if (!TARGETS.includes(t)) throw new Error(`unknown target ${t}; targets: ${TARGETS.join(', ')}`);
  if (!opts.targets.length) opts.targets = TARGETS;
  return opts;
}

function ensureCargoFuzz() {
  const bin = path.join(toolRoot, 'bin', 'cargo-fuzz');
  if (fs.existsSync(bin)) return;
  console.log(`installing cargo-fuzz ${CARGO_FUZZ_VERSION} into ${path.relative(root, toolRoot)}/`);
  const r = spawnSync('nice', ['cargo', 'install', 'cargo-fuzz', '--version', `=${CARGO_FUZZ_VERSION}`, '--locked', '--root', toolRoot], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error('cargo install cargo-fuzz failed');
}

/** Runs one target; resolves with what libFuzzer reported. */
function runTarget(target, opts, env) {
  const corpus = path.join(fuzzDir, 'corpus', target);
  fs.mkdirSync(corpus, { recursive: true });
  // Inputs up to 1 KiB: every header path fits, and longer inputs only cost time.
  const libfuzzer = ['-print_final_stats=1', '-max_len=1024'];
  if (opts.runs != null) libfuzzer.push(`-runs=${opts.runs}`);
  else libfuzzer.push(`-max_total_time=${opts.seconds}`);
  // No sanitizer: the code under test is safe Rust (no `unsafe` in core), so ASan would only
  // slow the search; panics and assertion failures are what the targets detect.
  const args = ['cargo', '+nightly', 'fuzz', 'run', '--sanitizer', 'none', target, corpus, path.join(fuzzDir, 'seeds', target), '--', ...libfuzzer];
  return new Promise((resolve) => {
    const child = spawn('nice', args, { cwd: fuzzDir, env, stdio: ['ignore', 'inherit', 'pipe'] });
    let log = '';
    let pending = '';
    child.stderr.on('data', (chunk) => {
      const text = chunk.toString();
      log += text;
      // libFuzzer writes a line in pieces; echo whole lines, leaving out the per-input NEW/REDUCE ones.
      const lines = (pending + text).split('\n');
      pending = lines.pop();
      for (const line of lines) if (!/^#\d+\s+(NEW|REDUCE)/.test(line)) process.stderr.write(line + '\n');
    });
    child.on('close', (code) => {
      const stat = (name) => Number((log.match(new RegExp(`stat::${name}:\\s+(\\d+)`)) || [])[1] ?? NaN);
      const corp = [...log.matchAll(/corp: (\d+)\/(\S+)/g)].pop();
      const artifacts = [...log.matchAll(/Test unit written to (\S+)/g)].map((m) => m[1]);
      resolve({
        target,
        exitCode: code,
        executions: stat('number_of_executed_units'),
        execPerSec: stat('average_exec_per_sec'),
        newUnits: stat('new_units_added'),
        peakRssMb: stat('peak_rss_mb'),
        corpus: corp ? `${corp[1]} inputs (${corp[2]})` : '?',
        artifacts,
      });
    });
  });
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  ensureCargoFuzz();
  const env = { ...process.env, PATH: `${path.join(toolRoot, 'bin')}${path.delimiter}${process.env.PATH}` };
  const results = [];
  for (const target of opts.targets) results.push(await runTarget(target, opts, env));
  console.log('\ntarget        executions   exec/s  new units  corpus                 peak RSS  findings');
  for (const r of results) {
    const findings = r.exitCode === 0 ? 'none' : r.artifacts.length ? r.artifacts.join(' ') : `exit ${r.exitCode}`;
    console.log(
      `${r.target.padEnd(13)} ${String(r.executions).padStart(10)} ${String(r.execPerSec).padStart(8)} ${String(r.newUnits).padStart(10)}  ${r.corpus.padEnd(22)} ${String(r.peakRssMb).padStart(5)} MB  ${findings}`,
    );
  }
  if (results.some((r) => r.exitCode !== 0)) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e.message);
  process.exitCode = 1;
});
