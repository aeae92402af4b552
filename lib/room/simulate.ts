// Fault injection for tests and demos: `room.simulateScenario(scenario)`, as @livekit/rtc-node
// offers. Everything happens on the client side, so it works against any server.

/**
 * - `signal-reconnect`: the signal socket is dropped; the room resumes (same participant SID).
 * - `full-reconnect`: the room rejoins from scratch (new participant SID, tracks republished).
 * - `server-leave`: as if the server sent `leave{action DISCONNECT}`: the room disconnects.
 * - `server-leave-resume` / `server-leave-reconnect`: the server's `leave` with action RESUME / RECONNECT.
 * - `transport-failure`: the peer connection fails; the room resumes with a new one (ICE restart).
 */
export type SimulateScenario =
  | 'signal-reconnect'
  | 'full-reconnect'
  | 'server-leave'
  | 'server-leave-resume'
  | 'server-leave-reconnect'
  | 'transport-failure';

export const SIMULATE_SCENARIOS: readonly SimulateScenario[] = [
  'signal-reconnect',
  'full-reconnect',
  'server-leave',
  'server-leave-resume',
  'server-leave-reconnect',
  'transport-failure',
];
