// Where a small frame's latency goes, hop by hop: the time each process spends between a
// data-channel message arriving and what it does with it. The development SFU, the publisher and
// the subscriber run in one child process each, from one bundle of this file under plain node
// (as the bench's roles and SFU). Each process wraps node-datachannel's DataChannel so it can
// stamp arrivals:
// - SFU: a packet's arrival to its forward (`sendMessageBinary`), in the same callback;
// - subscriber: the packet's arrival to the frame reaching the application's `for await` body;
// - publisher: the cost of `tryPush` (it sends from inside the call).
// Frames are 10 ms apart, so every hop is done before the next packet arrives.
//
// Run: npx tsx bench/hops.ts [--size 1024] [--hz 100] [--seconds 20] [--e2ee]

import { fork } from 'node:child_process';

import { bundleForNode } from './lib/bundle';
import { serveDevServer, startSfuProcess } from './lib/sfu-process';

interface Args {
  size: number;
  hz: number;
  seconds: number;
  e2ee: boolean;
}

function args(): Args {
  const value = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  return { size: value('size', 1024), hz: value('hz', 100), seconds: value('seconds', 20), e2ee: process.argv.includes('--e2ee') };
}

/** Stamps each binary message's arrival; `take()` hands the last one over once. */
type Message = string | Buffer | ArrayBuffer;
interface Channel {
  onMessage(cb: (msg: Message) => void): void;
  sendMessageBinary(buffer: Uint8Array): boolean;
}

/**
 * Stamps each binary message's arrival on every channel made from now on, and calls `afterSend`
 * after each binary send with the time the send itself took. node-datachannel's methods are read-only on its prototypes, so the
 * module's PeerConnection is replaced by a subclass that wraps each channel it hands out (the SDK
 * and the SFU look the class up when they construct one).
 */
function instrumentChannels(afterSend?: (sendNs: bigint) => void): { take(): bigint | undefined } {
  let last: bigint | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ndc = require('node-datachannel') as { PeerConnection: new (...args: never[]) => object };
  const wrap = (dc: Channel): Channel => {
    const onMessage = dc.onMessage.bind(dc);
    Object.defineProperty(dc, 'onMessage', {
      value: (cb: (msg: Message) => void) =>
        onMessage((msg) => {
          if (typeof msg !== 'string') last = process.hrtime.bigint();
          cb(msg);
        }),
    });
    if (afterSend) {
      const send = dc.sendMessageBinary.bind(dc);
      Object.defineProperty(dc, 'sendMessageBinary', {
        value: (buffer: Uint8Array) => {
          const t = process.hrtime.bigint();
          const ok = send(buffer);
          afterSend(process.hrtime.bigint() - t);
          return ok;
        },
      });
    }
    return dc;
  };
  const Original = ndc.PeerConnection as unknown as new (...args: unknown[]) => {
    createDataChannel(...args: unknown[]): Channel;
    onDataChannel(cb: (dc: Channel) => void): void;
  };
  ndc.PeerConnection = class extends Original {
    override createDataChannel(...args: unknown[]): Channel {
      return wrap(super.createDataChannel(...args));
    }
    override onDataChannel(cb: (dc: Channel) => void): void {
      super.onDataChannel((dc) => cb(wrap(dc)));
    }
  } as unknown as typeof ndc.PeerConnection;
  return {
    take() {
      const t = last;
      last = undefined;
      return t;
    },
  };
}

function summary(label: string, us: number[]): string {
  const v = [...us].sort((a, b) => a - b);
  const at = (q: number) => v[Math.min(v.length - 1, Math.floor(q * v.length))];
  return `${label.padEnd(44)} n=${v.length}  p50 ${at(0.5).toFixed(1)} µs  p95 ${at(0.95).toFixed(1)}  p99 ${at(0.99).toFixed(1)}`;
}

const usSince = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e3;

/** The orchestrator: the SFU, the subscriber and the publisher, each in a process of its own. */
async function main(): Promise<void> {
  const { size, hz, seconds, e2ee } = args();
  const out = bundleForNode('bench/hops.ts', 'hops');
  const server = await startSfuProcess(out, ['sfu', String(size), String(hz)]);
  // Plain node, as the bench's roles (fork would pass on this process's tsx flags); BENCH_NODE_ARGS
  // reaches them as it reaches the roles.
  const execArgv = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const spawn = (role: string, token: string) => fork(out, [role, server.url, token, String(size), String(hz), String(seconds), e2ee ? 'e2ee' : 'plain'], { stdio: 'inherit', execArgv });
  const sub = spawn('subscriber', await server.token('sub', 'hops'));
  const pub = spawn('publisher', await server.token('pub', 'hops'));
  const done = (p: ReturnType<typeof fork>) => new Promise<void>((resolve) => p.once('exit', () => resolve()));
  await Promise.all([done(sub), done(pub)]);
  // The SFU prints its hop as it closes.
  await server.close();
}

async function sfu(size: number, hz: number): Promise<void> {
  const forwardUs: number[] = [];
  const sendUs: number[] = [];
  const arrivals = instrumentChannels((sendNs) => {
    const t = arrivals.take();
    if (t === undefined) return;
    sendUs.push(Number(sendNs) / 1e3);
    forwardUs.push(usSince(t) - Number(sendNs) / 1e3);
  });
  await serveDevServer(() => {
    // The first second is warm-up (JIT, connection), as in the bench.
    console.log(summary(`SFU: arrival → forward, its send excluded (${size} B @ ${hz} Hz)`, forwardUs.slice(hz)));
    console.log(summary('SFU: the forward send (sendMessageBinary)', sendUs.slice(hz)));
  });
}

/** A Room as the bench's ours-e2ee row makes it (a shared passphrase key), or a plain one. */
async function newRoom(e2ee: boolean): Promise<import('../lib').Room> {
  const { KeyProvider, Room } = await import('../lib');
  if (!e2ee) return new Room();
  const keyProvider = new KeyProvider();
  await keyProvider.setSharedKey('bench-passphrase');
  return new Room({ encryption: { keyProvider } });
}

async function publisher(url: string, token: string, size: number, hz: number, seconds: number, e2ee: boolean): Promise<void> {
  let sendNsInPush = 0n;
  instrumentChannels((sendNs) => (sendNsInPush += sendNs));
  const { payloadTemplate, stampedPayload } = await import('./lib/stamp');
  const room = await newRoom(e2ee);
  await room.connect(url, token);
  const track = await room.localParticipant.publishDataTrack('hops');
  // Let the subscriber subscribe first.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const template = payloadTemplate(size);
  const pushUs: number[] = [];
  const sdkUs: number[] = [];
  const sendUs: number[] = [];
  for (let seq = 0; seq < hz * seconds; seq++) {
    const payload = stampedPayload(template, seq);
    sendNsInPush = 0n;
    const t = process.hrtime.bigint();
    track.tryPush({ payload });
    const us = usSince(t);
    pushUs.push(us);
    sendUs.push(Number(sendNsInPush) / 1e3);
    sdkUs.push(us - Number(sendNsInPush) / 1e3);
    await new Promise((resolve) => setTimeout(resolve, 1000 / hz));
  }
  console.log(summary('publisher: tryPush', pushUs.slice(hz)));
  console.log(summary('publisher: tryPush, its sends excluded', sdkUs.slice(hz)));
  console.log(summary('publisher: the sends in tryPush', sendUs.slice(hz)));
  await new Promise((resolve) => setTimeout(resolve, 500));
  await room.disconnect();
}

async function subscriber(url: string, token: string, hz: number, seconds: number, e2ee: boolean): Promise<void> {
  const arrivals = instrumentChannels();
  const { RoomEvent } = await import('../lib');
  const { readStamp } = await import('./lib/stamp');
  const room = await newRoom(e2ee);
  await room.connect(url, token);
  // The publisher may have published before this room's connect resolved: then it is already listed.
  const listed = [...room.remoteParticipants.values()].flatMap((p) => [...p.dataTracks.values()])[0];
  const track = listed ?? (await new Promise<import('../lib').RemoteDataTrack>((resolve) => room.once(RoomEvent.DataTrackPublished, resolve)));
  const stream = await track.subscribe({ bufferSize: 1024 });
  const receiveUs: number[] = [];
  const endToEndUs: number[] = [];
  for await (const frame of stream) {
    const t = arrivals.take();
    if (t !== undefined) receiveUs.push(usSince(t));
    endToEndUs.push(readStamp(frame.payload).latencyMs * 1e3);
    if (readStamp(frame.payload).seq === hz * seconds - 1) break;
  }
  console.log(summary('subscriber: arrival → for-await body', receiveUs.slice(hz)));
  console.log(summary('end to end (publisher stamp → for-await body)', endToEndUs.slice(hz)));
  await room.disconnect();
}

const [role, ...rest] = process.argv.slice(2);
const [url, token, size, hz, seconds, mode] = rest;
const run =
  role === 'publisher' ? publisher(url, token, Number(size), Number(hz), Number(seconds), mode === 'e2ee')
  : role === 'subscriber' ? subscriber(url, token, Number(hz), Number(seconds), mode === 'e2ee')
  : role === 'sfu' ? sfu(Number(rest[0]), Number(rest[1]))
  : main();
run.then(
  // The SFU serves until the orchestrator closes it (serveDevServer exits then).
  () => role !== 'sfu' && process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
