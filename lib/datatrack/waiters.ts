// Promises keyed by the id a native state machine reports their outcome under (a publish's
// handle, a stream, a wait for a track). The machines own the deadlines; a waiter only settles.

interface Waiter<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
  /** Drops the abort listener. */
  detach(): void;
}

export class Waiters<T> {
  private readonly byId = new Map<number, Waiter<T>>();

  /**
   * The promise for `id`. If `signal` aborts first, `onAbort` runs: it should make the machine
   * report the outcome (a cancel input), which then settles the promise through this map.
   */
  add(id: number, signal?: AbortSignal, onAbort?: () => void): Promise<T> {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const abort = () => onAbort?.();
    signal?.addEventListener('abort', abort, { once: true });
    this.byId.set(id, { promise, resolve, reject, detach: () => signal?.removeEventListener('abort', abort) });
    return promise;
  }

  get(id: number): Promise<T> | undefined {
    return this.byId.get(id)?.promise;
  }

  resolve(id: number, value: T): boolean {
    const w = this.take(id);
    w?.resolve(value);
    return w !== undefined;
  }

  reject(id: number, error: unknown): boolean {
    const w = this.take(id);
    w?.reject(error);
    return w !== undefined;
  }

  private take(id: number): Waiter<T> | undefined {
    const w = this.byId.get(id);
    if (!w) return undefined;
    this.byId.delete(id);
    w.detach();
    return w;
  }
}
