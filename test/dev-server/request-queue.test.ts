// The dev SFU's per-connection request queue: a burst is handled in slices, in order, and what a
// client sent before its socket closed is still handled.

import { RequestQueue } from '../../lib/dev-server/request-queue';

/** Burns CPU for `ms` (a handler that is slow by itself, not a wait). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    /* spin */
  }
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('RequestQueue', () => {
  test('a lone request is handled at once', () => {
    const handled: number[] = [];
    const q = new RequestQueue<number>((n) => handled.push(n), () => undefined);
    q.push(1);
    expect(handled).toEqual([1]);
    expect(q.pending).toBe(0);
  });

  test('a burst of slow requests yields the loop between slices and keeps the order', async () => {
    const handled: number[] = [];
    const q = new RequestQueue<number>(
      (n) => {
        busy(3);
        handled.push(n);
      },
      () => undefined,
    );
    for (let i = 0; i < 10; i++) q.push(i);
    // 5 ms per turn: two 3 ms requests, then the rest waits for later turns.
    expect(handled.length).toBeLessThan(10);
    expect(q.pending).toBe(10 - handled.length);
    let turns = 0;
    while (q.pending > 0 && turns < 100) {
      await nextTurn();
      turns++;
    }
    expect(turns).toBeGreaterThan(1);
    expect(handled).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('flush handles what is queued now; clear forgets it; backlog pauses and resumes', () => {
    const handled: number[] = [];
    const backlog: boolean[] = [];
    const q = new RequestQueue<number>(
      (n) => {
        if (n === 0) busy(6);
        handled.push(n);
      },
      (b) => backlog.push(b),
    );
    for (let i = 0; i < 5000; i++) q.push(i);
    expect(handled).toEqual([0]);
    expect(backlog).toEqual([true]);
    q.flush();
    expect(handled).toHaveLength(5000);
    expect(backlog).toEqual([true, false]);
    // A new turn has not started, so the budget is spent: these queue, and clear drops them.
    q.push(1);
    q.push(2);
    q.clear();
    expect(q.pending).toBe(0);
    expect(handled).toHaveLength(5000);
  });
});
