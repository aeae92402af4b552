// The re-push helper the lossy-path tests rely on: it must push again only when nothing arrived,
// skip what does not match, and fail when the frame never comes.

import { deliverWithRepushes } from './lossy-path';

/** A path that drops the first `drops` pushes and delivers the rest (plus any `stale` frames first). */
function path(drops: number, stale: string[] = []) {
  const queue: string[] = [...stale];
  let pushed = 0;
  return {
    push: (frame: string) => {
      if (++pushed > drops) queue.push(frame);
    },
    next: async () => queue.shift() ?? null,
    get pushed() {
      return pushed;
    },
  };
}

test('a frame that arrives at once is pushed once', async () => {
  const p = path(0);
  const d = await deliverWithRepushes({ push: () => p.push('a'), next: p.next, maxPushes: 5, waitMs: 50 });
  expect(d).toEqual({ frame: 'a', pushes: 1 });
});

test('a dropped frame is pushed again until it arrives', async () => {
  const p = path(2);
  const d = await deliverWithRepushes({ push: () => p.push('a'), next: p.next, maxPushes: 5, waitMs: 50 });
  expect(d).toEqual({ frame: 'a', pushes: 3 });
});

test('frames that do not match are skipped, not returned', async () => {
  const p = path(0, ['old']);
  const d = await deliverWithRepushes({ push: () => p.push('a'), next: p.next, maxPushes: 1, waitMs: 50, matches: (f) => f !== 'old' });
  expect(d.frame).toBe('a');
});

test('a frame that never arrives fails after the last push', async () => {
  const p = path(10);
  await expect(deliverWithRepushes({ push: () => p.push('a'), next: p.next, maxPushes: 3, waitMs: 20 })).rejects.toThrow(
    'frame not delivered after 3 pushes',
  );
  expect(p.pushed).toBe(3);
});
