// The livekit-server the suites are judged against. One pin for the build script, the test fixture,
// the bench and the README's interop table.

export const LIVEKIT_SERVER_MODULE = 'github.com/livekit/livekit-server';
export const LIVEKIT_SERVER_VERSION = 'v1.13.5';
