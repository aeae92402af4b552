/**
 * node-datachannel calls back from a thread-safe function: an exception escaping a callback
 * aborts the whole process. Every callback we hand it goes through here.
 */
export function guarded<A extends unknown[]>(what: string, fn: (...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    try {
      fn(...args);
    } catch (err) {
      reportCallbackError(what, err);
    }
  };
}

export function reportCallbackError(what: string, err: unknown): void {
  process.emitWarning(`livekit: ${what} threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
}
