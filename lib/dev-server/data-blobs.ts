// Per-participant data blobs (schemas for typed data tracks). Enabled here, unlike the server's
// default, so `define_schema`/`get_schema` can be exercised locally.

import {
  DataBlob,
  DataBlobKey,
  GetDataBlobResponse,
  RequestResponse,
  RequestResponse_Reason,
  StoreDataBlobResponse,
  type GetDataBlobRequest,
  type StoreDataBlobRequest,
} from '../protocol';
import type { SignalMessage } from './signal';

/** Total content bytes one participant may keep. */
export const MAX_BLOB_BYTES_PER_PARTICIPANT = 64_000;
const MAX_KEY_LENGTH = 256;

function keyId(key: DataBlobKey): string {
  return key.toJsonString();
}

function keyLength(key: DataBlobKey): number {
  if (key.key.case === 'generic') return key.key.value.length;
  if (key.key.case === 'schemaId') return key.key.value.name.length;
  return 0;
}

function error(requestId: number, reason: RequestResponse_Reason, message: string): SignalMessage {
  return { case: 'requestResponse', value: new RequestResponse({ requestId, reason, message }) };
}

export class DataBlobStore {
  private readonly blobs = new Map<string, DataBlob>();

  store(req: StoreDataBlobRequest): SignalMessage {
    const key = req.blob?.key;
    if (!req.blob || !key || key.key.case === undefined || keyLength(key) === 0 || keyLength(key) > MAX_KEY_LENGTH) {
      return error(req.requestId, RequestResponse_Reason.INVALID_REQUEST, 'data blob is invalid');
    }
    if (req.blob.contents.length === 0) {
      return error(req.requestId, RequestResponse_Reason.INVALID_REQUEST, 'data blob is empty');
    }
    const id = keyId(key);
    let total = req.blob.contents.length;
    for (const [other, blob] of this.blobs) if (other !== id) total += blob.contents.length;
    if (total > MAX_BLOB_BYTES_PER_PARTICIPANT) {
      return error(req.requestId, RequestResponse_Reason.LIMIT_EXCEEDED, 'data blobs exceed the per-participant limit');
    }
    this.blobs.set(id, new DataBlob({ key: key.clone(), contents: new Uint8Array(req.blob.contents) }));
    return { case: 'storeDataBlobResponse', value: new StoreDataBlobResponse({ requestId: req.requestId, key: key.clone() }) };
  }

  get(key: DataBlobKey): DataBlob | undefined {
    return this.blobs.get(keyId(key));
  }
}

/** Answers a get request against the store of the participant it names (undefined: not in the room). */
export function answerGetBlob(req: GetDataBlobRequest, owner: DataBlobStore | undefined): SignalMessage {
  if (!req.key) return error(req.requestId, RequestResponse_Reason.INVALID_REQUEST, 'data blob key is required');
  if (!owner) return error(req.requestId, RequestResponse_Reason.NOT_FOUND, 'participant not found');
  const blob = owner.get(req.key);
  if (!blob) return error(req.requestId, RequestResponse_Reason.NOT_FOUND, 'data blob not found');
  return { case: 'getDataBlobResponse', value: new GetDataBlobResponse({ requestId: req.requestId, blob: blob.clone() }) };
}
