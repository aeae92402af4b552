// Access tokens, the way livekit-server reads them: HS256 only, the issuer names the API key whose
// secret signs the token, `exp` is mandatory (one minute of leeway), identity is `sub`, and the room
// comes from the video grant alone.

import { SignJWT, decodeJwt, jwtVerify, errors as joseErrors } from 'jose';
import { ParticipantPermission, TrackSource } from '../protocol';

/** LiveKit's VideoGrant, with the JSON names the tokens use. */
export interface VideoGrant {
  roomCreate?: boolean;
  roomList?: boolean;
  roomRecord?: boolean;
  roomAdmin?: boolean;
  roomJoin?: boolean;
  room?: string;
  canPublish?: boolean;
  canSubscribe?: boolean;
  canPublishData?: boolean;
  /** Lowercase TrackSource names, e.g. 'camera', 'microphone'. */
  canPublishSources?: string[];
  canUpdateOwnMetadata?: boolean;
  ingressAdmin?: boolean;
  hidden?: boolean;
  recorder?: boolean;
  agent?: boolean;
  canSubscribeMetrics?: boolean;
  canManageAgentSession?: boolean;
  destinationRoom?: string;
}

/** What `DevServer.token()` accepts: the video grant fields plus the top-level identity claims. */
export interface TokenGrants extends VideoGrant {
  name?: string;
  metadata?: string;
  attributes?: Record<string, string>;
  /** Lifetime in seconds (default 6 h). A negative value mints an already expired token (for tests). */
  ttl?: number;
}

export interface VerifiedToken {
  apiKey: string;
  identity: string;
  name: string;
  metadata: string;
  attributes: Record<string, string>;
  kind: string;
  video: VideoGrant;
}

export class HttpError extends Error {
  constructor(
    readonly status: 400 | 401,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_ROOM = 'dev-room';
const DEFAULT_TTL_S = 6 * 3600;

const VIDEO_KEYS: Array<keyof VideoGrant> = [
  'roomCreate', 'roomList', 'roomRecord', 'roomAdmin', 'roomJoin', 'room', 'canPublish', 'canSubscribe',
  'canPublishData', 'canPublishSources', 'canUpdateOwnMetadata', 'ingressAdmin', 'hidden', 'recorder',
  'agent', 'canSubscribeMetrics', 'canManageAgentSession', 'destinationRoom',
];

/**
 * Mints a token. The room defaults to 'dev-room' and roomJoin to true, since a dev token that
 * cannot join anything is never what the caller meant; pass `roomJoin: false` to test refusal.
 */
export async function mintToken(apiKey: string, apiSecret: string, identity: string, grants: TokenGrants = {}): Promise<string> {
  const video: Record<string, unknown> = { roomJoin: true, room: DEFAULT_ROOM };
  for (const key of VIDEO_KEYS) if (grants[key] !== undefined) video[key] = grants[key];
  const claims: Record<string, unknown> = { video };
  if (grants.name !== undefined) claims.name = grants.name;
  if (grants.metadata !== undefined) claims.metadata = grants.metadata;
  if (grants.attributes !== undefined) claims.attributes = grants.attributes;
  const now = Math.floor(Date.now() / 1000);
  const ttl = grants.ttl ?? DEFAULT_TTL_S;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(apiKey)
    .setSubject(identity)
    .setIssuedAt(ttl < 0 ? now + ttl - 1 : now)
    .setNotBefore(ttl < 0 ? now + ttl - 1 : now)
    .setExpirationTime(now + ttl)
    .sign(new TextEncoder().encode(apiSecret));
}

/** Verifies signature, issuer and expiry; does not look at join permissions (see `checkJoin`). */
export async function verifyToken(token: string, keys: ReadonlyMap<string, string>): Promise<VerifiedToken> {
  let unverified: ReturnType<typeof decodeJwt>;
  try {
    unverified = decodeJwt(token);
  } catch {
    throw new HttpError(401, 'invalid token: malformed');
  }
  const apiKey = typeof unverified.iss === 'string' ? unverified.iss : '';
  const secret = keys.get(apiKey);
  if (secret === undefined) throw new HttpError(401, 'invalid API key');
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      issuer: apiKey,
      clockTolerance: 60,
      requiredClaims: ['exp'],
    }));
  } catch (err) {
    const why = err instanceof joseErrors.JWTExpired ? 'token is expired' : (err as Error).message;
    throw new HttpError(401, `invalid token: ${why}`);
  }
  const identity =
    typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : typeof payload.jti === 'string' ? payload.jti : '';
  const video = payload.video && typeof payload.video === 'object' ? (payload.video as VideoGrant) : undefined;
  if (!video) throw new HttpError(401, 'permissions denied');
  return {
    apiKey,
    identity,
    name: typeof payload.name === 'string' ? payload.name : '',
    metadata: typeof payload.metadata === 'string' ? payload.metadata : '',
    attributes: isStringMap(payload.attributes) ? payload.attributes : {},
    kind: typeof payload.kind === 'string' ? payload.kind : 'standard',
    video,
  };
}

/** The join checks of the server, in its order and with its statuses. Returns the room name. */
export function checkJoin(token: VerifiedToken): string {
  if (token.video.roomJoin !== true) throw new HttpError(401, 'permissions denied');
  if (token.identity === '') throw new HttpError(400, 'participant identity cannot be empty');
  if (token.identity.length > 256) throw new HttpError(400, 'participant identity too long');
  const room = token.video.room ?? '';
  if (room === '') throw new HttpError(400, 'room name cannot be empty');
  if (room.length > 256) throw new HttpError(400, 'room name too long');
  return room;
}

/** Absent booleans default like LiveKit's grant getters: publish/subscribe on, canPublishData = canPublish. */
export function grantPermission(video: VideoGrant): ParticipantPermission {
  const canPublish = video.canPublish ?? true;
  return new ParticipantPermission({
    canSubscribe: video.canSubscribe ?? true,
    canPublish,
    canPublishData: video.canPublishData ?? canPublish,
    canPublishSources: (video.canPublishSources ?? []).map(sourceFromName).filter((s) => s !== TrackSource.UNKNOWN),
    canUpdateMetadata: video.canUpdateOwnMetadata ?? false,
    hidden: video.hidden ?? false,
    recorder: video.recorder ?? false,
    agent: video.agent ?? false,
    canSubscribeMetrics: video.canSubscribeMetrics ?? false,
    canManageAgentSession: video.canManageAgentSession ?? false,
  });
}

function sourceFromName(name: string): TrackSource {
  const value = (TrackSource as unknown as Record<string, number>)[name.toUpperCase()];
  return typeof value === 'number' ? value : TrackSource.UNKNOWN;
}

function isStringMap(v: unknown): v is Record<string, string> {
  return !!v && typeof v === 'object' && Object.values(v as object).every((x) => typeof x === 'string');
}
