// Instructions per frame (callgrind Ir) of packetize + depacketize, ours against
// livekit-datatrack 0.1.13, at 64 B, 1 KiB, 16 KiB and 1 MiB payloads, MTU 16000.
//
// Runs native/bench-instructions (src/main.rs) under `valgrind --tool=callgrind`, counting only
// inside its per-frame function (`--toggle-collect`), once with N frames and once with 2N:
// (Ir(2N) − Ir(N)) / N is the steady-state cost of one frame, free of setup and of the first
// frames' buffer growth. Instruction counts do not depend on machine load, unlike timings.
//
// Run: npm run bench:instructions   (tsx bench/instructions.ts; needs valgrind)

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..');
const manifest = path.join(root, 'native', 'bench-instructions', 'Cargo.toml');
const binary = path.join(root, 'native', 'bench-instructions', 'target', 'release', 'instructions');
const SIZES = [64, 1024, 16 * 1024, 1024 * 1024];
const IMPLS = ['ours', 'theirs'] as const;

/** Frames per run: enough that per-frame cost dominates, few enough for valgrind at 1 MiB. */
function framesFor(size: number): number {
  return Math.min(1000, Math.max(8, Math.floor((4 << 20) / size)));
}

function collectedIr(impl: string, size: number, frames: number, dir: string): number {
  const out = path.join(dir, `${impl}-${size}-${frames}.out`);
  const r = spawnSync(
    'nice',
    ['valgrind', '--tool=callgrind', `--toggle-collect=*one_frame_${impl}*`, `--callgrind-out-file=${out}`, binary, impl, String(size), String(frames)],
    { encoding: 'utf8' },
  );
  const m = /Collected : (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !m) throw new Error(`callgrind ${impl} ${size} B × ${frames} failed (status ${r.status}):\n${r.stderr}`);
  return Number(m[1]);
}

function label(size: number): string {
  return size >= 1 << 20 ? `${size >> 20} MiB` : size >= 1024 ? `${size >> 10} KiB` : `${size} B`;
}

function main(): void {
  execFileSync('nice', ['cargo', 'build', '--release', '--quiet', '--manifest-path', manifest], { stdio: 'inherit' });
  const dir = mkdtempSync(path.join(tmpdir(), 'dtp-callgrind-'));
  try {
    const rows: string[] = [];
    for (const size of SIZES) {
      const n = framesFor(size);
      const perFrame: Record<string, number> = {};
      for (const impl of IMPLS) {
        perFrame[impl] = (collectedIr(impl, size, 2 * n, dir) - collectedIr(impl, size, n, dir)) / n;
      }
      const ours = Math.round(perFrame.ours);
      const theirs = Math.round(perFrame.theirs);
      rows.push(
        `| ${label(size)} | ${ours.toLocaleString('en-US')} | ${theirs.toLocaleString('en-US')} | ${(perFrame.ours / perFrame.theirs).toFixed(2)}× | ${(perFrame.ours / size).toFixed(2)} | ${(perFrame.theirs / size).toFixed(2)} |`,
      );
      console.error(`${label(size)}: N=${n}, ours ${ours}, theirs ${theirs}`);
    }
    console.log('| payload | ours Ir/frame | livekit-datatrack 0.1.13 Ir/frame | ours / theirs | ours Ir/byte | theirs Ir/byte |');
    console.log('|---|---|---|---|---|---|');
    for (const row of rows) console.log(row);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
