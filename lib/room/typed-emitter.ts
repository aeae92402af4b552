import { EventEmitter } from 'node:events';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type EventMap<E> = { [K in keyof E]: (...args: any[]) => void };

/** Node's EventEmitter, with event names and listener signatures checked against a callback map. */
export interface TypedEventEmitter<E extends EventMap<E>> {
  on<K extends keyof E>(event: K, listener: E[K]): this;
  once<K extends keyof E>(event: K, listener: E[K]): this;
  off<K extends keyof E>(event: K, listener: E[K]): this;
  addListener<K extends keyof E>(event: K, listener: E[K]): this;
  removeListener<K extends keyof E>(event: K, listener: E[K]): this;
  prependListener<K extends keyof E>(event: K, listener: E[K]): this;
  prependOnceListener<K extends keyof E>(event: K, listener: E[K]): this;
  removeAllListeners(event?: keyof E): this;
  emit<K extends keyof E>(event: K, ...args: Parameters<E[K]>): boolean;
  listeners<K extends keyof E>(event: K): E[K][];
  rawListeners<K extends keyof E>(event: K): E[K][];
  listenerCount(event: keyof E): number;
  eventNames(): (keyof E)[];
  setMaxListeners(n: number): this;
  getMaxListeners(): number;
}

/** Base class to extend: `class X extends TypedEmitter<XCallbacks> {}` (generic classes may pass their own parameter). */
export const TypedEmitter = EventEmitter as unknown as new <E extends EventMap<E>>() => TypedEventEmitter<E>;

/**
 * Emits `event` and returns whether it had listeners. Application listeners run inside our signal
 * and packet handling: an exception from one must not break it, so it is rethrown on the next tick
 * (an uncaught exception, as if the listener had been called from the event loop).
 */
export function emitSafely<E extends EventMap<E>, K extends keyof E>(
  emitter: TypedEventEmitter<E>,
  event: K,
  ...args: Parameters<E[K]>
): boolean {
  try {
    return emitter.emit(event, ...args);
  } catch (err) {
    process.nextTick(() => {
      throw err;
    });
    return true;
  }
}
