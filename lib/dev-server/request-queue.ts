// One signal connection's requests, handled in slices of the event loop: a client that writes
// thousands of requests at once gets SLICE_MS of a turn, then every other connection's turn comes
// before its next slice (livekit-server gives each participant its own goroutine for the same
// effect). The first requests of a turn are handled right away, so a lone request waits for nothing.

const SLICE_MS = 5;
/** Past this many queued requests the socket stops being read until the queue drains. */
const MAX_QUEUED = 4096;

export class RequestQueue<T> {
  private items: Array<T | undefined> = [];
  private head = 0;
  /** Handling time spent in the current turn of the loop. */
  private spentMs = 0;
  private turnEnd: NodeJS.Immediate | null = null;
  private nextSlice: NodeJS.Immediate | null = null;
  private backlogged = false;

  constructor(
    private readonly handle: (item: T) => void,
    /** true: stop reading the socket; false: read again. */
    private readonly onBacklog: (backlogged: boolean) => void,
  ) {}

  get pending(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.pending === 0 && this.spentMs < SLICE_MS) return this.run(item);
    this.items.push(item);
    if (!this.backlogged && this.pending >= MAX_QUEUED) {
      this.backlogged = true;
      this.onBacklog(true);
    }
    this.nextSlice ??= setImmediate(() => this.slice());
  }

  /** Handles everything still queued, now (the socket closed: what it sent before still counts). */
  flush(): void {
    this.clearSlice();
    while (this.pending > 0) this.run(this.take());
    this.reset();
  }

  /** Forgets what is queued (the connection was closed by the server). */
  clear(): void {
    this.clearSlice();
    this.reset();
  }

  private slice(): void {
    this.nextSlice = null;
    this.spentMs = 0;
    while (this.pending > 0 && this.spentMs < SLICE_MS) this.run(this.take());
    if (this.pending > 0) this.nextSlice = setImmediate(() => this.slice());
    else this.reset();
  }

  private run(item: T): void {
    const t0 = performance.now();
    try {
      this.handle(item);
    } finally {
      this.spentMs += performance.now() - t0;
      this.turnEnd ??= setImmediate(() => {
        this.turnEnd = null;
        this.spentMs = 0;
      });
    }
  }

  private take(): T {
    const item = this.items[this.head] as T;
    this.items[this.head++] = undefined;
    return item;
  }

  private reset(): void {
    this.items = [];
    this.head = 0;
    if (this.backlogged) {
      this.backlogged = false;
      this.onBacklog(false);
    }
  }

  private clearSlice(): void {
    if (this.nextSlice) clearImmediate(this.nextSlice);
    this.nextSlice = null;
  }
}
