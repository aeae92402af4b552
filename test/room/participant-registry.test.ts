import { ParticipantInfo, ParticipantInfo_State } from '@livekit/protocol';
import type { LocalParticipant } from '../../lib/room/local-participant';
import { ParticipantRegistry } from '../../lib/room/participant-registry';
import type { RemoteParticipant } from '../../lib/room/remote-participant';
import { participantsOfNewRoom } from './helpers/participants';

const info = (identity: string, sid: string, version: number, extra: Partial<ParticipantInfo> = {}) =>
  new ParticipantInfo({ identity, sid, version, state: ParticipantInfo_State.ACTIVE, ...extra });

describe('ParticipantRegistry', () => {
  let local: LocalParticipant;
  let registry: ParticipantRegistry;
  let log: string[];

  beforeEach(() => {
    const made = participantsOfNewRoom();
    local = made.local;
    local.resetInfo(info('me', 'PA_me', 1));
    log = [];
    registry = new ParticipantRegistry(local, made.createRemote, {
      joined: (p: RemoteParticipant, i) => log.push(`joined ${p.identity} ${p.sid} v${i.version}`),
      updated: (p, i) => log.push(`updated ${p.identity} v${i.version}`),
      left: (p, replaced) => log.push(`left ${p.identity} ${p.sid}${replaced ? ' replaced' : ''}`),
    });
  });

  it('adds, updates with newer or equal versions, and ignores older ones', () => {
    registry.apply(info('bob', 'PA_b', 1, { name: 'Bob' }));
    registry.apply(info('bob', 'PA_b', 3, { name: 'Robert' }));
    registry.apply(info('bob', 'PA_b', 2, { name: 'stale' }));
    registry.apply(info('bob', 'PA_b', 3, { name: 'Robert' }));
    expect(log).toEqual(['joined bob PA_b v1', 'updated bob v3', 'updated bob v3']);
    expect(registry.remotes.get('bob')?.name).toBe('Robert');
  });

  it('replaces the participant when the same identity arrives with a new SID', () => {
    registry.apply(info('bob', 'PA_old', 5));
    const old = registry.remotes.get('bob');
    registry.apply(info('bob', 'PA_new', 1));
    expect(log).toEqual(['joined bob PA_old v5', 'left bob PA_old replaced', 'joined bob PA_new v1']);
    expect(registry.remotes.get('bob')).not.toBe(old);
    expect(registry.remotes.get('bob')?.sid).toBe('PA_new');
  });

  it('never lets a retired SID come back or remove its successor', () => {
    registry.apply(info('bob', 'PA_old', 5));
    registry.apply(info('bob', 'PA_new', 1));
    registry.apply(info('bob', 'PA_old', 9));
    registry.apply(info('bob', 'PA_old', 10, { state: ParticipantInfo_State.DISCONNECTED }));
    expect(registry.remotes.get('bob')?.sid).toBe('PA_new');
    expect(log).toEqual(['joined bob PA_old v5', 'left bob PA_old replaced', 'joined bob PA_new v1']);
  });

  it('removes on DISCONNECTED and ignores a disconnect for an unknown participant', () => {
    registry.apply(info('bob', 'PA_b', 1));
    registry.apply(info('carol', 'PA_c', 1, { state: ParticipantInfo_State.DISCONNECTED }));
    registry.apply(info('bob', 'PA_b', 2, { state: ParticipantInfo_State.DISCONNECTED }));
    expect(log).toEqual(['joined bob PA_b v1', 'left bob PA_b']);
    expect(registry.remotes.size).toBe(0);
    // Late update for the session that left.
    registry.apply(info('bob', 'PA_b', 3));
    expect(registry.remotes.size).toBe(0);
  });

  it('resolves the identity of an identity-less disconnect from the SID (servers < 1.5.2)', () => {
    registry.apply(info('bob', 'PA_b', 1));
    registry.apply(info('', 'PA_b', 2, { state: ParticipantInfo_State.DISCONNECTED }));
    expect(registry.remotes.has('bob')).toBe(false);
  });

  it('routes the local identity to the local participant, never to the remotes', () => {
    registry.apply(info('me', 'PA_me', 4, { metadata: 'mine' }));
    registry.apply(info('me', 'PA_me', 2, { metadata: 'stale' }));
    // Another session of our identity (e.g. the one a full reconnect replaced) is not a remote either.
    registry.apply(info('me', 'PA_other', 9, { metadata: 'other' }));
    expect(log).toEqual([]);
    expect(registry.remotes.size).toBe(0);
    expect(local.metadata).toBe('mine');
    expect(local.sid).toBe('PA_me');
  });
});
