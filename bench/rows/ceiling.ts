// The ceiling: the same relay path as the SFU (client PC → relay PC, relay PC → client PC, both
// relay ends being the dev SFU's own PeerTransport) with no data-track work at all. Frames are cut
// into 16,000-byte messages like DTP does, each with a minimal 8-byte chunk header, and the
// subscriber concatenates them back, so the ceiling pays the same copies a real receiver must.

import { DataChannel, PeerConnection } from 'node-datachannel';
import type { RelaySignal } from '../lib/protocol';
import type { ChildIpc, PublisherEndpoint, RowDriver, SubscriberEndpoint } from './driver';

const CHUNK = 16_000 - 8;
const HIGH_WATER = 256 * 1024;

interface BareClient {
  pc: PeerConnection;
  dc: DataChannel;
  open: Promise<void>;
}

/** How long a bare client may take to open its channel before setup fails (and is retried). */
const OPEN_TIMEOUT_MS = 15_000;

function bareClient(ipc: ChildIpc, index: number): BareClient {
  const pc = new PeerConnection(`bench-ceiling-${index}`, { iceServers: [], maxMessageSize: 65536 });
  // node-datachannel delivers each callback kind through its own queue, so a local candidate can
  // reach JS before the offer it belongs to (and the relay drops candidates for an unknown
  // offer); the relay's candidates, likewise, are only applied after its answer. Both are queued.
  let offerSent = false;
  const localCandidates: RelaySignal[] = [];
  let answered = false;
  const remoteCandidates: Array<{ candidate: string; mid: string }> = [];
  const addRemote = (candidate: string, mid: string) => {
    try {
      pc.addRemoteCandidate(candidate, mid);
    } catch (err) {
      // Only a connection that already failed or closed refuses a candidate: that failure is
      // reported through `open` (and the state), not as a stray exception from the IPC handler.
      if (process.env.BENCH_DEBUG) console.error(`ceiling client ${index}: candidate refused in state ${pc.state()}: ${(err as Error).message}`);
    }
  };
  pc.onLocalDescription((sdp, type) => {
    if (type !== 'offer') return;
    ipc.signal(index, { kind: 'offer', sdp });
    offerSent = true;
    for (const c of localCandidates.splice(0)) ipc.signal(index, c);
  });
  pc.onLocalCandidate((candidate, mid) => {
    const signal: RelaySignal = { kind: 'candidate', candidate, mid };
    if (offerSent) ipc.signal(index, signal);
    else localCandidates.push(signal);
  });
  let failOpen: (err: Error) => void = () => {};
  pc.onStateChange((state) => {
    if (state === 'failed' || state === 'closed') failOpen(new Error(`ceiling client ${index}: peer connection ${state} before its channel opened`));
  });
  ipc.onSignal(index, (data: RelaySignal) => {
    if (data.kind === 'answer') {
      pc.setRemoteDescription(data.sdp, 'answer');
      answered = true;
      for (const c of remoteCandidates.splice(0)) addRemote(c.candidate, c.mid);
    } else if (data.kind === 'candidate') {
      if (answered) addRemote(data.candidate, data.mid);
      else remoteCandidates.push(data);
    }
  });
  const dc = pc.createDataChannel('_data_track', { unordered: true, maxRetransmits: 0 });
  const open = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`ceiling client ${index}: channel not open within ${OPEN_TIMEOUT_MS} ms (state ${pc.state()})`)), OPEN_TIMEOUT_MS);
    failOpen = (err) => {
      clearTimeout(timer);
      reject(err);
    };
    dc.onOpen(() => {
      clearTimeout(timer);
      failOpen = () => {};
      resolve();
    });
  });
  return { pc, dc, open };
}

async function closeClient(c: BareClient): Promise<void> {
  c.dc.close();
  c.pc.close();
}

export const ceiling: RowDriver = {
  async publisher(_params, ipc): Promise<PublisherEndpoint> {
    const client = bareClient(ipc, 0);
    await client.open.catch(async (err) => {
      await closeClient(client);
      throw err;
    });
    return {
      push(payload) {
        if (client.dc.bufferedAmount() > HIGH_WATER) return false;
        const count = Math.max(1, Math.ceil(payload.length / CHUNK));
        const seq = new DataView(payload.buffer, payload.byteOffset).getUint32(0);
        for (let i = 0; i < count; i++) {
          const part = payload.subarray(i * CHUNK, (i + 1) * CHUNK);
          const msg = Buffer.allocUnsafe(8 + part.length);
          msg.writeUInt32BE(seq, 0);
          msg.writeUInt16BE(i, 4);
          msg.writeUInt16BE(count, 6);
          msg.set(part, 8);
          client.dc.sendMessageBinary(msg);
        }
        return true;
      },
      close: () => closeClient(client),
    };
  },

  async subscribers(params, ipc, onFrame): Promise<SubscriberEndpoint> {
    const clients: BareClient[] = [];
    for (let index = 0; index < (params.tokens?.length ?? 1); index++) {
      const client = bareClient(ipc, index);
      const partial = new Map<number, Buffer[]>();
      client.dc.onMessage((msg) => {
        if (typeof msg === 'string') return;
        const buf = Buffer.isBuffer(msg) ? msg : Buffer.from(msg as ArrayBuffer);
        const seq = buf.readUInt32BE(0);
        const idx = buf.readUInt16BE(4);
        const count = buf.readUInt16BE(6);
        if (count === 1) {
          onFrame(index, buf.subarray(8));
          return;
        }
        let parts = partial.get(seq);
        if (!parts) {
          if (partial.size > 16) partial.delete(partial.keys().next().value!);
          partial.set(seq, (parts = new Array(count)));
        }
        parts[idx] = buf.subarray(8);
        let complete = true;
        for (let i = 0; i < count; i++) if (!parts[i]) complete = false;
        if (complete) {
          partial.delete(seq);
          onFrame(index, Buffer.concat(parts));
        }
      });
      clients.push(client);
    }
    await Promise.all(clients.map((c) => c.open)).catch(async (err) => {
      await Promise.all(clients.map(closeClient));
      throw err;
    });
    return { close: async () => void (await Promise.all(clients.map(closeClient))) };
  },
};
