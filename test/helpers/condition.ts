// Waiting on state that a test object changes as events arrive: each change calls wake(), and every
// pending until() checks again. Bounded, never polled.

export class Condition {
  private waiters: Array<() => void> = [];

  /** Something changed: every pending until() checks again. */
  wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /**
   * Resolves with the first value of `check()` that is neither undefined nor false, re-checked on
   * every wake(); rejects after `timeoutMs`. Once settled it never calls `check` again (a check may
   * consume what it finds).
   */
  until<T>(check: () => T | undefined | false, what: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const attempt = () => {
        if (settled) return;
        const v = check();
        if (v === undefined || v === false) {
          this.waiters.push(attempt);
          return;
        }
        settled = true;
        clearTimeout(timer);
        resolve(v);
      };
      attempt();
    });
  }
}
