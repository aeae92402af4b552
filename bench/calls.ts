// Per-call cost of the two per-frame addon calls, each timed alone on 64-byte frames:
// LocalManager.pushFrame into a queue big enough for the whole run, and RemoteManager.handlePacket
// over packets produced beforehand. Reports the best of REPEATS runs (the machine is shared).
//
// Run: npx tsx bench/calls.ts   (LIVEKIT_DATATRACK_NATIVE_PATH=... to time another build)

import { wiredManagers } from './lib/native-pipeline';

const SIZE = 64;
const FRAMES = 100_000;
const REPEATS = 7;

function setup() {
  return wiredManagers({ queueCapacity: FRAMES, usesE2ee: false });
}

/** Pushes FRAMES frames (timed), then returns their packets as separate copies. */
function pushRun(): { ns: number; packets: Uint8Array[] } {
  const { local, handle } = setup();
  const payload = Buffer.alloc(SIZE, 0xab);
  const start = process.hrtime.bigint();
  for (let i = 0; i < FRAMES; i++) local.pushFrame(handle, payload, null, null, false);
  const ns = Number(process.hrtime.bigint() - start);
  const packets: Uint8Array[] = [];
  let out;
  while ((out = local.pollTransmit(1 << 20)) !== null) {
    let at = 0;
    for (const end of out.ends) packets.push(out.data.slice(at, (at = end)));
  }
  if (packets.length !== FRAMES) throw new Error(`got ${packets.length} packets`);
  return { ns, packets };
}

function receiveRun(packets: Uint8Array[]): number {
  const { remote } = setup();
  let bytes = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < packets.length; i++) {
    const frames = remote.handlePacket(packets[i]);
    if (frames !== null) for (const f of frames) bytes += f.payload.length;
  }
  const ns = Number(process.hrtime.bigint() - start);
  if (bytes !== FRAMES * SIZE) throw new Error(`received ${bytes} bytes`);
  return ns;
}

let push = Infinity;
let receive = Infinity;
for (let r = 0; r < REPEATS; r++) {
  const run = pushRun();
  push = Math.min(push, run.ns);
  receive = Math.min(receive, receiveRun(run.packets));
}
const us = (ns: number) => (ns / FRAMES / 1000).toFixed(3);
console.log(`pushFrame    ${SIZE} B: ${us(push)} µs/call (best of ${REPEATS} x ${FRAMES})`);
console.log(`handlePacket ${SIZE} B: ${us(receive)} µs/call (best of ${REPEATS} x ${FRAMES})`);
