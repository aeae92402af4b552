// The publisher transport against a real libdatachannel peer playing the SFU's part of the
// WebRTC exchange (answer, trickle, adopting the client's channels). Signalling is direct calls.

import { PeerConnection, type DataChannel } from 'node-datachannel';
import type { DataTrackChannel } from '../../lib/datatrack/host';
import { PublisherTransport, type PublisherTransportHandler } from '../../lib/transport/publisher-transport';

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

class Sfu {
  readonly pc = new PeerConnection('test-sfu', { iceServers: [] });
  readonly channels = new Map<string, DataChannel>();
  readonly received: Buffer[] = [];
  private channelWaiters: (() => void)[] = [];
  private messageWaiters: (() => void)[] = [];

  constructor(onCandidate: (init: string) => void) {
    // node-datachannel only lets go of a closed PC once a state callback is registered.
    this.pc.onStateChange(() => {});
    this.pc.onLocalCandidate((candidate, mid) =>
      onCandidate(JSON.stringify({ candidate: candidate.replace(/^a=/, ''), sdpMid: mid, sdpMLineIndex: 0 })),
    );
    this.pc.onDataChannel((dc) => {
      this.channels.set(dc.getLabel(), dc);
      // Without a close callback node-datachannel keeps the process alive after close.
      dc.onClosed(() => {});
      if (dc.getLabel() === '_data_track') {
        dc.onMessage((msg) => {
          if (typeof msg !== 'string') this.received.push(Buffer.from(msg as Buffer));
          for (const w of this.messageWaiters.splice(0)) w();
        });
      }
      for (const w of this.channelWaiters.splice(0)) w();
    });
  }

  answer(offer: string): Promise<string> {
    return new Promise((resolve) => {
      this.pc.onLocalDescription((sdp, type) => {
        if (type === 'answer') resolve(sdp);
      });
      this.pc.setRemoteDescription(offer, 'offer');
    });
  }

  async untilChannels(n: number): Promise<void> {
    while (this.channels.size < n) await within(new Promise<void>((r) => this.channelWaiters.push(r)), 5000, 'channels');
  }

  async untilReceived(n: number): Promise<void> {
    while (this.received.length < n) await within(new Promise<void>((r) => this.messageWaiters.push(r)), 5000, 'packets');
  }
}

class Recorder implements PublisherTransportHandler {
  readonly candidates: string[] = [];
  readonly packets: Uint8Array[] = [];
  opened = 0;
  failed: string | undefined;
  private waiters: (() => void)[] = [];
  sink: ((init: string) => void) | undefined;

  onIceCandidate(init: string): void {
    this.candidates.push(init);
    this.sink?.(init);
  }
  onDataTrackMessage(packet: Uint8Array): void {
    this.packets.push(packet);
    this.wake();
  }
  onDataTrackChannelOpen(): void {
    this.opened++;
    this.wake();
  }
  onFailed(state: string): void {
    this.failed = state;
    this.wake();
  }
  async until(cond: () => boolean, what: string): Promise<void> {
    while (!cond()) await within(new Promise<void>((r) => this.waiters.push(r)), 5000, what);
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

describe('PublisherTransport', () => {
  let transport: PublisherTransport;
  let sfu: Sfu;
  let rec: Recorder;

  beforeEach(() => {
    rec = new Recorder();
    transport = new PublisherTransport(rec, { iceServers: [] });
    sfu = new Sfu((init) => transport.addRemoteCandidate(init));
    rec.sink = (init) => {
      const { candidate, sdpMid } = JSON.parse(init) as { candidate: string; sdpMid: string };
      sfu.pc.addRemoteCandidate(candidate, sdpMid);
    };
  });
  afterEach(() => {
    transport.close();
    sfu.pc.close();
  });

  async function negotiate(): Promise<DataTrackChannel> {
    const offer = await transport.createOffer();
    expect(offer.id).toBe(1);
    expect(offer.sdp).toContain('m=application');
    expect(offer.sdp).toContain('webrtc-datachannel');
    const answer = await sfu.answer(offer.sdp);
    expect(transport.setAnswer(answer, offer.id)).toBe(true);
    await transport.waitConnected(undefined, 10_000);
    await rec.until(() => rec.opened === 1, '_data_track open');
    const channel = transport.dataTrackChannel();
    expect(channel).not.toBeNull();
    return channel!;
  }

  it('connects through offer/answer and trickle, opening the three LiveKit channels', async () => {
    await negotiate();
    await sfu.untilChannels(3);
    expect([...sfu.channels.keys()].sort()).toEqual(['_data_track', '_lossy', '_reliable']);
    expect(transport.connectionState).toBe('connected');
    // Local candidates are trickled as LiveKit's JSON candidateInit.
    expect(rec.candidates.length).toBeGreaterThan(0);
    const init = JSON.parse(rec.candidates[0]) as Record<string, unknown>;
    expect(init.candidate).toMatch(/^candidate:/);
    expect(typeof init.sdpMid).toBe('string');
    expect(init.sdpMLineIndex).toBe(0);
  });

  it('carries binary packets both ways on _data_track, byte for byte', async () => {
    const channel = await negotiate();
    await sfu.untilChannels(3);
    const packets = [Buffer.from([0, 0, 0, 1, 0, 2, 0, 3, 0, 0, 0, 4]), Buffer.alloc(16_000, 0xab)];
    for (const p of packets) expect(channel.send(p)).toBe(true);
    await sfu.untilReceived(2);
    // Unordered channel: compare as a set.
    expect(sfu.received.map((b) => b.toString('hex')).sort()).toEqual(packets.map((b) => b.toString('hex')).sort());

    const down = sfu.channels.get('_data_track')!;
    down.sendMessage('text is not a data-track packet');
    down.sendMessageBinary(Buffer.from([9, 8, 7]));
    await rec.until(() => rec.packets.length === 1, 'downstream packet');
    expect(Buffer.from(rec.packets[0]).toString('hex')).toBe('090807');
  });

  it('reports buffered amount and fires the low-threshold event after a burst', async () => {
    const channel = await negotiate();
    await sfu.untilChannels(3);
    let wake: () => void = () => {};
    channel.onBufferedAmountLow(() => wake());
    channel.setBufferedAmountLowThreshold(64 * 1024);
    const packet = Buffer.alloc(16_000, 1);
    for (let i = 0; i < 256; i++) channel.send(packet);
    expect(channel.bufferedAmount).toBeGreaterThan(64 * 1024);
    // The first packets of the burst can leave at once, and the low event that fires for them is
    // delivered after the burst: only an event that finds the buffer drained ends the wait.
    await within(
      new Promise<void>((resolve) => {
        wake = () => {
          if (channel.bufferedAmount <= 64 * 1024) resolve();
        };
      }),
      10_000,
      'buffered amount low',
    );
    expect(channel.bufferedAmount).toBeLessThanOrEqual(64 * 1024);
  });

  it('ignores an answer to an older offer', async () => {
    const offer = await transport.createOffer();
    const answer = await sfu.answer(offer.sdp);
    expect(transport.setAnswer(answer, offer.id + 5)).toBe(false);
    expect(transport.setAnswer(answer, offer.id)).toBe(true);
    await transport.waitConnected(undefined, 10_000);
  });

  it('after close(): no channel, waits reject, sends fail', async () => {
    const channel = await negotiate();
    transport.close();
    expect(transport.dataTrackChannel()).toBeNull();
    expect(channel.isOpen).toBe(false);
    expect(channel.send(Buffer.from([1]))).toBe(false);
    await expect(transport.waitConnected(undefined, 100)).rejects.toThrow(/closed/);
    expect(rec.failed).toBeUndefined();
  });

  it('reports the SFU going away as a failure', async () => {
    await negotiate();
    sfu.pc.close();
    await rec.until(() => rec.failed !== undefined, 'failure');
    expect(['failed', 'closed', 'disconnected']).toContain(rec.failed);
  }, 60_000);
});
