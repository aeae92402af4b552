import { DataTrackFrame, checkFrame, maxFramePayload, msSinceTimestamp } from '../../lib/datatrack/frame';
import { DataTrackPushError, DataTrackPublishError } from '../../lib/datatrack/errors';

describe('DataTrackFrame helpers', () => {
  test('now() stamps Unix ms', () => {
    const before = BigInt(Date.now());
    const f = DataTrackFrame.now(new Uint8Array(1));
    expect(f.userTimestamp! >= before && f.userTimestamp! <= BigInt(Date.now())).toBe(true);
  });

  test('msSinceTimestamp', () => {
    expect(msSinceTimestamp({ payload: new Uint8Array(), userTimestamp: 1000n }, 1500)).toBe(500);
    expect(msSinceTimestamp({ payload: new Uint8Array() })).toBeUndefined();
    expect(msSinceTimestamp({ payload: new Uint8Array(), userTimestamp: BigInt(Date.now() + 60_000) })).toBeUndefined();
    expect(DataTrackFrame.msSinceTimestamp({ payload: new Uint8Array(), userTimestamp: 0n }, 7)).toBe(7);
  });

  test('checkFrame keeps 0n and rejects bad input', () => {
    expect(checkFrame({ payload: new Uint8Array(), userTimestamp: 0n })).toBe(0n);
    expect(checkFrame({ payload: new Uint8Array() })).toBeNull();
    expect(() => checkFrame({ payload: [1, 2] as unknown as Uint8Array })).toThrow(TypeError);
    expect(() => checkFrame({ payload: new Uint8Array(), userTimestamp: -1n })).toThrow(RangeError);
    expect(() => checkFrame({ payload: new Uint8Array(), userTimestamp: 1n << 64n })).toThrow(RangeError);
    expect(() => checkFrame({ payload: new Uint8Array(), userTimestamp: 5 as unknown as bigint })).toThrow(RangeError);
  });

  test('errors carry reason, frame and name', () => {
    const frame = { payload: new Uint8Array(1) };
    const e = new DataTrackPushError('queueFull', 'full', frame);
    expect(e).toBeInstanceOf(Error);
    expect(e.reason).toBe('queueFull');
    expect(e.frame).toBe(frame);
    expect(e.name).toBe('DataTrackPushError');
    const p = new DataTrackPublishError('invalidSchema', 'bad', { schemaError: 'incompatible', rawMessage: 'x' });
    expect(p.schemaError).toBe('incompatible');
    expect(p.rawMessage).toBe('x');
  });

  test('maxFramePayload: 128 packets of (16,000 − header) bytes, minus the E2EE tag', () => {
    expect(maxFramePayload(false, false)).toBe(2_046_464);
    expect(maxFramePayload(true, false)).toBe(2_044_928);
    expect(maxFramePayload(false, true)).toBe(2_043_888);
    expect(maxFramePayload(true, true)).toBe(2_042_864);
  });
});
