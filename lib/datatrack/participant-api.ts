// The data-track methods of LocalParticipant and RemoteParticipant. They live here, with the
// layer that implements them, and reach the participant classes through declaration merging.
// A participant finds its room's controller through registerRoomController (no participant
// object needs to know its room).

import { LocalParticipant } from '../room/local-participant';
import { RemoteParticipant } from '../room/remote-participant';
import type { DataTrackController } from './controller';
import { DataTrackPublishError, DataTrackSchemaStoreError, DataTrackSubscribeError } from './errors';
import type { LocalDataTrack } from './local-track';
import type { RemoteDataTrack } from './remote-track';
import type { DataTrackSchemaId } from './schema';
import type { DataTrackPublishOptions } from './types';

declare module '../room/local-participant' {
  interface LocalParticipant {
    /**
     * Publishes a data track; resolves once the SFU has accepted it. Rejects with
     * DataTrackPublishError (reason: notAllowed, duplicateName, invalidName, invalidSchema,
     * timeout, limitReached, disconnected, cancelled, internal).
     * With room E2EE (`new Room({ encryption })`) the track is encrypted; that is decided here,
     * at publish time.
     */
    publishDataTrack(options: string | DataTrackPublishOptions): Promise<LocalDataTrack>;
    /** This participant's published data tracks by name (a live map). */
    readonly dataTracks: ReadonlyMap<string, LocalDataTrack>;
    /** Stores a schema definition in the SFU for subscribers to fetch (needs the SFU's data-blob store). */
    defineSchema(id: DataTrackSchemaId, definition: string | Uint8Array, options?: { signal?: AbortSignal }): Promise<void>;
    /** Fetches the definition `identity` stored for `id`. */
    getSchema(id: DataTrackSchemaId, identity: string, options?: { signal?: AbortSignal }): Promise<string>;
  }
}

declare module '../room/remote-participant' {
  interface RemoteParticipant {
    /** The participant's published data tracks by name (a live map; same objects as the events). */
    readonly dataTracks: ReadonlyMap<string, RemoteDataTrack>;
    /** Resolves with the track named `name` as soon as it is published (at once if it is). */
    waitForDataTrack(name: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<RemoteDataTrack>;
  }
}

/** Anything that can tell which participant objects are its own. */
interface ParticipantOwner {
  readonly localParticipant: LocalParticipant;
  readonly remoteParticipants: ReadonlyMap<string, RemoteParticipant>;
}

const controllers = new WeakMap<LocalParticipant | RemoteParticipant, DataTrackController>();
/** Rooms with a data-track layer. Weak: a Room (and its controller) must stay collectable. */
const rooms = new Set<WeakRef<DataTrackController>>();
const ownerOf = new WeakMap<DataTrackController, ParticipantOwner>();
// Before the room has a controller there is nothing to show (never written to).
const EMPTY = new Map<string, never>() as ReadonlyMap<string, never>;

/** Links a participant object to the data-track controller of its room (optional: found lazily). */
function bindParticipant(participant: LocalParticipant | RemoteParticipant, controller: DataTrackController): void {
  controllers.set(participant, controller);
}

/** Makes the participants of `room` find `controller`, including ones created later. */
export function registerRoomController(room: ParticipantOwner, controller: DataTrackController): void {
  ownerOf.set(controller, room);
  rooms.add(new WeakRef(controller));
  bindParticipant(room.localParticipant, controller);
}

function controllerOf(p: LocalParticipant | RemoteParticipant): DataTrackController | undefined {
  const bound = controllers.get(p);
  if (bound) return bound;
  // A participant object the registry created: find the room whose list holds this very object.
  for (const ref of rooms) {
    const c = ref.deref();
    if (!c) {
      rooms.delete(ref);
      continue;
    }
    const owner = ownerOf.get(c);
    if (owner && owner.remoteParticipants.get(p.identity) === p) {
      controllers.set(p, c);
      return c;
    }
  }
  return undefined;
}

Object.defineProperties(LocalParticipant.prototype, {
  publishDataTrack: {
    configurable: true,
    writable: true,
    value(this: LocalParticipant, options: string | DataTrackPublishOptions): Promise<LocalDataTrack> {
      const c = controllerOf(this);
      if (!c) return Promise.reject(new DataTrackPublishError('disconnected', 'the room is not connected'));
      return c.publishDataTrack(options);
    },
  },
  dataTracks: {
    configurable: true,
    get(this: LocalParticipant): ReadonlyMap<string, LocalDataTrack> {
      return controllerOf(this)?.localDataTracks ?? EMPTY;
    },
  },
  defineSchema: {
    configurable: true,
    writable: true,
    value(this: LocalParticipant, id: DataTrackSchemaId, definition: string | Uint8Array, options?: { signal?: AbortSignal }) {
      const c = controllerOf(this);
      if (!c) return Promise.reject(new DataTrackSchemaStoreError('disconnected', 'the room is not connected'));
      return c.defineSchema(id, definition, options);
    },
  },
  getSchema: {
    configurable: true,
    writable: true,
    value(this: LocalParticipant, id: DataTrackSchemaId, identity: string, options?: { signal?: AbortSignal }) {
      const c = controllerOf(this);
      if (!c) return Promise.reject(new DataTrackSchemaStoreError('disconnected', 'the room is not connected'));
      return c.getSchema(id, identity, options);
    },
  },
});

Object.defineProperties(RemoteParticipant.prototype, {
  dataTracks: {
    configurable: true,
    get(this: RemoteParticipant): ReadonlyMap<string, RemoteDataTrack> {
      return controllerOf(this)?.remoteDataTracks(this.identity) ?? EMPTY;
    },
  },
  waitForDataTrack: {
    configurable: true,
    writable: true,
    value(this: RemoteParticipant, name: string, options?: { signal?: AbortSignal; timeoutMs?: number }) {
      const c = controllerOf(this);
      if (!c) return Promise.reject(new DataTrackSubscribeError('disconnected', 'the room is not connected'));
      return c.waitForDataTrack(this.identity, name, options);
    },
  },
});
