import type { Room } from '../../../lib/room/room';
import type { RoomEventCallbacks } from '../../../lib/room/events';

/** Resolves with the arguments of the next `event` on `room` (optionally the next that matches). */
export function waitForRoomEvent<K extends keyof RoomEventCallbacks>(
  room: Room,
  event: K,
  timeoutMs = 10_000,
  match: (...args: Parameters<RoomEventCallbacks[K]>) => boolean = () => true,
): Promise<Parameters<RoomEventCallbacks[K]>> {
  return new Promise((resolve, reject) => {
    const listener = ((...args: Parameters<RoomEventCallbacks[K]>) => {
      if (!match(...args)) return;
      clearTimeout(timer);
      room.off(event, listener);
      resolve(args);
    }) as RoomEventCallbacks[K];
    const timer = setTimeout(() => {
      room.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for room event ${String(event)}`));
    }, timeoutMs);
    room.on(event, listener);
  });
}

/** Polls a condition on the event loop (no fixed sleeps), failing after `timeoutMs`. */
export async function waitUntil(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The rejection of `promise`, failing the test if it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: unknown) => err,
  );
}
