import { DisconnectReason, DataTrackInfo, ParticipantInfo, ParticipantInfo_State } from '@livekit/protocol';
import { ParticipantRegistry } from '../../lib/room/participant-registry';
import { ExponentialBackoffPolicy } from '../../lib/room/reconnect-policy';
import { participantsOfNewRoom } from '../room/helpers/participants';

const info = (identity: string, sid: string, version: number, extra: Partial<ParticipantInfo> = {}) =>
  new ParticipantInfo({ identity, sid, version, state: ParticipantInfo_State.ACTIVE, ...extra });
const track = (sid: string, pubHandle: number, name: string) => new DataTrackInfo({ sid, pubHandle, name });

describe('ExponentialBackoffPolicy', () => {
  it('starts at once, doubles up to the cap, stops at maxAttempts or maxElapsedMs', () => {
    const p = new ExponentialBackoffPolicy({ jitter: 0 });
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((a) => p.nextRetryDelayMs(a, 0))).toEqual([0, 100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000]);
    expect(p.nextRetryDelayMs(10, 0)).toBeNull();
    expect(p.nextRetryDelayMs(1, 60_000)).toBeNull();
    expect(p.nextRetryDelayMs(7, 59_000)).toBe(1000);
    expect([0, 1, 2, 3].map((a) => p.shouldResume(a))).toEqual([true, true, true, false]);
  });
  it('jitters within ±jitter', () => {
    expect(new ExponentialBackoffPolicy({ jitter: 0.5 }, () => 0).nextRetryDelayMs(3, 0)).toBe(200);
    expect(new ExponentialBackoffPolicy({ jitter: 0.5 }, () => 1).nextRetryDelayMs(3, 0)).toBe(600);
  });
});

describe('ParticipantRegistry with a rejoin grace period', () => {
  let log: string[];
  let registry: ParticipantRegistry;
  beforeEach(() => {
    jest.useFakeTimers();
    const { local, createRemote } = participantsOfNewRoom();
    local.resetInfo(info('me', 'PA_me', 1));
    log = [];
    registry = new ParticipantRegistry(
      local,
      createRemote,
      {
        joined: (p, i) => log.push(`joined ${p.identity} ${i.sid}`),
        updated: (p, i) => log.push(`updated ${p.identity} ${i.sid} [${i.dataTracks.map((t) => t.sid).join(',')}]`),
        left: (p, replaced) => log.push(`left ${p.identity}${replaced ? ' replaced' : ''}`),
      },
      { rejoinGraceMs: 1000 },
    );
  });
  afterEach(() => jest.useRealTimers());

  it('keeps the object across a duplicate-identity takeover and waits until the tracks are back', () => {
    registry.apply(info('bob', 'PA_old', 3, { dataTracks: [track('DTR_a', 1, 'a')] }));
    const bob = registry.remotes.get('bob');
    registry.apply(info('bob', 'PA_old', 4, { state: ParticipantInfo_State.DISCONNECTED, disconnectReason: DisconnectReason.DUPLICATE_IDENTITY }));
    registry.apply(info('bob', 'PA_new', 1));
    registry.apply(info('bob', 'PA_new', 2, { dataTracks: [track('DTR_b', 1, 'a')] }));
    expect(log).toEqual(['joined bob PA_old', 'updated bob PA_new [DTR_b]']);
    expect(registry.remotes.get('bob')).toBe(bob);
    expect(bob?.sid).toBe('PA_new');
  });

  it('passes the partial info on when the grace period ends, and lets a participant that never returns leave', () => {
    registry.apply(info('bob', 'PA_old', 3, { dataTracks: [track('DTR_a', 1, 'a')] }));
    registry.apply(info('carol', 'PA_c', 1));
    registry.apply(info('bob', 'PA_new', 1));
    const kept = registry.beginRejoin([info('bob', 'PA_new', 1)]);
    expect(kept.map((i) => i.identity)).toEqual(['carol']);
    jest.advanceTimersByTime(1001);
    expect(log).toEqual(['joined bob PA_old', 'joined carol PA_c', 'updated bob PA_new []', 'left carol']);
    expect(registry.remotes.has('carol')).toBe(false);
  });

  it('an ordinary departure still leaves at once', () => {
    registry.apply(info('bob', 'PA_b', 1));
    registry.apply(info('bob', 'PA_b', 2, { state: ParticipantInfo_State.DISCONNECTED, disconnectReason: DisconnectReason.CLIENT_INITIATED }));
    expect(log).toEqual(['joined bob PA_b', 'left bob']);
  });
});
