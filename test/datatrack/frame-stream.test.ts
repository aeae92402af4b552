import { DataTrackStream } from '../../lib/datatrack/frame-stream';
import type { DataTrackFrame } from '../../lib/datatrack/frame';

const frame = (i: number): DataTrackFrame => ({ payload: Uint8Array.of(i) });
const ids = (frames: Array<DataTrackFrame | undefined>) => frames.map((f) => f?.payload[0]);

describe('DataTrackStream', () => {
  test('delivers in order and to a waiting reader directly', async () => {
    const s = new DataTrackStream(4);
    const pending = s.next();
    s._push(frame(1));
    s._push(frame(2));
    expect((await pending).value?.payload[0]).toBe(1);
    expect((await s.next()).value?.payload[0]).toBe(2);
  });

  test('overflow drops the oldest and counts it', async () => {
    const s = new DataTrackStream(3);
    for (let i = 0; i < 10; i++) s._push(frame(i));
    expect(s.stats()).toEqual({ framesReceived: 10, framesDroppedOverflow: 7, buffered: 3 });
    const got = [await s.read(), await s.read(), await s.read()];
    expect(ids(got)).toEqual([7, 8, 9]);
  });

  test('a buffer size of 0 is clamped to 1', async () => {
    const s = new DataTrackStream(0);
    expect(s.bufferSize).toBe(1);
    s._push(frame(1));
    s._push(frame(2));
    expect((await s.read())?.payload[0]).toBe(2);
    expect(s.stats().framesDroppedOverflow).toBe(1);
  });

  test('end keeps buffered frames readable, then finishes', async () => {
    const s = new DataTrackStream(4);
    s._push(frame(1));
    s._end('unpublished');
    s._push(frame(2)); // ignored after the end
    expect(s.ended).toBe(true);
    expect(s.endReason).toBe('unpublished');
    expect((await s.next()).value?.payload[0]).toBe(1);
    expect((await s.next()).done).toBe(true);
  });

  test('end wakes all waiting readers', async () => {
    const s = new DataTrackStream();
    const a = s.next();
    const b = s.next();
    s._end('disconnected');
    expect((await a).done).toBe(true);
    expect((await b).done).toBe(true);
  });

  test('cancel discards the buffer and tells the owner once', async () => {
    const onCancel = jest.fn();
    const s = new DataTrackStream(4, onCancel);
    s._push(frame(1));
    s.cancel();
    s.cancel();
    expect(onCancel).toHaveBeenCalledTimes(1);
    expect(s.endReason).toBe('cancelled');
    expect((await s.next()).done).toBe(true);
  });

  test('breaking out of for-await cancels', async () => {
    const onCancel = jest.fn();
    const s = new DataTrackStream(4, onCancel);
    for (let i = 0; i < 3; i++) s._push(frame(i));
    const seen: number[] = [];
    for await (const f of s) {
      seen.push(f.payload[0]);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual([0, 1]);
    expect(onCancel).toHaveBeenCalledTimes(1);
  });

  test('cancel during for-await ends the loop', async () => {
    const s = new DataTrackStream(4);
    setImmediate(() => {
      s._push(frame(5));
      setImmediate(() => s.cancel());
    });
    const seen: number[] = [];
    for await (const f of s) seen.push(f.payload[0]);
    expect(seen).toEqual([5]);
  });

  test('read() with a timeout returns undefined and leaves the stream usable', async () => {
    const s = new DataTrackStream();
    expect(await s.read({ timeoutMs: 10 })).toBeUndefined();
    expect(s.ended).toBe(false);
    s._push(frame(9));
    expect((await s.read({ timeoutMs: 10 }))?.payload[0]).toBe(9);
  });

  test('read() honours an AbortSignal', async () => {
    const s = new DataTrackStream();
    const ac = new AbortController();
    const r = s.read({ signal: ac.signal });
    ac.abort();
    expect(await r).toBeUndefined();
    s._push(frame(1));
    expect((await s.read())?.payload[0]).toBe(1);
  });

  test('userTimestamp 0n survives', async () => {
    const s = new DataTrackStream();
    s._push({ payload: new Uint8Array(1), userTimestamp: 0n });
    expect((await s.read())?.userTimestamp).toBe(0n);
  });

  test('readable pulls from the buffer and cancelling it cancels the stream', async () => {
    const onCancel = jest.fn();
    const s = new DataTrackStream(4, onCancel);
    const rs = s.readable;
    expect(s.readable).toBe(rs);
    s._push(frame(1));
    const reader = rs.getReader();
    expect((await reader.read()).value?.payload[0]).toBe(1);
    await reader.cancel();
    expect(onCancel).toHaveBeenCalled();
    expect(s.endReason).toBe('cancelled');
  });

  test('readable closes when the track ends the stream, after the buffered frames', async () => {
    const s = new DataTrackStream(4);
    s._push(frame(1));
    s._push(frame(2));
    s._end('unpublished');
    const got: number[] = [];
    await s.readable.pipeTo(new WritableStream({ write: (f) => void got.push(f.payload[0]) }));
    expect(got).toEqual([1, 2]);
  });

  test('readable keeps no queue of its own: a slow reader still drops the oldest frames here', async () => {
    const s = new DataTrackStream(2);
    const reader = s.readable.getReader();
    for (let i = 1; i <= 5; i++) s._push(frame(i));
    expect((await reader.read()).value?.payload[0]).toBe(4);
    expect((await reader.read()).value?.payload[0]).toBe(5);
    expect(s.stats()).toMatchObject({ framesReceived: 5, framesDroppedOverflow: 3 });
    reader.releaseLock();
  });

  test('onEnd fires once with the reason', () => {
    const s = new DataTrackStream();
    const l = jest.fn();
    s.onEnd(l);
    s._end('unpublished');
    s._end('disconnected');
    expect(l).toHaveBeenCalledTimes(1);
    expect(l).toHaveBeenCalledWith('unpublished');
    const late = jest.fn();
    s.onEnd(late);
    expect(late).toHaveBeenCalledWith('unpublished');
  });
});
