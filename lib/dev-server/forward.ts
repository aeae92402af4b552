// The single place where the SFU touches a data-track packet's bytes. Re-serialization (handle
// rewrite, reserved bits cleared, extensions re-emitted canonically) is the native codec's job, so
// the dev SFU forwards exactly like LiveKit's and never grows a second DTP parser.

import { native } from '../native/binding';

export function rewriteHandle(packet: Uint8Array, subscriberHandle: number): Buffer {
  return native().forwardPacket(packet, subscriberHandle);
}

/** Loads the addon up front so a missing build fails `DevServer.start()` instead of every packet. */
export function ensureCodecLoaded(): void {
  native();
}
