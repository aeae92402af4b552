import { RequestWindow } from '../../lib/datatrack/request-window';

describe('RequestWindow', () => {
  test('sends up to the limit at once, the rest as answers come back, in order', () => {
    const sent: number[] = [];
    const w = new RequestWindow<number>(2);
    for (let k = 1; k <= 5; k++) w.submit(k, () => sent.push(k));
    expect(sent).toEqual([1, 2]);
    expect(w.size).toEqual({ inFlight: 2, waiting: 3 });
    w.settle(2);
    expect(sent).toEqual([1, 2, 3]);
    w.settle(1);
    w.settle(3);
    expect(sent).toEqual([1, 2, 3, 4, 5]);
  });

  test('a waiting request given up before it went out is never sent; settling it twice frees one slot', () => {
    const sent: number[] = [];
    const w = new RequestWindow<number>(1);
    w.submit(1, () => sent.push(1));
    w.submit(2, () => sent.push(2));
    w.submit(3, () => sent.push(3));
    w.settle(2);
    w.settle(1);
    w.settle(1);
    expect(sent).toEqual([1, 3]);
    expect(w.size).toEqual({ inFlight: 1, waiting: 0 });
  });

  test('clear() forgets in-flight and waiting requests; resubmitting sends again', () => {
    const sent: number[] = [];
    const w = new RequestWindow<number>(1);
    w.submit(1, () => sent.push(1));
    w.submit(2, () => sent.push(2));
    w.clear();
    w.submit(2, () => sent.push(2));
    expect(sent).toEqual([1, 2]);
  });
});
