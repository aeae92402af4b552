// One benchmark role (publisher or subscribers) in its own process, driven by bench/run.ts over IPC.

import { monitorEventLoopDelay } from 'node:perf_hooks';
import { pace } from './lib/pacer';
import type { Cell, RelaySignal, SetupParams, ToChild, ToParent } from './lib/protocol';
import { payloadTemplate, readStamp, stampedPayload } from './lib/stamp';
import type { ChildIpc, PublisherEndpoint, RowDriver, SubscriberEndpoint } from './rows/driver';

function send(msg: ToParent): void {
  process.send!(msg);
}

async function loadDriver(row: SetupParams['row']): Promise<RowDriver> {
  // Loaded on demand: the peer rows install browser globals that must not leak into other rows.
  switch (row) {
    case 'ceiling':
      return (await import('./rows/ceiling')).ceiling;
    case 'ours':
      return (await import('./rows/ours')).ours;
    case 'ours-e2ee':
      return (await import('./rows/ours')).oursE2ee;
    case 'livekit-client':
      return (await import('./rows/peers')).livekitClient;
    case 'rust-ffi':
      return (await import('./rows/peers')).rustFfi;
  }
}

const signalHandlers = new Map<number, (data: RelaySignal) => void>();
const ipc: ChildIpc = {
  signal: (index, data) => send({ type: 'signal', index, data }),
  onSignal: (index, handler) => signalHandlers.set(index, handler),
};

// A 1 ms resolution costs ~13 ms of CPU per second in timer wake-ups alone, which swamped CPU per
// frame at low rates; 10 ms still records each delay to the nanosecond.
const LOOP_RESOLUTION_MS = 10;
const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
/** The histogram holds whole intervals between samples; the delay is what exceeds the interval. */
const loopDelayP99Ms = () => Math.max(0, loop.percentile(99) / 1e6 - LOOP_RESOLUTION_MS);
loop.enable();
let publisher: PublisherEndpoint | undefined;
let subscriber: SubscriberEndpoint | undefined;

// Subscriber-side state for the current cell.
let cellStartNs = 0n;
let received: number[] = [];
let latencies: number[] = [];
let cpuAtStart = process.cpuUsage();
let startedAt = process.hrtime.bigint();

function onFrame(index: number, payload: Uint8Array): void {
  const { sentNs, latencyMs } = readStamp(payload);
  if (sentNs < cellStartNs) return; // a straggler from the previous cell
  received[index] = (received[index] ?? 0) + 1;
  latencies.push(latencyMs);
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
}

const msSince = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function runIdle(durationS: number): Promise<void> {
  loop.reset();
  const t0 = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  await new Promise((resolve) => setTimeout(resolve, durationS * 1000));
  send({ type: 'ran', cellId: 'idle', attempted: 0, accepted: 0, cpuMs: cpuMsSince(cpu), elapsedMs: msSince(t0), loopP99Ms: loopDelayP99Ms(), pushUs: NaN });
}

async function runPublisher(cell: Cell): Promise<void> {
  const template = payloadTemplate(cell.sizeBytes);
  loop.reset();
  const t0 = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  let pushNs = 0n;
  const result = await pace(cell.freqHz, cell.durationS, (seq) => {
    const payload = stampedPayload(template, seq);
    const t0 = process.hrtime.bigint();
    const ok = publisher!.push(payload);
    pushNs += process.hrtime.bigint() - t0;
    return ok;
  });
  const refused = (await publisher!.settle?.()) ?? 0;
  send({
    type: 'ran',
    cellId: cell.id,
    attempted: result.attempted,
    accepted: result.accepted - refused,
    cpuMs: cpuMsSince(cpu),
    elapsedMs: msSince(t0),
    loopP99Ms: loopDelayP99Ms(),
    pushUs: Number(pushNs) / 1e3 / Math.max(1, result.attempted),
  });
}

const memTrace: NodeJS.MemoryUsage[] = [];
let memTimer: NodeJS.Timeout | undefined;

async function handle(msg: ToChild): Promise<void> {
  switch (msg.type) {
    case 'setup': {
      const driver = await loadDriver(msg.params.row);
      // Attributes the role's --trace-gc lines (prefixed with its pid) to a row and role.
      if (process.env.BENCH_TRACE_ROLES) console.error(`[bench role] pid ${process.pid} ${msg.params.row} ${msg.params.role}`);
      if (msg.params.role === 'publisher') publisher = await driver.publisher(msg.params, ipc);
      else subscriber = await driver.subscribers(msg.params, ipc, onFrame);
      send({ type: 'ready', memory: (publisher ?? subscriber)!.memory });
      return;
    }
    case 'signal':
      signalHandlers.get(msg.index)?.(msg.data);
      return;
    case 'start':
      if (process.env.BENCH_TRACE_ROLES) {
        console.error(`[bench role] pid ${process.pid} cell start at ${Math.round(performance.now())} ms`);
        memTrace.splice(0);
        clearInterval(memTimer);
        memTimer = setInterval(() => memTrace.push(process.memoryUsage()), 20);
      }
      cellStartNs = BigInt(msg.startNs);
      received = [];
      latencies = [];
      loop.reset();
      cpuAtStart = process.cpuUsage();
      startedAt = process.hrtime.bigint();
      send({ type: 'ready' });
      return;
    case 'run':
      await runPublisher(msg.cell);
      return;
    case 'idle':
      await runIdle(msg.durationS);
      return;
    case 'collect':
      if (process.env.BENCH_TRACE_ROLES) {
        clearInterval(memTimer);
        const mb = (f: (m: NodeJS.MemoryUsage) => number) => {
          const v = memTrace.map(f);
          return `${(Math.min(...v) / 1e6).toFixed(1)}..${(Math.max(...v) / 1e6).toFixed(1)}`;
        };
        console.error(`[bench role] pid ${process.pid} cell end at ${Math.round(performance.now())} ms; MB external ${mb((m) => m.external)} arrayBuffers ${mb((m) => m.arrayBuffers)} heapUsed ${mb((m) => m.heapUsed)}`);
      }
      send({
        type: 'collected',
        cellId: msg.cellId,
        received,
        latencies,
        cpuMs: cpuMsSince(cpuAtStart),
        elapsedMs: msSince(startedAt),
        loopP99Ms: loopDelayP99Ms(),
      });
      return;
    case 'close':
      await publisher?.close();
      await subscriber?.close();
      // Exit once the reply is out, rather than be killed: exit handlers run (--cpu-prof writes
      // its profile then), and nothing a row left open can keep this process alive.
      process.send!({ type: 'closed' } satisfies ToParent, () => process.exit(0));
      return;
  }
}

// livekit-client under the node-datachannel polyfill rejects an early ICE candidate without
// handling it (the interop driver notes why); a peer's stray rejection must not end its bench row.
process.on('unhandledRejection', (err) => {
  if (process.env.BENCH_DEBUG) console.error('unhandled rejection in bench child:', err);
});

process.on('message', (msg: ToChild) => {
  handle(msg).catch((err) => send({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) }));
});
