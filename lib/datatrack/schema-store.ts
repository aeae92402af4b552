// Schema definitions live in the SFU's per-participant data-blob store, keyed by schema id.
// Success comes back as Store/GetDataBlobResponse, failure as a RequestResponse; both carry the
// request id we chose.

import {
  DataBlob,
  DataBlobKey,
  GetDataBlobRequest,
  type GetDataBlobResponse,
  type RequestResponse,
  RequestResponse_Reason,
  StoreDataBlobRequest,
  type StoreDataBlobResponse,
} from '../protocol';
import { DataTrackSchemaStoreError, type DataTrackSchemaStoreErrorReason } from './errors';
import type { DataTrackHost } from './host';
import { type Pending, pending } from './pending';
import { type DataTrackSchemaId, schemaIdToProto, validateSchema } from './schema';

/**
 * Request ids come from their own range so they cannot collide with the ids the Room uses for
 * its own requests (which count up from 1).
 */
export const SCHEMA_REQUEST_ID_BASE = 0x4000_0000;

export class SchemaStore {
  private nextId = SCHEMA_REQUEST_ID_BASE;
  private readonly waits = new Map<number, Pending<Uint8Array | null>>();

  constructor(
    private readonly host: DataTrackHost,
    private readonly timeoutMs: number,
  ) {}

  /** True if the id belongs to this store (the Room can route RequestResponses with it). */
  static owns(requestId: number): boolean {
    return requestId >= SCHEMA_REQUEST_ID_BASE;
  }

  async define(id: DataTrackSchemaId, definition: string | Uint8Array, options: { signal?: AbortSignal } = {}): Promise<void> {
    this.check(id);
    const contents = typeof definition === 'string' ? new TextEncoder().encode(definition) : definition;
    const requestId = this.allocate();
    const wait = this.track(requestId, 'defining', id, options.signal);
    this.host.sendSignal({
      case: 'storeDataBlobRequest',
      value: new StoreDataBlobRequest({
        requestId,
        blob: new DataBlob({ key: new DataBlobKey({ key: { case: 'schemaId', value: schemaIdToProto(id) } }), contents }),
      }),
    });
    await wait;
  }

  async get(id: DataTrackSchemaId, identity: string, options: { signal?: AbortSignal } = {}): Promise<string> {
    this.check(id);
    const requestId = this.allocate();
    const wait = this.track(requestId, 'fetching', id, options.signal);
    this.host.sendSignal({
      case: 'getDataBlobRequest',
      value: new GetDataBlobRequest({
        requestId,
        participantIdentity: identity,
        key: new DataBlobKey({ key: { case: 'schemaId', value: schemaIdToProto(id) } }),
      }),
    });
    const bytes = await wait;
    if (bytes === null) throw new DataTrackSchemaStoreError('internal', 'the SFU answered without a blob');
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (err) {
      throw new DataTrackSchemaStoreError('internal', 'the schema definition is not valid UTF-8', { cause: err });
    }
  }

  onStoreResponse(msg: StoreDataBlobResponse): void {
    this.waits.get(msg.requestId)?.resolve(null);
  }

  onGetResponse(msg: GetDataBlobResponse): void {
    this.waits.get(msg.requestId)?.resolve(msg.blob?.contents ?? null);
  }

  /** Returns true if the RequestResponse answered one of our requests. */
  onRequestResponse(rr: RequestResponse): boolean {
    const wait = this.waits.get(rr.requestId);
    if (!wait) return false;
    if (rr.reason === RequestResponse_Reason.OK) {
      wait.resolve(null);
      return true;
    }
    const R = RequestResponse_Reason;
    const map: Partial<Record<RequestResponse_Reason, DataTrackSchemaStoreErrorReason>> = {
      [R.NOT_ALLOWED]: 'notAllowed',
      [R.NOT_FOUND]: 'notFound',
      [R.LIMIT_EXCEEDED]: 'limitExceeded',
      [R.INVALID_REQUEST]: 'invalidRequest',
    };
    const label = R[rr.reason] ?? String(rr.reason);
    wait.reject(
      new DataTrackSchemaStoreError(map[rr.reason] ?? 'internal', `the SFU refused: ${label}${rr.message ? ` (${rr.message})` : ''}`, {
        rawMessage: rr.message,
      }),
    );
    return true;
  }

  onDisconnected(): void {
    for (const w of [...this.waits.values()]) w.reject(new DataTrackSchemaStoreError('disconnected', 'the room disconnected'));
  }

  private check(id: DataTrackSchemaId): void {
    if (!id || typeof id.name !== 'string' || id.name.length === 0) {
      throw new DataTrackSchemaStoreError('invalidRequest', 'a schema id needs a name');
    }
    try {
      // Reuse the encoding checks: any known frame encoding paired with an opaque one passes.
      validateSchema('other', id);
    } catch (err) {
      throw new DataTrackSchemaStoreError('invalidRequest', (err as Error).message, { cause: err });
    }
    if (!this.host.isConnected()) throw new DataTrackSchemaStoreError('disconnected', 'the room is not connected');
  }

  private allocate(): number {
    const id = this.nextId;
    this.nextId = this.nextId >= 0xffff_fffe ? SCHEMA_REQUEST_ID_BASE : this.nextId + 1;
    return id;
  }

  private track(requestId: number, verb: string, id: DataTrackSchemaId, signal?: AbortSignal): Promise<Uint8Array | null> {
    const w = pending<Uint8Array | null>({
      timeoutMs: this.timeoutMs,
      onTimeout: () =>
        new DataTrackSchemaStoreError(
          'timeout',
          `${verb} schema '${id.name}' got no answer within ${this.timeoutMs} ms (is the SFU's data-blob store enabled?)`,
        ),
      signal,
      onAbort: () => new DataTrackSchemaStoreError('cancelled', `${verb} schema '${id.name}' was cancelled`),
      onSettle: () => this.waits.delete(requestId),
    });
    this.waits.set(requestId, w);
    return w.promise;
  }
}
