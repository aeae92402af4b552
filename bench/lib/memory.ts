// Memory per track: JS heap (after a full GC) and RSS before and after a row creates its tracks.

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { TrackMemory } from './protocol';

let gc: (() => void) | undefined;

function collect(): void {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
  gc();
}

export interface MemorySample {
  heapUsed: number;
  rss: number;
}

export function sampleMemory(): MemorySample {
  collect();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, rss: m.rss };
}

export function perTrack(before: MemorySample, tracks: number): TrackMemory {
  const after = sampleMemory();
  return {
    tracks,
    heapKbPerTrack: (after.heapUsed - before.heapUsed) / 1024 / tracks,
    rssKbPerTrack: (after.rss - before.rss) / 1024 / tracks,
  };
}
