import {
  DataTrackSchemaError,
  frameEncodingFromProto,
  frameEncodingToProto,
  schemaIdFromProto,
  schemaIdToProto,
  validateSchema,
  type DataTrackFrameEncoding,
  type DataTrackSchemaEncoding,
} from '../../lib/datatrack/schema';

function reasonOf(fn: () => void): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(DataTrackSchemaError);
    return (e as DataTrackSchemaError).reason;
  }
}

describe('validateSchema (rules of the Rust SDK)', () => {
  test('nothing specified is fine', () => expect(reasonOf(() => validateSchema())).toBeUndefined());

  test.each(['cbor', 'msgpack', 'json'] as const)('%s is self-describing', (e) =>
    expect(reasonOf(() => validateSchema(e))).toBeUndefined(),
  );

  test.each(['ros1', 'cdr', 'protobuf', 'flatbuffer'] as const)('%s without a schema → missingSchemaId', (e) =>
    expect(reasonOf(() => validateSchema(e))).toBe('missingSchemaId'),
  );

  test('a schema without a frame encoding → missingFrameEncoding', () =>
    expect(reasonOf(() => validateSchema(undefined, { name: 'x', encoding: 'protobuf' }))).toBe('missingFrameEncoding'));

  const compatible: Array<[DataTrackFrameEncoding, DataTrackSchemaEncoding]> = [
    ['ros1', 'ros1msg'],
    ['cdr', 'ros2msg'],
    ['cdr', 'ros2idl'],
    ['cdr', 'omgidl'],
    ['protobuf', 'protobuf'],
    ['flatbuffer', 'flatbuffer'],
    ['json', 'jsonschema'],
    ['other', 'protobuf'],
    [{ custom: 'mine' }, { custom: 'theirs' }],
    [{ custom: 'mine' }, 'jsonschema'],
  ];
  test.each(compatible)('%j described by %j is fine', (f, s) =>
    expect(reasonOf(() => validateSchema(f, { name: 'n', encoding: s }))).toBeUndefined(),
  );

  const incompatible: Array<[DataTrackFrameEncoding, DataTrackSchemaEncoding]> = [
    ['json', 'protobuf'],
    ['protobuf', 'jsonschema'],
    ['cdr', 'ros1msg'],
    ['ros1', 'ros2msg'],
    ['cbor', 'jsonschema'],
    ['protobuf', 'other'],
    ['json', { custom: 'x' }],
  ];
  test.each(incompatible)('%j described by %j → incompatible', (f, s) =>
    expect(reasonOf(() => validateSchema(f, { name: 'n', encoding: s }))).toBe('incompatible'),
  );

  test('unknown or empty encodings → invalidEncoding', () => {
    expect(reasonOf(() => validateSchema('yaml' as DataTrackFrameEncoding))).toBe('invalidEncoding');
    expect(reasonOf(() => validateSchema({ custom: '' }))).toBe('invalidEncoding');
    expect(reasonOf(() => validateSchema('json', { name: 'n', encoding: 'xsd' as DataTrackSchemaEncoding }))).toBe(
      'invalidEncoding',
    );
  });
});

describe('protocol conversion', () => {
  test('schema ids and frame encodings round-trip', () => {
    const ids = [
      { name: 'a', encoding: 'jsonschema' as const },
      { name: 'b', encoding: { custom: 'my-idl' } },
      { name: 'c', encoding: 'other' as const },
    ];
    for (const id of ids) expect(schemaIdFromProto(schemaIdToProto(id))).toEqual(id);
    const encs: DataTrackFrameEncoding[] = ['ros1', 'cdr', 'protobuf', 'flatbuffer', 'cbor', 'msgpack', 'json', 'other', { custom: 'z' }];
    for (const e of encs) expect(frameEncodingFromProto(frameEncodingToProto(e))).toEqual(e);
    expect(frameEncodingFromProto(undefined)).toBeUndefined();
  });
});
