// The one place where data-track protobuf messages meet the native state machines: signal
// messages in → Publisher/Subscriber inputs, their requests out → signal messages, and the
// public schema/frame-encoding types ↔ the plain codes the core echoes.

import {
  DataTrackFrameEncoding as ProtoFrameEncoding,
  DataTrackInfo as ProtoDataTrackInfo,
  DataTrackSchemaEncoding as ProtoSchemaEncoding,
  DataTrackSchemaId as ProtoSchemaId,
  type DataTrackSubscriberHandles,
  Encryption_Type,
  PublishDataTrackRequest,
  PublishDataTrackResponse,
  UnpublishDataTrackRequest,
  UpdateDataSubscription,
  UpdateDataSubscription_Update,
} from '../protocol';
import type {
  NativeEncoding,
  NativePublishedTrack,
  NativePublishRequest,
  NativeRemoteTrackInfo,
  NativeTrackMetadata,
} from '../native/binding';
import type { SignalMessage } from './host';
import {
  type DataTrackFrameEncoding,
  type DataTrackSchemaId,
  frameEncodingFromProto,
  frameEncodingToProto,
  schemaIdFromProto,
  schemaIdToProto,
} from './schema';

/** The typed-track part of DataTrackInfo, in the public API's terms. */
export interface TrackMetadataInfo {
  schema?: DataTrackSchemaId;
  frameEncoding?: DataTrackFrameEncoding;
}

// ---- metadata ----

function encodingFromProto(p: ProtoFrameEncoding | ProtoSchemaEncoding | undefined): NativeEncoding | null {
  const v = p?.value;
  if (v?.case === 'custom') return { wellKnown: null, custom: v.value };
  if (v?.case === 'wellKnown') return { wellKnown: v.value, custom: null };
  return null;
}

function frameEncodingOf(e: NativeEncoding | null | undefined): ProtoFrameEncoding | undefined {
  if (!e) return undefined;
  return e.custom != null
    ? new ProtoFrameEncoding({ value: { case: 'custom', value: e.custom } })
    : new ProtoFrameEncoding({ value: { case: 'wellKnown', value: e.wellKnown ?? 0 } });
}

function schemaIdOf(s: NativeTrackMetadata['schema']): ProtoSchemaId | undefined {
  if (!s) return undefined;
  const e = s.encoding;
  const encoding =
    e.custom != null
      ? new ProtoSchemaEncoding({ value: { case: 'custom', value: e.custom } })
      : new ProtoSchemaEncoding({ value: { case: 'wellKnown', value: e.wellKnown ?? 0 } });
  return new ProtoSchemaId({ name: s.name, encoding });
}

function metadataOfProto(frameEncoding: ProtoFrameEncoding | undefined, schema: ProtoSchemaId | undefined): NativeTrackMetadata {
  return {
    frameEncoding: encodingFromProto(frameEncoding),
    schema: schema ? { name: schema.name, encoding: encodingFromProto(schema.encoding) ?? { wellKnown: 0, custom: null } } : null,
  };
}

/** Publish options (already validated) → what the core carries. */
export function metadataToNative(frameEncoding?: DataTrackFrameEncoding, schema?: DataTrackSchemaId): NativeTrackMetadata {
  return metadataOfProto(
    frameEncoding !== undefined ? frameEncodingToProto(frameEncoding) : undefined,
    schema !== undefined ? schemaIdToProto(schema) : undefined,
  );
}

/** What the core carries → the public DataTrackInfo fields (absent when not stated). */
export function metadataFromNative(m: NativeTrackMetadata): TrackMetadataInfo {
  const schema = schemaIdFromProto(schemaIdOf(m.schema));
  const frameEncoding = frameEncodingFromProto(frameEncodingOf(m.frameEncoding));
  return { ...(schema ? { schema } : {}), ...(frameEncoding !== undefined ? { frameEncoding } : {}) };
}

/** The metadata a publish answer states (it wins over what was asked). */
export function metadataFromProto(info: ProtoDataTrackInfo): NativeTrackMetadata {
  return metadataOfProto(info.frameEncoding, info.schema);
}

// ---- publisher side ----

function encryptionOf(usesE2ee: boolean): Encryption_Type {
  return usesE2ee ? Encryption_Type.GCM : Encryption_Type.NONE;
}

export function publishRequest(r: NativePublishRequest): SignalMessage {
  const value = new PublishDataTrackRequest({
    pubHandle: r.handle,
    name: r.name,
    encryption: encryptionOf(r.usesE2ee),
    frameEncoding: frameEncodingOf(r.metadata.frameEncoding),
    schema: schemaIdOf(r.metadata.schema),
  });
  return { case: 'publishDataTrackRequest', value };
}

export function unpublishRequest(handle: number): SignalMessage {
  return { case: 'unpublishDataTrackRequest', value: new UnpublishDataTrackRequest({ pubHandle: handle }) };
}

/** One entry of SyncState.publish_data_tracks. */
export function syncStateTrack(t: NativePublishedTrack): PublishDataTrackResponse {
  return new PublishDataTrackResponse({
    info: new ProtoDataTrackInfo({
      pubHandle: t.handle,
      sid: t.sid,
      name: t.name,
      encryption: encryptionOf(t.usesE2ee),
      frameEncoding: frameEncodingOf(t.metadata.frameEncoding),
      schema: schemaIdOf(t.metadata.schema),
    }),
  });
}

// ---- subscriber side ----

export function remoteTrackInfo(t: ProtoDataTrackInfo): NativeRemoteTrackInfo {
  return {
    sid: t.sid,
    // Out-of-range values stay out of range (the core skips the entry), never wrap into range.
    pubHandle: Number.isInteger(t.pubHandle) && t.pubHandle >= 0 && t.pubHandle <= 0xffffffff ? t.pubHandle : 0,
    name: t.name,
    encryption: t.encryption,
    metadata: metadataFromProto(t),
  };
}

export function subscriberHandles(msg: DataTrackSubscriberHandles): Array<[number, string]> {
  const entries: Array<[number, string]> = [];
  for (const [key, value] of Object.entries(msg.subHandles)) {
    const handle = Number(key);
    if (Number.isInteger(handle) && handle > 0 && handle <= 0xffffffff && value?.trackSid) entries.push([handle, value.trackSid]);
  }
  return entries;
}

export function updateSubscription(sid: string, subscribe: boolean): SignalMessage {
  const value = new UpdateDataSubscription({ updates: [new UpdateDataSubscription_Update({ trackSid: sid, subscribe })] });
  return { case: 'updateDataSubscription', value };
}
