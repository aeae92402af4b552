// A Room's plumbing for the layers beside it and for their tests, kept off the Room's public type:
// the key is not exported from the package entry, and the member is marked internal, so
// stripInternal leaves it out of the published declarations.

import type { DataTrackController } from '../datatrack/controller';
import type { DataTrackHost, DataTrackHostListener } from '../datatrack/host';

export const ROOM_INTERNALS = Symbol('livekit-datatrack-node.roomInternals');

export interface RoomInternals {
  /** What the data-track layer calls on the Room. */
  readonly host: DataTrackHost;
  /** The Room's data-track controller, which the participants' data-track members delegate to. */
  readonly dataTracks: DataTrackController;
  /**
   * Sends the Room's data-track facts to `listener` instead of the controller (tests of the
   * host seam). Before connect() only.
   */
  replaceDataTrackListener(listener: DataTrackHostListener): void;
}
