// Table, CSV and SVG chart of a bench run.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RowKind, TrackMemory } from './protocol';
import type { LatencySummary } from './stats';

export interface CellResult {
  /** `idle`: connected and subscribed, no frames; its CPU figures are per second, not per frame. */
  section: 'matrix' | 'saturation' | 'fanout' | 'idle' | 'many-tracks';
  row: RowKind;
  sizeKb: number;
  freqHz: number;
  durationS: number;
  subscribers: number;
  /** Pushes offered by the pacer; `sent` counts only those the SDK accepted (Rust's method). */
  attempted: number;
  sent: number;
  received: number;
  latency: LatencySummary;
  pubCpuSPer1k: number;
  subCpuSPer1k: number;
  /** Raw CPU and wall time of each role's measurement window, for subtracting the idle cost. */
  pubCpuMs: number;
  subCpuMs: number;
  pubElapsedMs: number;
  subElapsedMs: number;
  pubLoopP99Ms: number;
  subLoopP99Ms: number;
  pushUs: number;
  /** CPU s per 1,000 frames (pub + sub) net of the row's idle cost, measured in the same session. */
  netCpuSPer1k?: number;
  /** How many runs were folded into this result, and the spread of their p99s. */
  repeats?: number;
  p99RangeMs?: [number, number];
  error?: string;
  /** Many-tracks section: tracks published (frames round-robin over them; freqHz is the total). */
  tracks?: number;
  pubMemory?: TrackMemory;
  subMemory?: TrackMemory;
}

export const deliveryRatio = (r: CellResult) => (r.sent === 0 ? 0 : r.received / (r.sent * r.subscribers));
export const expectedMibps = (r: CellResult) => (r.sizeKb * r.freqHz) / 1024;
/** What reached each subscriber, against what was offered: refused pushes count as losses. */
export const actualMibps = (r: CellResult) =>
  r.attempted === 0 ? 0 : expectedMibps(r) * Math.min(1, r.received / (r.attempted * r.subscribers));

const COLUMNS = [
  'section', 'row', 'size_kb', 'freq_hz', 'duration_s', 'subscribers', 'attempted', 'sent', 'received', 'delivery_ratio',
  'avg_latency_ms', 'min_latency_ms', 'max_latency_ms', 'p50_latency_ms', 'p95_latency_ms', 'p99_latency_ms',
  'expected_mibps', 'actual_mibps', 'pub_cpu_s_per_1k_frames', 'sub_cpu_s_per_1k_frames',
  'pub_event_loop_p99_ms', 'sub_event_loop_p99_ms', 'push_us', 'net_cpu_s_per_1k_frames', 'pub_idle_cpu_ms_per_s',
  'sub_idle_cpu_ms_per_s', 'repeats', 'p99_min_ms', 'p99_max_ms', 'error', 'tracks', 'pub_heap_kb_per_track',
  'pub_rss_kb_per_track', 'sub_heap_kb_per_track', 'sub_rss_kb_per_track',
];

const f = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : '');

/** CPU ms per second of each role while connected and subscribed with no frames flowing. */
export interface IdleCpu {
  pubMsPerS: number;
  subMsPerS: number;
}

export function idleCpu(results: CellResult[], row: RowKind): IdleCpu | undefined {
  const r = results.find((x) => x.section === 'idle' && x.row === row && !x.error);
  return r && { pubMsPerS: r.pubCpuMs / (r.pubElapsedMs / 1000), subMsPerS: r.subCpuMs / (r.subElapsedMs / 1000) };
}

/**
 * CPU seconds per 1,000 frames (publisher + subscriber) with the row's idle cost taken out: what
 * the frames themselves cost. At 10 Hz the idle cost (timers, SCTP, the SDK's keep-alives) is most
 * of the raw figure, so raw comparisons there measure idle overhead more than per-frame work.
 */
export function netCpuSPer1k(r: CellResult, idle: IdleCpu | undefined): number {
  if (!idle) return NaN;
  const pub = Math.max(0, r.pubCpuMs - (idle.pubMsPerS * r.pubElapsedMs) / 1000) / Math.max(1, r.sent);
  const sub = Math.max(0, r.subCpuMs - (idle.subMsPerS * r.subElapsedMs) / 1000) / Math.max(1, r.received);
  return pub + sub;
}

export function toCsv(results: CellResult[]): string {
  const lines = [COLUMNS.join(',')];
  for (const r of results) {
    const idle = idleCpu(results, r.row);
    lines.push(
      [
        r.section, r.row, r.sizeKb, r.freqHz, r.durationS, r.subscribers, r.attempted, r.sent, r.received, f(deliveryRatio(r), 4),
        f(r.latency.avg, 3), f(r.latency.min, 3), f(r.latency.max, 3), f(r.latency.p50, 3), f(r.latency.p95, 3),
        f(r.latency.p99, 3), f(expectedMibps(r), 3), f(actualMibps(r), 3), f(r.pubCpuSPer1k, 4), f(r.subCpuSPer1k, 4),
        f(r.pubLoopP99Ms), f(r.subLoopP99Ms), f(r.pushUs, 2), f(r.netCpuSPer1k ?? NaN, 4),
        f(idle?.pubMsPerS ?? NaN), f(idle?.subMsPerS ?? NaN), r.repeats ?? 1, f(r.p99RangeMs?.[0] ?? NaN, 3),
        f(r.p99RangeMs?.[1] ?? NaN, 3), r.error ? JSON.stringify(r.error) : '', r.tracks ?? '',
        f(r.pubMemory?.heapKbPerTrack ?? NaN, 1), f(r.pubMemory?.rssKbPerTrack ?? NaN, 1),
        f(r.subMemory?.heapKbPerTrack ?? NaN, 1), f(r.subMemory?.rssKbPerTrack ?? NaN, 1),
      ].join(','),
    );
  }
  return lines.join('\n') + '\n';
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => c.padStart(widths[i])).join('  ');
}

export function toTable(results: CellResult[]): string {
  const header = ['row', 'KiB', 'Hz', 'subs', 'offered', 'sent', 'recv', 'deliv%', 'MiB/s', 'p50ms', 'p95ms', 'p99ms', 'p99 range', 'pubCPU/1k', 'subCPU/1k', 'net/1k', 'push us'];
  const rows = results.map((r) => [
    r.row, String(r.sizeKb), String(r.freqHz), String(r.subscribers), String(r.attempted), String(r.sent), String(r.received),
    f(100 * deliveryRatio(r), 1), f(actualMibps(r), 2), f(r.latency.p50), f(r.latency.p95), f(r.latency.p99),
    r.p99RangeMs ? `${r.p99RangeMs[0].toFixed(1)}-${r.p99RangeMs[1].toFixed(1)}` : '',
    f(r.pubCpuSPer1k, 3), f(r.subCpuSPer1k, 3), f(r.netCpuSPer1k ?? NaN, 3), f(r.pushUs, 1) + (r.error ? '  ERROR ' + r.error.split('\n')[0] : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [pad(header, widths), ...rows.map((r) => pad(r, widths))].join('\n');
}

/** CPU time over wall time of a role's measurement window: the share of one core it used. */
const coreShare = (cpuMs: number, elapsedMs: number) => cpuMs / elapsedMs;

/** Many-tracks section: one line per (load, row), then each row against the ceiling's. */
export function toManyTracksTable(results: CellResult[]): string {
  const cells = results.filter((r) => r.section === 'many-tracks');
  const header = ['row', 'tracks', 'Hz/track', 'frames/s', 'offered', 'recv', 'deliv%', 'p50ms', 'p99ms', 'pubCPU/1k', 'subCPU/1k', 'pub core', 'sub core', 'pub KiB/track heap,rss', 'sub KiB/track heap,rss'];
  const mem = (m?: TrackMemory) => (m ? `${f(m.heapKbPerTrack, 1)}, ${f(m.rssKbPerTrack, 1)}` : '-');
  const rows = cells.map((r) => [
    r.row, String(r.tracks ?? 1), f(r.freqHz / (r.tracks ?? 1), 0), String(r.freqHz), String(r.attempted), String(r.received),
    f(100 * deliveryRatio(r), 1), f(r.latency.p50), f(r.latency.p99), f(r.pubCpuSPer1k, 3), f(r.subCpuSPer1k, 3),
    f(coreShare(r.pubCpuMs, r.pubElapsedMs)), f(coreShare(r.subCpuMs, r.subElapsedMs)), mem(r.pubMemory), mem(r.subMemory) + (r.error ? '  ERROR ' + r.error.split('\n')[0] : ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const lines = [pad(header, widths), ...rows.map((r) => pad(r, widths))];
  for (const r of cells) {
    const ceiling = cells.find((c) => c.row === 'ceiling' && c.tracks === r.tracks && !c.error);
    if (r.row === 'ceiling' || !ceiling || r.error) continue;
    const cpu = (x: CellResult) => x.pubCpuSPer1k + x.subCpuSPer1k;
    lines.push(
      `${r.row} / ceiling at ${r.tracks} tracks: delivery ${f(deliveryRatio(r) / deliveryRatio(ceiling))}, p99 ${f(r.latency.p99 / ceiling.latency.p99)}, CPU per frame (pub + sub) ${f(cpu(r) / cpu(ceiling))}`,
    );
  }
  return lines.join('\n');
}

/** Ratios ours/ceiling and ours/peer, per matrix cell. */
export function toRatios(results: CellResult[]): string {
  const matrix = results.filter((r) => r.section === 'matrix' && !r.error);
  const key = (r: CellResult) => `${r.sizeKb}@${r.freqHz}`;
  const by = new Map<string, Map<RowKind, CellResult>>();
  for (const r of matrix) {
    if (!by.has(key(r))) by.set(key(r), new Map());
    by.get(key(r))!.set(r.row, r);
  }
  const lines = [
    'cell            thru ours/ceil  p99 ours/ceil  thru ours/lkc  thru ours/rust  cpu(pub+sub) ours/lkc  ours/rust  net cpu ours/lkc  ours/rust  e2ee cost: cpu  p99',
  ];
  const net = (r: CellResult) => r.netCpuSPer1k ?? NaN;
  for (const [k, m] of by) {
    const ours = m.get('ours');
    if (!ours) continue;
    const ratio = (other: RowKind, fn: (r: CellResult) => number) => {
      const o = m.get(other);
      return o ? f(fn(ours) / fn(o), 2) : '-';
    };
    const cpu = (r: CellResult) => r.pubCpuSPer1k + r.subCpuSPer1k;
    lines.push(
      [
        k.padEnd(14),
        ratio('ceiling', actualMibps).padStart(14),
        ratio('ceiling', (r) => r.latency.p99).padStart(14),
        ratio('livekit-client', actualMibps).padStart(14),
        ratio('rust-ffi', actualMibps).padStart(15),
        ratio('livekit-client', cpu).padStart(22),
        ratio('rust-ffi', cpu).padStart(10),
        ratio('livekit-client', net).padStart(17),
        ratio('rust-ffi', net).padStart(10),
        (m.get('ours-e2ee') ? f(cpu(m.get('ours-e2ee')!) / cpu(ours), 2) + '×' : '-').padStart(16),
        (m.get('ours-e2ee') ? f(m.get('ours-e2ee')!.latency.p99 / ours.latency.p99, 2) + '×' : '-').padStart(6),
      ].join(' '),
    );
  }
  return lines.join('\n');
}

const ROW_COLORS: Record<RowKind, string> = {
  ceiling: '#9e9e9e',
  ours: '#1e88e5',
  'ours-e2ee': '#43a047',
  'livekit-client': '#fb8c00',
  'rust-ffi': '#8e24aa',
};

/** CPU seconds per 1,000 frames, publisher + subscriber, net of idle where the run measured it. */
const cpuPer1k = (r: CellResult) => r.netCpuSPer1k ?? r.pubCpuSPer1k + r.subCpuSPer1k;

interface RatioPanel {
  label: string;
  better: 'higher' | 'lower';
  value: (r: CellResult) => number;
}

const RATIO_PANELS: RatioPanel[] = [
  { label: 'delivered throughput', better: 'higher', value: actualMibps },
  { label: 'p99 latency', better: 'lower', value: (r) => r.latency.p99 },
  { label: 'CPU per frame (publisher + subscriber, net of idle)', better: 'lower', value: cpuPer1k },
];

/** A scale for ratios: log10 when they span a decade or more, linear otherwise; always shows 1×. */
function ratioScale(ratios: number[], height: number) {
  const finite = ratios.filter((v) => Number.isFinite(v) && v > 0);
  const lo = Math.min(1, ...finite);
  const hi = Math.max(1, ...finite);
  if (hi / lo >= 10) {
    const min = Math.log10(lo) - 0.15;
    const max = Math.log10(hi) + 0.15;
    const ticks: number[] = [];
    for (let d = Math.floor(min); d <= Math.ceil(max); d++) {
      for (const m of [1, 2, 5]) {
        const t = m * 10 ** d;
        if (Math.log10(t) >= min && Math.log10(t) <= max) ticks.push(t);
      }
    }
    return { log: true, y: (v: number) => height - ((Math.log10(v) - min) / (max - min)) * height, ticks };
  }
  const max = hi * 1.1;
  const step = max <= 1.5 ? 0.25 : max <= 3 ? 0.5 : 1;
  const ticks: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) ticks.push(Number(t.toFixed(2)));
  return { log: false, y: (v: number) => height - (v / max) * height, ticks };
}

const fmtRatio = (v: number) => (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1).replace(/\.0$/, '') : String(Number(v.toPrecision(2))));

/**
 * One panel per figure (throughput, p99, CPU per frame), each row as a ratio to the ceiling in the
 * same cell: the ceiling is the 1× line and every bar starts there, up or down. Absolute figures
 * differ by decades between a 1 KiB @ 10 Hz cell and a 256 KiB one; ratios put every cell on one
 * axis, logarithmic when the ratios themselves span a decade.
 */
export function toSvg(results: CellResult[], title: string): string {
  const matrix = results.filter((r) => r.section === 'matrix' && !r.error);
  const cellKey = (r: CellResult) => `${r.sizeKb} KiB @ ${r.freqHz} Hz`;
  const cells = [...new Set(matrix.map(cellKey))];
  const rows = [...new Set(matrix.map((r) => r.row))].filter((row) => row !== 'ceiling');
  const find = (row: RowKind, cell: string) => matrix.find((m) => m.row === row && cellKey(m) === cell);
  const barW = 13;
  const groupW = rows.length * barW + 18;
  const chartH = 190;
  const left = 64;
  const top0 = 74;
  const panelH = chartH + 96;
  // Room on the right for the last cell's slanted label.
  const width = left + cells.length * groupW + 84;
  const height = top0 + RATIO_PANELS.length * panelH + 10;
  const parts: string[] = [];
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');

  parts.push(`<text x="12" y="24" font-size="15" font-weight="bold">${esc(title)}</text>`);
  parts.push(`<text x="12" y="42" font-size="12" fill="#444">Each row divided by the ceiling (raw node-datachannel messages over the same relay, no data-track work) in the same cell: the 1× line.</text>`);
  rows.forEach((row, i) => {
    parts.push(`<rect x="${left + i * 140}" y="52" width="12" height="12" fill="${ROW_COLORS[row]}"/>`);
    parts.push(`<text x="${left + i * 140 + 17}" y="62" font-size="12">${row}</text>`);
  });

  RATIO_PANELS.forEach((panel, pi) => {
    const top = top0 + pi * panelH + 26;
    const ratio = (row: RowKind, cell: string) => {
      const r = find(row, cell);
      const c = find('ceiling', cell);
      return r && c ? panel.value(r) / panel.value(c) : NaN;
    };
    const scale = ratioScale(cells.flatMap((cell) => rows.map((row) => ratio(row, cell))), chartH);
    const y = (v: number) => top + scale.y(v);
    const axis = scale.log ? 'log scale' : 'linear scale';
    parts.push(
      `<text x="${left}" y="${top - 12}" font-size="13" font-weight="bold">${esc(panel.label)}: row ÷ ceiling <tspan font-weight="normal" fill="#555">(${panel.better} is better; ${axis})</tspan></text>`,
    );
    for (const t of scale.ticks) {
      const ty = y(t);
      const one = t === 1;
      parts.push(`<line x1="${left}" y1="${ty}" x2="${width - 76}" y2="${ty}" stroke="${one ? '#333' : '#e3e3e3'}" stroke-width="${one ? 1.2 : 1}"/>`);
      parts.push(`<text x="${left - 6}" y="${ty + 4}" font-size="10" text-anchor="end">${fmtRatio(t)}×</text>`);
    }
    cells.forEach((cell, ci) => {
      const x0 = left + ci * groupW + 9;
      if (ci > 0) parts.push(`<line x1="${x0 - 9}" y1="${top}" x2="${x0 - 9}" y2="${top + chartH}" stroke="#f0f0f0"/>`);
      rows.forEach((row, ri) => {
        const v = ratio(row, cell);
        const x = x0 + ri * barW;
        if (!Number.isFinite(v) || v <= 0) {
          parts.push(`<text x="${x + barW / 2 - 1}" y="${y(1) - 3}" font-size="9" text-anchor="middle" fill="#999">–</text>`);
          return;
        }
        const [a, b] = [y(1), y(v)].sort((p, q) => p - q);
        const r = find(row, cell)!;
        const c = find('ceiling', cell)!;
        const tip = `${row} ${cell}: ${fmtRatio(v)}× the ceiling (${panel.value(r).toFixed(3)} vs ${panel.value(c).toFixed(3)})`;
        parts.push(`<rect x="${x}" y="${a}" width="${barW - 2}" height="${Math.max(1, b - a)}" fill="${ROW_COLORS[row]}"><title>${esc(tip)}</title></rect>`);
      });
      const lx = x0 + (rows.length * barW) / 2 - 10;
      const ly = top + chartH + 14;
      parts.push(`<text x="${lx}" y="${ly}" font-size="10" transform="rotate(30 ${lx} ${ly})">${cell}</text>`);
    });
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join('\n')}\n</svg>\n`;
}

/** Idle CPU per role, one line per row. */
export function toIdleTable(results: CellResult[]): string {
  const lines = ['row              pub CPU ms/s  sub CPU ms/s'];
  for (const r of results.filter((x) => x.section === 'idle')) {
    const idle = idleCpu(results, r.row);
    lines.push(`${r.row.padEnd(15)} ${f(idle?.pubMsPerS ?? NaN).padStart(13)} ${f(idle?.subMsPerS ?? NaN).padStart(13)}${r.error ? '  ERROR ' + r.error : ''}`);
  }
  return lines.join('\n');
}

/** `base` is `latest` for `--full`, so that a quick or single-cell run never replaces the README's figures. */
export function writeResults(dir: string, base: string, results: CellResult[], title: string, runs: CellResult[]): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${base}.json`), JSON.stringify({ title, results, runs }, null, 1));
  fs.writeFileSync(path.join(dir, `${base}.csv`), toCsv(results));
  // The chart is of matrix cells; sections run alone (many tracks, fan-out) have none.
  if (results.some((r) => r.section === 'matrix')) fs.writeFileSync(path.join(dir, `${base}.svg`), toSvg(results, title));
}
