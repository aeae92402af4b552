import { EventEmitter } from 'node:events';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type EventMap<E> = { [K in keyof E]: (...args: any[]) => void };

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

/** Base class to extend: `class X extends typedEmitter<XCallbacks>() {}`. */
export function typedEmitter<E extends EventMap<E>>(): new () => TypedEventEmitter<E> {
  return EventEmitter as unknown as new () => TypedEventEmitter<E>;
}
