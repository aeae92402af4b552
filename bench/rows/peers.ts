// LiveKit's own SDKs as bench rows, through the interop drivers of the test suite.

import type { RowDriver } from './driver';

export const livekitClient: RowDriver = {
  async publisher() {
    throw new Error('livekit-client row not wired yet');
  },
  async subscribers() {
    throw new Error('livekit-client row not wired yet');
  },
};

export const rustFfi: RowDriver = {
  async publisher() {
    throw new Error('rust-ffi row not wired yet');
  },
  async subscribers() {
    throw new Error('rust-ffi row not wired yet');
  },
};
