// The ceiling's relay: the dev SFU's own PeerTransport on both sides, copying each message from
// the publisher's `_data_track` to every subscriber's, with the SFU's congestion drop and nothing
// else (no parsing, no handle rewrite).

import { PeerTransport } from '../../lib/dev-server/transport';
import { createLogger } from '../../lib/dev-server/log';
import type { RoleProcess } from './child-process';

const MAX_BUFFERED = 1 << 20;

export class BareRelay {
  private readonly subscribers: PeerTransport[] = [];
  private readonly all: PeerTransport[] = [];
  dropped = 0;

  attachPublisher(proc: RoleProcess): void {
    this.attach(proc, 0, (msg) => {
      for (const sub of this.subscribers) {
        const dc = sub.channel('_data_track');
        if (!dc || !dc.isOpen()) continue;
        if (dc.bufferedAmount() > MAX_BUFFERED) {
          this.dropped++;
          continue;
        }
        dc.sendMessageBinary(msg);
      }
    });
  }

  attachSubscribers(proc: RoleProcess, count: number): void {
    for (let i = 0; i < count; i++) this.subscribers.push(this.attach(proc, i, () => {}));
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((t) => t.close()));
  }

  private attach(proc: RoleProcess, index: number, onMessage: (msg: Buffer) => void): PeerTransport {
    const transport = new PeerTransport(
      { bindAddress: '127.0.0.1' },
      {
        onAnswer: (sdp) => proc.send({ type: 'signal', index, data: { kind: 'answer', sdp } }),
        onLocalCandidate: (init) => {
          const { candidate, sdpMid } = JSON.parse(init);
          proc.send({ type: 'signal', index, data: { kind: 'candidate', candidate, mid: sdpMid } });
        },
        onConnected: () => {},
        onLost: () => {},
        onDataChannel: () => {},
        onMessage: (_label, msg) => onMessage(msg),
      },
      createLogger('bench-relay'),
    );
    const previous = proc.onSignal;
    proc.onSignal = (i, data) => {
      if (i !== index) return previous(i, data);
      if (data.kind === 'offer') transport.applyOffer(data.sdp);
      else if (data.kind === 'candidate') transport.addRemoteCandidate(JSON.stringify({ candidate: data.candidate, sdpMid: data.mid }));
    };
    this.all.push(transport);
    return transport;
  }
}
