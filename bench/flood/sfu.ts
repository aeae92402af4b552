// The development SFU in a process of its own for the flood and soak benchmarks, so what a client
// sees (pong delay, dropped frames) is the SFU's behaviour and not the orchestrator's. Driven over
// IPC: tokens on request, and the worst event-loop delay since the last reset.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DevServer } from '../../lib/dev-server';

export type ToSfu = { type: 'token'; identity: string; room: string } | { type: 'resetLoop' } | { type: 'loop' } | { type: 'memory' };
export type FromSfu =
  | { type: 'url'; url: string }
  | { type: 'token'; identity: string; token: string }
  | { type: 'loop'; maxMs: number; p99Ms: number }
  | { type: 'memory'; rss: number; heapUsed: number; external: number };

const RESOLUTION_MS = 10;

async function main(): Promise<void> {
  const server = await DevServer.start({ port: 0 });
  const loop = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  loop.enable();
  const reply = (m: FromSfu) => process.send!(m);
  process.on('message', (m: ToSfu) => {
    switch (m.type) {
      case 'token':
        void server.token(m.identity, { room: m.room }).then((token) => reply({ type: 'token', identity: m.identity, token }));
        return;
      case 'resetLoop':
        loop.reset();
        return;
      case 'loop':
        // The histogram holds whole intervals between samples; the delay is what exceeds one.
        reply({ type: 'loop', maxMs: Math.max(0, loop.max / 1e6 - RESOLUTION_MS), p99Ms: Math.max(0, loop.percentile(99) / 1e6 - RESOLUTION_MS) });
        return;
      case 'memory': {
        global.gc?.();
        const u = process.memoryUsage();
        reply({ type: 'memory', rss: u.rss, heapUsed: u.heapUsed, external: u.external });
        return;
      }
    }
  });
  process.on('disconnect', () => void server.close().then(() => process.exit(0)));
  reply({ type: 'url', url: server.url });
}

void main();
