// A promise settled exactly once by whichever comes first: the answer, a deadline or an abort.
// Every request/response wait in this layer (publish, unpublish, subscribe, schema blobs) is one.

export interface Pending<T> {
  readonly promise: Promise<T>;
  readonly settled: boolean;
  /** False if it had already settled. */
  resolve(value: T): boolean;
  reject(error: unknown): boolean;
}

export interface PendingOptions {
  timeoutMs?: number;
  /** The error for a timeout. */
  onTimeout?: () => unknown;
  signal?: AbortSignal;
  /** The error for an abort. */
  onAbort?: () => unknown;
  /** Runs once after settling, however it happened (cleanup of lookup tables). */
  onSettle?: () => void;
}

export function pending<T>(options: PendingOptions = {}): Pending<T> {
  let resolveFn!: (v: T) => void;
  let rejectFn!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolveFn = res;
    rejectFn = rej;
  });
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const { signal } = options;
  const abort = () => settle(() => rejectFn(options.onAbort ? options.onAbort() : signal?.reason));

  function settle(action: () => void): boolean {
    if (settled) return false;
    settled = true;
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', abort);
    action();
    options.onSettle?.();
    return true;
  }

  const p: Pending<T> = {
    promise,
    get settled() {
      return settled;
    },
    resolve: (v) => settle(() => resolveFn(v)),
    reject: (e) => settle(() => rejectFn(e)),
  };

  if (signal?.aborted) {
    abort();
    return p;
  }
  signal?.addEventListener('abort', abort, { once: true });
  if (options.timeoutMs !== undefined && Number.isFinite(options.timeoutMs)) {
    timer = setTimeout(() => settle(() => rejectFn(options.onTimeout ? options.onTimeout() : new Error('timeout'))), options.timeoutMs);
  }
  return p;
}
