// A bound on data-track requests in flight on one signal connection (publishes, subscribes).
// livekit-server (v1.13.5) silently never handles the tail of a burst of a few hundred signal
// requests from one participant (of 258 publishes written at once, the last 3 got no answer), so
// requests beyond the window wait here and go out as answers come back.

export const MAX_REQUESTS_IN_FLIGHT = 64;

export class RequestWindow<K> {
  private readonly inFlight = new Set<K>();
  private readonly waiting = new Map<K, () => void>();

  constructor(private readonly limit = MAX_REQUESTS_IN_FLIGHT) {}

  /** Sends now if the window has room, else when it has; a key already submitted is resent. */
  submit(key: K, send: () => void): void {
    this.waiting.delete(key);
    this.inFlight.delete(key);
    if (this.inFlight.size < this.limit) {
      this.inFlight.add(key);
      send();
    } else {
      this.waiting.set(key, send);
    }
  }

  /** The request was answered, failed or was given up: its slot goes to the next one waiting. */
  settle(key: K): void {
    this.waiting.delete(key);
    if (!this.inFlight.delete(key)) return;
    for (const [next, send] of this.waiting) {
      if (this.inFlight.size >= this.limit) break;
      this.waiting.delete(next);
      this.inFlight.add(next);
      send();
    }
  }

  /** The connection is gone: nothing is in flight on it any more, and nothing waits to be sent. */
  clear(): void {
    this.inFlight.clear();
    this.waiting.clear();
  }

  get size(): { inFlight: number; waiting: number } {
    return { inFlight: this.inFlight.size, waiting: this.waiting.size };
  }
}
