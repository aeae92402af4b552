import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { JoinRequest, ClientInfo } from '@livekit/protocol';
import { TestClient, encodeJoinRequest } from './helpers/client';
import { useDevServer } from './helpers/setup';

const h = useDevServer();

function httpUrl(path: string): string {
  return h.server.url.replace(/^ws/, 'http') + path;
}

/** Attempts a WS upgrade that the server must refuse; returns the HTTP status and plain-text body. */
function upgradeRefusal(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('open', () => {
      ws.terminate();
      reject(new Error('upgrade unexpectedly accepted'));
    });
    ws.on('error', () => undefined);
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
  });
}

const joinParam = () => encodeJoinRequest(new JoinRequest({ clientInfo: new ClientInfo({ protocol: 17 }) }), false, false);

async function expectRefused(token: string, status: number, opts = {}) {
  const err = await TestClient.connect(h.server.url, token, 'x', opts).then(
    () => null,
    (e: Error & { status?: number; body?: string }) => e,
  );
  expect(err).not.toBeNull();
  expect(err!.status).toBe(status);
  expect(typeof err!.body).toBe('string');
  expect(err!.body!.length).toBeGreaterThan(0);
  return err!;
}

describe('WebSocket auth', () => {
  test('a valid token joins, from the query or from a Bearer header', async () => {
    const viaQuery = await h.connect('q-user', {}, { noPeerConnection: true });
    expect(viaQuery.join.participant?.identity).toBe('q-user');
    const viaHeader = await h.connect('h-user', {}, { noPeerConnection: true, bearer: true });
    expect(viaHeader.join.participant?.identity).toBe('h-user');
  });

  test('a token signed with the wrong secret is refused with 401', async () => {
    const token = await new SignJWT({ video: { roomJoin: true, room: 'r' } })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('devkey')
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('not-the-secret'));
    await expectRefused(token, 401, { noPeerConnection: true });
    await expectRefused(token, 401, { noPeerConnection: true, bearer: true });
  });

  test('an unknown API key is refused with 401', async () => {
    const token = await new SignJWT({ video: { roomJoin: true, room: 'r' } })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('otherkey')
      .setSubject('mallory')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode('secret'));
    const err = await expectRefused(token, 401, { noPeerConnection: true });
    expect((err as { body?: string }).body).toMatch(/API key/);
  });

  test('an expired token is refused with 401 (beyond the one-minute leeway)', async () => {
    await expectRefused(await h.server.token('late', { ttl: -120 }), 401, { noPeerConnection: true });
  });

  test('a token expired less than a minute ago is still accepted (leeway)', async () => {
    const c = await h.connect('just-late', { ttl: -20 }, { noPeerConnection: true });
    expect(c.join.participant?.identity).toBe('just-late');
  });

  test('a token without exp is refused with 401', async () => {
    const token = await new SignJWT({ video: { roomJoin: true, room: 'r' } })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('devkey')
      .setSubject('forever')
      .sign(new TextEncoder().encode('secret'));
    await expectRefused(token, 401, { noPeerConnection: true });
  });

  test('a token without roomJoin is refused with 401', async () => {
    await expectRefused(await h.server.token('nojoin', { roomJoin: false }), 401, { noPeerConnection: true });
  });

  test('a token without a room is refused with 400', async () => {
    await expectRefused(await h.server.token('noroom', { room: '' }), 400, { noPeerConnection: true });
  });

  test('no token at all, or a non-Bearer Authorization header, is refused with 401', async () => {
    const url = `${h.server.url}/rtc/v1?join_request=${joinParam()}`;
    expect((await upgradeRefusal(url)).status).toBe(401);
    const basic = await upgradeRefusal(url, { Authorization: `Basic ${Buffer.from('a:b').toString('base64')}` });
    expect(basic.status).toBe(401);
    expect(basic.body).toMatch(/Bearer/);
  });

  test('/rtc/v1 without join_request is refused with 400', async () => {
    const token = await h.server.token('nojr');
    const res = await upgradeRefusal(`${h.server.url}/rtc/v1?access_token=${token}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatch(/join_request/);
  });

  test('an undecodable join_request is refused with 400', async () => {
    const token = await h.server.token('badjr');
    const res = await upgradeRefusal(`${h.server.url}/rtc/v1?access_token=${token}&join_request=%21%21%21`);
    expect(res.status).toBe(400);
  });

  test('join_request is accepted gzipped and unpadded, and a path prefix before /rtc is tolerated', async () => {
    const token = await h.server.token('gz');
    const c = await TestClient.connect(`${h.server.url}/some/prefix`, token, 'gz', { gzip: true, unpadded: true, noPeerConnection: true });
    h.track(c);
    expect(c.join.participant?.identity).toBe('gz');
    await c.close();
  });

  test('the v0 /rtc query form joins too', async () => {
    const c = await h.connect('v0-user', {}, { v0: true, noPeerConnection: true });
    expect(c.join.participant?.identity).toBe('v0-user');
    expect(c.join.subscriberPrimary).toBe(false);
  });
});

describe('HTTP endpoints', () => {
  test('validate endpoints answer 200 success with CORS for a good token', async () => {
    const token = await h.server.token('val');
    for (const path of [`/rtc/validate?access_token=${token}`, `/rtc/v1/validate?access_token=${token}&join_request=${joinParam()}`]) {
      const res = await fetch(httpUrl(path));
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('success');
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
    const bearer = await fetch(httpUrl('/rtc/validate'), { headers: { Authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(200);
  });

  test('validate answers 401 plain text for a bad token', async () => {
    for (const path of ['/rtc/validate?access_token=garbage', `/rtc/v1/validate?access_token=garbage&join_request=${joinParam()}`]) {
      const res = await fetch(httpUrl(path));
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      expect((await res.text()).length).toBeGreaterThan(0);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
    }
  });

  test('v1 validate requires join_request', async () => {
    const res = await fetch(httpUrl(`/rtc/v1/validate?access_token=${await h.server.token('v')}`));
    expect(res.status).toBe(400);
  });

  test('a plain GET on /rtc (no upgrade) is 404', async () => {
    const token = await h.server.token('plain');
    expect((await fetch(httpUrl(`/rtc?access_token=${token}`))).status).toBe(404);
    expect((await fetch(httpUrl(`/rtc/v1?access_token=${token}&join_request=${joinParam()}`))).status).toBe(404);
  });
});
