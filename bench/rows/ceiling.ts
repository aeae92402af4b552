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

function bareClient(ipc: ChildIpc, index: number): BareClient {
  const pc = new PeerConnection(`bench-ceiling-${index}`, { iceServers: [], maxMessageSize: 65536 });
  pc.onLocalDescription((sdp, type) => {
    if (type === 'offer') ipc.signal(index, { kind: 'offer', sdp });
  });
  pc.onLocalCandidate((candidate, mid) => ipc.signal(index, { kind: 'candidate', candidate, mid }));
  pc.onStateChange(() => {});
  ipc.onSignal(index, (data: RelaySignal) => {
    if (data.kind === 'answer') pc.setRemoteDescription(data.sdp, 'answer');
    else if (data.kind === 'candidate') pc.addRemoteCandidate(data.candidate, data.mid);
  });
  const dc = pc.createDataChannel('_data_track', { unordered: true, maxRetransmits: 0 });
  const open = new Promise<void>((resolve) => dc.onOpen(() => resolve()));
  return { pc, dc, open };
}

async function closeClient(c: BareClient): Promise<void> {
  c.dc.close();
  c.pc.close();
}

export const ceiling: RowDriver = {
  async publisher(_params, ipc): Promise<PublisherEndpoint> {
    const client = bareClient(ipc, 0);
    await client.open;
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
    await Promise.all(clients.map((c) => c.open));
    return { close: async () => void (await Promise.all(clients.map(closeClient))) };
  },
};
