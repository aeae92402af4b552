// What changed in a room during one turn of the event loop (or one burst of requests, see
// request-queue.ts), sent once when it is handled: every participant whose info changed, then every
// subscriber whose handle map changed.
// A client writing N publish requests at once costs one update listing N tracks, not N updates
// listing 1..N tracks each (quadratic bytes and CPU that froze every room of the process).

import type { Participant } from './participant';

export interface UpdateBatchSink {
  /** Infos in the order they first changed this turn; handle maps after them. */
  flush(infosChanged: Participant[], handlesChanged: Participant[]): void;
  /** True while a member still has requests queued (a burst being handled in slices). */
  busy(): boolean;
}

/**
 * While a burst of requests is being handled in slices, changes wait for its end, up to this long:
 * a long burst still shows progress, without an update per slice.
 */
const MAX_DEFER_MS = 100;

export class UpdateBatch {
  private readonly infos = new Set<Participant>();
  private readonly handles = new Set<Participant>();
  private scheduled: NodeJS.Immediate | null = null;
  /** When the oldest unsent change was made. */
  private pendingSince: number | null = null;

  constructor(private readonly sink: UpdateBatchSink) {}

  infoChanged(p: Participant): void {
    this.infos.add(p);
    this.schedule();
  }

  handlesChanged(p: Participant): void {
    this.handles.add(p);
    this.schedule();
  }

  private flushNow(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    this.pendingSince = null;
    if (this.infos.size === 0 && this.handles.size === 0) return;
    const infos = [...this.infos];
    const handles = [...this.handles];
    this.infos.clear();
    this.handles.clear();
    this.sink.flush(infos, handles);
  }

  private schedule(): void {
    this.pendingSince ??= performance.now();
    // setImmediate, not a microtask: every request already read from the sockets in this turn of
    // the loop lands in the same batch.
    this.scheduled ??= setImmediate(() => this.turnEnded());
  }

  private turnEnded(): void {
    this.scheduled = null;
    if (this.sink.busy() && performance.now() - (this.pendingSince ?? 0) < MAX_DEFER_MS) {
      this.scheduled = setImmediate(() => this.turnEnded());
      return;
    }
    this.flushNow();
  }
}
