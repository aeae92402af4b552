// The congestion rule of signal-and-sfu.md §4.5 / dtp.md §8 with injected buffered amounts and
// times: flooding a real SCTP channel on loopback faster than it drains is not reproducible.

import { CongestionGate, MIN_BUFFERED_BYTES, shouldDrop } from '../../lib/dev-server/congestion';

const rule = { targetLatencyMs: 100, hardCapBytes: Infinity };

describe('shouldDrop', () => {
  test('never below 8 KiB, whatever the rate', () => {
    expect(shouldDrop(0, 0, rule)).toBe(false);
    expect(shouldDrop(MIN_BUFFERED_BYTES, 0, rule)).toBe(false);
    expect(shouldDrop(MIN_BUFFERED_BYTES + 1, 0, rule)).toBe(true);
  });

  test('above 8 KiB the limit is drain rate × target latency', () => {
    // 1 MB/s for 100 ms: 100,000 bytes may wait.
    expect(shouldDrop(100_000, 1_000_000, rule)).toBe(false);
    expect(shouldDrop(100_001, 1_000_000, rule)).toBe(true);
    expect(shouldDrop(50_001, 1_000_000, { ...rule, targetLatencyMs: 50 })).toBe(true);
  });

  test('target latency 0 disables the rule; the hard cap still applies', () => {
    expect(shouldDrop(10_000_000, 0, { targetLatencyMs: 0, hardCapBytes: Infinity })).toBe(false);
    expect(shouldDrop(10_000_000, 0, { targetLatencyMs: 0, hardCapBytes: 4 << 20 })).toBe(true);
    expect(shouldDrop(1_000_000, 100_000_000, { targetLatencyMs: 100, hardCapBytes: 1 << 19 })).toBe(true);
  });
});

describe('CongestionGate', () => {
  test('measures what drained from the buffer, not what was written', () => {
    const gate = new CongestionGate(rule, 0);
    // 1,000 bytes every 10 ms for a second, all of it drained at once: 100 kB/s.
    let t = 0;
    for (; t < 1000; t += 10) {
      expect(gate.admit(0, t)).toBe('send');
      gate.sent(1000);
    }
    // (The last write is only seen to drain at the next observation.)
    expect(gate.rate(t)).toBeGreaterThan(95_000);
    expect(gate.rate(t)).toBeLessThanOrEqual(100_000);
    // Now nothing drains: the buffer grows by every write and the rate measured over the window
    // does not rise with it.
    const before = gate.rate(t);
    let buffered = 0;
    for (let i = 0; i < 5; i++, t += 10) {
      gate.admit(buffered, t);
      gate.sent(1000);
      buffered += 1000;
    }
    expect(gate.rate(t)).toBeLessThanOrEqual(before);
  });

  test('drops once the backlog exceeds rate × latency, and admits again when it drains', () => {
    const gate = new CongestionGate(rule, 0);
    let t = 0;
    // 1 MB/s drain for 2 s: limit 100 kB.
    for (; t < 2000; t += 10) {
      gate.admit(0, t);
      gate.sent(10_000);
    }
    expect(gate.admit(90_000, t)).toBe('send');
    expect(gate.admit(150_000, t)).toBe('congestion');
    t += 50;
    expect(gate.admit(20_000, t)).toBe('send');
  });

  test('a fresh or idle channel only tolerates 8 KiB', () => {
    const gate = new CongestionGate(rule, 0);
    expect(gate.admit(MIN_BUFFERED_BYTES + 1, 0)).toBe('congestion');
    let t = 0;
    for (; t < 1000; t += 10) {
      gate.admit(0, t);
      gate.sent(10_000);
    }
    expect(gate.admit(50_000, t)).toBe('send');
    // After the 2 s window has passed without traffic the measured rate is 0 again.
    t += 2500;
    expect(gate.rate(t)).toBe(0);
    expect(gate.admit(MIN_BUFFERED_BYTES + 1, t)).toBe('congestion');
  });

  test('latency 0: nothing is dropped below the hard cap', () => {
    const gate = new CongestionGate({ targetLatencyMs: 0, hardCapBytes: 1 << 20 }, 0);
    expect(gate.admit(1 << 20, 0)).toBe('send');
    expect(gate.admit((1 << 20) + 1, 0)).toBe('congestion');
  });
});

describe('CongestionGate after an idle spell', () => {
  test('a burst is measured over its own duration, not diluted over the whole window', () => {
    const gate = new CongestionGate(rule, 0);
    // A little traffic long ago, then 5 s of silence.
    gate.admit(0, 0);
    gate.sent(1000);
    gate.admit(0, 10);
    let t = 5000;
    // 50 ms of a 10 MB/s burst: 500 kB drained, measured over the 100 ms minimum → 5 MB/s → 500 kB allowed.
    for (let i = 0; i < 50; i++, t++) {
      gate.admit(0, t);
      gate.sent(10_000);
    }
    expect(gate.rate(t)).toBeGreaterThan(4_000_000);
    expect(gate.admit(400_000, t)).toBe('send');
    expect(gate.admit(600_000, t)).toBe('congestion');
  });
});
