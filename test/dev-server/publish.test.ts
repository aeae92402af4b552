import {
  DataTrackFrameEncoding,
  DataTrackFrameEncoding_WellKnownFrameEncoding,
  DataTrackSchemaEncoding,
  DataTrackSchemaEncoding_WellKnownSchemaEncoding,
  DataTrackSchemaId,
  Encryption_Type,
  RequestResponse_Reason,
  UnpublishDataTrackRequest,
} from '@livekit/protocol';
import { useDevServer } from './helpers/setup';

const h = useDevServer();

async function expectRefusal(
  c: Awaited<ReturnType<typeof h.connect>>,
  pubHandle: number,
  name: string,
  reason: RequestResponse_Reason,
  extra = {},
) {
  c.publish(pubHandle, name, extra);
  const res = await c.next('requestResponse', (r) => r.request.case === 'publishDataTrack');
  expect(res.requestId).toBe(0);
  expect(RequestResponse_Reason[res.reason]).toBe(RequestResponse_Reason[reason]);
  expect(res.request.case === 'publishDataTrack' && res.request.value.pubHandle).toBe(pubHandle);
  expect(res.request.case === 'publishDataTrack' && res.request.value.name).toBe(name);
  return res;
}

describe('publish validation (server order and reasons)', () => {
  test('NOT_ALLOWED without canPublishData (checked before anything else)', async () => {
    const c = await h.connect('viewer', { canPublishData: false }, { noPeerConnection: true });
    const res = await expectRefusal(c, 0, '', RequestResponse_Reason.NOT_ALLOWED);
    expect(res.message).toMatch(/permission/);
  });

  test('canPublish=false also denies data publishing by default', async () => {
    const c = await h.connect('viewer', { canPublish: false }, { noPeerConnection: true });
    await expectRefusal(c, 1, 'x', RequestResponse_Reason.NOT_ALLOWED);
  });

  test('INVALID_HANDLE for 0 and > 65535 (before the name check)', async () => {
    const c = await h.connect('p', {}, { noPeerConnection: true });
    await expectRefusal(c, 0, '', RequestResponse_Reason.INVALID_HANDLE);
    await expectRefusal(c, 65536, 'x', RequestResponse_Reason.INVALID_HANDLE);
  });

  test('INVALID_NAME for an empty name or one over 256 bytes', async () => {
    const c = await h.connect('p', {}, { noPeerConnection: true });
    await expectRefusal(c, 1, '', RequestResponse_Reason.INVALID_NAME);
    await expectRefusal(c, 1, 'é'.repeat(129), RequestResponse_Reason.INVALID_NAME); // 258 bytes
    expect((await c.publishOk(1, 'n'.repeat(256))).name).toHaveLength(256);
  });

  test('INVALID_REQUEST for an empty or too long custom encoding', async () => {
    const c = await h.connect('p', {}, { noPeerConnection: true });
    await expectRefusal(c, 1, 'a', RequestResponse_Reason.INVALID_REQUEST, {
      frameEncoding: new DataTrackFrameEncoding({ value: { case: 'custom', value: '' } }),
    });
    await expectRefusal(c, 1, 'a', RequestResponse_Reason.INVALID_REQUEST, {
      schema: new DataTrackSchemaId({ name: 's', encoding: new DataTrackSchemaEncoding({ value: { case: 'custom', value: 'x'.repeat(33) } }) }),
    });
  });

  test('DUPLICATE_HANDLE before DUPLICATE_NAME', async () => {
    const c = await h.connect('p', {}, { noPeerConnection: true });
    await c.publishOk(1, 'a');
    await expectRefusal(c, 1, 'a', RequestResponse_Reason.DUPLICATE_HANDLE);
    await expectRefusal(c, 2, 'a', RequestResponse_Reason.DUPLICATE_NAME);
    // Per publisher: another participant may use the same handle and name.
    const other = await h.connect('q', {}, { noPeerConnection: true });
    await other.publishOk(1, 'a');
  });
});

describe('publish / unpublish', () => {
  test('success echoes handle, name, encryption, frame encoding and schema with a DTR_ sid', async () => {
    const c = await h.connect('p', {}, { noPeerConnection: true });
    const frameEncoding = new DataTrackFrameEncoding({
      value: { case: 'wellKnown', value: DataTrackFrameEncoding_WellKnownFrameEncoding.PROTOBUF },
    });
    const schema = new DataTrackSchemaId({
      name: 'pkg.Telemetry',
      encoding: new DataTrackSchemaEncoding({ value: { case: 'wellKnown', value: DataTrackSchemaEncoding_WellKnownSchemaEncoding.PROTOBUF } }),
    });
    const info = await c.publishOk(3, 'telemetry', { encryption: Encryption_Type.GCM, frameEncoding, schema });
    expect(info.sid).toMatch(/^DTR_[2-9A-HJ-NP-Za-km-z]{12}$/);
    expect(info.pubHandle).toBe(3);
    expect(info.name).toBe('telemetry');
    expect(info.encryption).toBe(Encryption_Type.GCM);
    expect(info.frameEncoding?.equals(frameEncoding)).toBe(true);
    expect(info.schema?.equals(schema)).toBe(true);
    const custom = await c.publishOk(4, 'c', { frameEncoding: new DataTrackFrameEncoding({ value: { case: 'custom', value: 'x'.repeat(32) } }) });
    expect(custom.frameEncoding?.value).toEqual({ case: 'custom', value: 'x'.repeat(32) });
    expect(c.received('requestResponse')).toEqual([]); // never a request_response for a success
  });

  test('publish and unpublish update everyone (publisher included) with the full list and rising versions', async () => {
    const pub = await h.connect('pub', {}, { noPeerConnection: true });
    const sub = await h.connect('sub', {}, { noPeerConnection: true });
    const a = await pub.publishOk(1, 'a');
    const b = await pub.publishOk(2, 'b');
    for (const c of [pub, sub]) {
      const u1 = await c.nextUpdate('pub', (p) => p.dataTracks.length === 1);
      const u2 = await c.nextUpdate('pub', (p) => p.dataTracks.length === 2);
      expect(u1.dataTracks.map((t) => t.sid)).toEqual([a.sid]);
      expect(u2.dataTracks.map((t) => t.sid).sort()).toEqual([a.sid, b.sid].sort());
      expect(u2.version).toBeGreaterThan(u1.version);
      expect(u2.isPublisher).toBe(true);
    }
    pub.send({ case: 'unpublishDataTrackRequest', value: new UnpublishDataTrackRequest({ pubHandle: 1 }) });
    const res = await pub.next('unpublishDataTrackResponse');
    expect(res.info?.sid).toBe(a.sid);
    const after = await sub.nextUpdate('pub', (p) => p.dataTracks.length === 1);
    expect(after.dataTracks.map((t) => t.sid)).toEqual([b.sid]);
    // The handle is free again for a new publication (with a new SID).
    const again = await pub.publishOk(1, 'a');
    expect(again.sid).not.toBe(a.sid);
  });

  test('unpublishing an unknown handle answers NOT_FOUND with the request echoed', async () => {
    const c = await h.connect('p', {}, { noPeerConnection: true });
    c.send({ case: 'unpublishDataTrackRequest', value: new UnpublishDataTrackRequest({ pubHandle: 9 }) });
    const res = await c.next('requestResponse');
    expect(res.reason).toBe(RequestResponse_Reason.NOT_FOUND);
    expect(res.request.case).toBe('unpublishDataTrack');
    expect(res.request.case === 'unpublishDataTrack' && res.request.value.pubHandle).toBe(9);
  });
});
