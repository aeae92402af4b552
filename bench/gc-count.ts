// Counts each role's GCs per measured cell in the output of
//   BENCH_TRACE_ROLES=1 BENCH_NODE_ARGS=--trace-gc npm run bench -- ... > log 2>&1
// Run: npx tsx bench/gc-count.ts log
// Only roles that receive 'start' (the subscribers) have cell windows; the first windows of a
// role can be its idle measurement, so read the last ones as the matrix cells, in order.

import { readFileSync } from 'node:fs';

const roles = new Map<string, string>();
const windows = new Map<string, Array<{ start: number; end?: number }>>();
const gcs = new Map<string, Array<{ at: number; kind: string }>>();

for (const line of readFileSync(process.argv[2], 'utf8').split('\n')) {
  let m = /\[bench role\] pid (\d+) cell (start|end) at (\d+) ms/.exec(line);
  if (m) {
    const list = windows.get(m[1]) ?? [];
    windows.set(m[1], list);
    if (m[2] === 'start') list.push({ start: Number(m[3]) });
    else if (list.length > 0) list[list.length - 1].end = Number(m[3]);
    continue;
  }
  m = /\[bench role\] pid (\d+) (\S+) (\S+)$/.exec(line);
  if (m) {
    roles.set(m[1], `${m[2]} ${m[3]}`);
    continue;
  }
  // Main isolate and workers share the pid; each line carries its isolate, all are counted.
  m = /^\[(\d+):0x[0-9a-f]+\]\s+(\d+) ms: (Mark-Compact|Scavenge)/.exec(line);
  if (m) {
    const list = gcs.get(m[1]) ?? [];
    gcs.set(m[1], list);
    list.push({ at: Number(m[2]), kind: m[3] });
  }
}

for (const [pid, role] of roles) {
  const cells = (windows.get(pid) ?? []).flatMap(({ start, end }, i) => {
    if (end === undefined) return [];
    const inCell = (gcs.get(pid) ?? []).filter((g) => g.at >= start && g.at <= end);
    const count = (kind: string) => inCell.filter((g) => g.kind === kind).length;
    return [`#${i}: ${count('Mark-Compact')} Mark-Compact, ${count('Scavenge')} Scavenge in ${((end - start) / 1000).toFixed(1)} s`];
  });
  console.log(`${role} (pid ${pid}): ${cells.join('; ') || 'no cell windows'}`);
}
