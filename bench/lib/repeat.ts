// Repeated runs of a cell, folded into one result. On a shared 2-vCPU VM a single 5 s cell's p99
// and CPU per frame move by tens of percent from one run to the next (timer and syscall costs
// vary with the host), so each cell runs several times, spread across the whole bench, and the
// reported figure is the median of the runs; counts are pooled so delivery stays exact.

import type { CellResult } from './report';
import type { LatencySummary } from './stats';

function median(values: number[]): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

const key = (r: CellResult) => [r.section, r.row, r.sizeKb, r.freqHz, r.subscribers, r.tracks ?? 1].join('|');

/** One result per (section, row, cell, subscribers): medians of the runs, pooled counts. */
export function foldRepeats(runs: CellResult[]): CellResult[] {
  const groups = new Map<string, CellResult[]>();
  for (const r of runs) {
    const k = key(r);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(r);
  }
  return [...groups.values()].map(fold);
}

function fold(group: CellResult[]): CellResult {
  const ok = group.filter((r) => !r.error);
  if (ok.length === 0) return group[0];
  if (ok.length === 1) return { ...ok[0], repeats: 1 };
  const m = (fn: (r: CellResult) => number) => median(ok.map(fn));
  const sum = (fn: (r: CellResult) => number) => ok.reduce((s, r) => s + fn(r), 0);
  const latency: LatencySummary = {
    count: sum((r) => r.latency.count),
    avg: m((r) => r.latency.avg),
    min: Math.min(...ok.map((r) => r.latency.min)),
    max: Math.max(...ok.map((r) => r.latency.max)),
    p50: m((r) => r.latency.p50),
    p95: m((r) => r.latency.p95),
    p99: m((r) => r.latency.p99),
  };
  const p99s = ok.map((r) => r.latency.p99).filter(Number.isFinite);
  return {
    ...ok[0],
    durationS: sum((r) => r.durationS),
    attempted: sum((r) => r.attempted),
    sent: sum((r) => r.sent),
    received: sum((r) => r.received),
    latency,
    pubCpuSPer1k: m((r) => r.pubCpuSPer1k),
    subCpuSPer1k: m((r) => r.subCpuSPer1k),
    netCpuSPer1k: m((r) => r.netCpuSPer1k ?? NaN),
    pubCpuMs: sum((r) => r.pubCpuMs),
    subCpuMs: sum((r) => r.subCpuMs),
    pubElapsedMs: sum((r) => r.pubElapsedMs),
    subElapsedMs: sum((r) => r.subElapsedMs),
    pubLoopP99Ms: m((r) => r.pubLoopP99Ms),
    subLoopP99Ms: m((r) => r.subLoopP99Ms),
    pushUs: m((r) => r.pushUs),
    repeats: ok.length,
    p99RangeMs: p99s.length ? [Math.min(...p99s), Math.max(...p99s)] : undefined,
    error: undefined,
  };
}
