// Typed-track metadata: which schema describes a track's frames and how frames are encoded.
// Validation follows the Rust SDK's rules so that a publish rejected there is rejected here too,
// before anything reaches the SFU.

import {
  DataTrackFrameEncoding as ProtoFrameEncoding,
  DataTrackFrameEncoding_WellKnownFrameEncoding as WellKnownFrame,
  DataTrackSchemaEncoding as ProtoSchemaEncoding,
  DataTrackSchemaEncoding_WellKnownSchemaEncoding as WellKnownSchema,
  DataTrackSchemaId as ProtoSchemaId,
} from '../protocol';
import { LiveKitError } from '../errors';

export type DataTrackSchemaEncoding =
  | 'protobuf'
  | 'flatbuffer'
  | 'ros1msg'
  | 'ros2msg'
  | 'ros2idl'
  | 'omgidl'
  | 'jsonschema'
  | 'other'
  | { custom: string };

export type DataTrackFrameEncoding =
  | 'ros1'
  | 'cdr'
  | 'protobuf'
  | 'flatbuffer'
  | 'cbor'
  | 'msgpack'
  | 'json'
  | 'other'
  | { custom: string };

/** A compound id: two ids are the same schema only if name and encoding both match. */
export interface DataTrackSchemaId {
  name: string;
  encoding: DataTrackSchemaEncoding;
}

export type DataTrackSchemaErrorReason = 'missingFrameEncoding' | 'missingSchemaId' | 'incompatible' | 'invalidEncoding';

export class DataTrackSchemaError extends LiveKitError<DataTrackSchemaErrorReason> {}

const SCHEMA_ENCODINGS: Record<Exclude<DataTrackSchemaEncoding, { custom: string }>, WellKnownSchema> = {
  protobuf: WellKnownSchema.PROTOBUF,
  flatbuffer: WellKnownSchema.FLATBUFFER,
  ros1msg: WellKnownSchema.ROS1_MSG,
  ros2msg: WellKnownSchema.ROS2_MSG,
  ros2idl: WellKnownSchema.ROS2_IDL,
  omgidl: WellKnownSchema.OMG_IDL,
  jsonschema: WellKnownSchema.JSON_SCHEMA,
  other: WellKnownSchema.UNSPECIFIED,
};

const FRAME_ENCODINGS: Record<Exclude<DataTrackFrameEncoding, { custom: string }>, WellKnownFrame> = {
  ros1: WellKnownFrame.ROS1,
  cdr: WellKnownFrame.CDR,
  protobuf: WellKnownFrame.PROTOBUF,
  flatbuffer: WellKnownFrame.FLATBUFFER,
  cbor: WellKnownFrame.CBOR,
  msgpack: WellKnownFrame.MSGPACK,
  json: WellKnownFrame.JSON,
  other: WellKnownFrame.UNSPECIFIED,
};

/** Which schema encodings can describe each frame encoding that is not self-describing or opaque. */
const DESCRIBED_BY: Partial<Record<string, readonly string[]>> = {
  ros1: ['ros1msg'],
  cdr: ['ros2msg', 'ros2idl', 'omgidl'],
  protobuf: ['protobuf'],
  flatbuffer: ['flatbuffer'],
  json: ['jsonschema'],
};

const SELF_DESCRIBING = new Set(['cbor', 'msgpack', 'json']);

function isCustom(e: unknown): e is { custom: string } {
  return typeof e === 'object' && e !== null && typeof (e as { custom?: unknown }).custom === 'string';
}

function checkEncodingValue(e: unknown, table: Record<string, unknown>, what: string): void {
  if (isCustom(e)) {
    if (e.custom.length === 0) throw new DataTrackSchemaError('invalidEncoding', `custom ${what} must not be empty`);
    return;
  }
  if (typeof e !== 'string' || !(e in table)) {
    throw new DataTrackSchemaError('invalidEncoding', `unknown ${what}: ${JSON.stringify(e)}`);
  }
}

/**
 * Throws DataTrackSchemaError when the pair cannot be published:
 * a schema without a frame encoding, a frame encoding that needs a schema but has none, or a
 * schema encoding that cannot describe the frame encoding. Opaque encodings ('other', custom)
 * are never judged: the SDK cannot know what they mean.
 */
export function validateSchema(frameEncoding?: DataTrackFrameEncoding, schema?: DataTrackSchemaId): void {
  if (frameEncoding !== undefined) checkEncodingValue(frameEncoding, FRAME_ENCODINGS, 'frame encoding');
  if (schema !== undefined) {
    if (typeof schema !== 'object' || schema === null || typeof schema.name !== 'string') {
      throw new DataTrackSchemaError('invalidEncoding', 'schema must be { name, encoding }');
    }
    checkEncodingValue(schema.encoding, SCHEMA_ENCODINGS, 'schema encoding');
  }

  if (frameEncoding === undefined) {
    if (schema !== undefined) {
      throw new DataTrackSchemaError('missingFrameEncoding', 'a schema was given without a frame encoding');
    }
    return;
  }
  if (isCustom(frameEncoding) || frameEncoding === 'other') return;

  if (schema === undefined) {
    if (!SELF_DESCRIBING.has(frameEncoding)) {
      throw new DataTrackSchemaError(
        'missingSchemaId',
        `frame encoding '${frameEncoding}' is not self-describing and needs a schema`,
      );
    }
    return;
  }
  const encoding = isCustom(schema.encoding) ? null : schema.encoding;
  if (encoding === null || !(DESCRIBED_BY[frameEncoding] ?? []).includes(encoding)) {
    throw new DataTrackSchemaError(
      'incompatible',
      `schema encoding ${JSON.stringify(schema.encoding)} cannot describe '${frameEncoding}' frames`,
    );
  }
}

export function schemaEncodingToProto(e: DataTrackSchemaEncoding): ProtoSchemaEncoding {
  if (isCustom(e)) return new ProtoSchemaEncoding({ value: { case: 'custom', value: e.custom } });
  return new ProtoSchemaEncoding({ value: { case: 'wellKnown', value: SCHEMA_ENCODINGS[e] } });
}

export function frameEncodingToProto(e: DataTrackFrameEncoding): ProtoFrameEncoding {
  if (isCustom(e)) return new ProtoFrameEncoding({ value: { case: 'custom', value: e.custom } });
  return new ProtoFrameEncoding({ value: { case: 'wellKnown', value: FRAME_ENCODINGS[e] } });
}

export function schemaIdToProto(id: DataTrackSchemaId): ProtoSchemaId {
  return new ProtoSchemaId({ name: id.name, encoding: schemaEncodingToProto(id.encoding) });
}

function reverse<K extends string, V extends number>(table: Record<K, V>): Map<number, K> {
  return new Map(Object.entries(table).map(([k, v]) => [v as number, k as K]));
}
const SCHEMA_BY_NUMBER = reverse(SCHEMA_ENCODINGS);
const FRAME_BY_NUMBER = reverse(FRAME_ENCODINGS);

export function schemaEncodingFromProto(p: ProtoSchemaEncoding | undefined): DataTrackSchemaEncoding {
  const v = p?.value;
  if (v?.case === 'custom') return { custom: v.value };
  if (v?.case === 'wellKnown') return SCHEMA_BY_NUMBER.get(v.value) ?? 'other';
  return 'other';
}

export function frameEncodingFromProto(p: ProtoFrameEncoding | undefined): DataTrackFrameEncoding | undefined {
  const v = p?.value;
  if (v === undefined) return undefined;
  if (v.case === 'custom') return { custom: v.value };
  if (v.case === 'wellKnown') return FRAME_BY_NUMBER.get(v.value) ?? 'other';
  return undefined;
}

export function schemaIdFromProto(p: ProtoSchemaId | undefined): DataTrackSchemaId | undefined {
  if (!p) return undefined;
  return { name: p.name, encoding: schemaEncodingFromProto(p.encoding) };
}

export function encodingEquals(
  a: DataTrackSchemaEncoding | DataTrackFrameEncoding | undefined,
  b: DataTrackSchemaEncoding | DataTrackFrameEncoding | undefined,
): boolean {
  if (isCustom(a) && isCustom(b)) return a.custom === b.custom;
  return a === b;
}
