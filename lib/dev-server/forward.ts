// The single place where the SFU touches a data-track packet's bytes. Re-serialization (handle
// rewrite, reserved bits cleared, extensions re-emitted canonically) is the native codec's job, so
// the dev SFU forwards exactly like LiveKit's and never grows a second DTP parser.

import { native } from '../native/binding';

/**
 * One buffer for every forwarded copy, valid until the next call: the SFU hands each copy to
 * node-datachannel, which copies it before returning. A fresh ArrayBuffer per packet per
 * subscriber was garbage V8 collected with major GCs, twice a second at 25 MiB/s.
 */
const scratch = Buffer.allocUnsafeSlow(128 * 1024);

/** The packet as `subscriberHandle`'s subscriber gets it; valid until the next call. */
export function rewriteHandle(packet: Uint8Array, subscriberHandle: number): Buffer {
  const codec = native();
  // The output is never twice the input, and packets are at most the 64 KiB SCTP message size we
  // advertise, so the fallback is only for a peer that ignores it.
  if (2 * packet.length > scratch.length) return codec.forwardPacket(packet, subscriberHandle);
  return scratch.subarray(0, codec.forwardPacketInto(packet, subscriberHandle, scratch));
}

/** Where a DTP header holds the track handle: a big-endian u16 at bytes 2-3. */
const HANDLE_OFFSET = 2;

/** The handle a publisher sent the packet under (the packet is at least a header long). */
export function packetHandle(packet: Buffer): number {
  return packet.readUInt16BE(HANDLE_OFFSET);
}

/**
 * Turns a rewriteHandle copy for one subscriber into the copy for another: a re-serialized packet
 * differs between subscribers only in the handle.
 */
export function retarget(copy: Buffer, subscriberHandle: number): void {
  copy.writeUInt16BE(subscriberHandle, HANDLE_OFFSET);
}

/** Loads the addon up front so a missing build fails `DevServer.start()` instead of every packet. */
export function ensureCodecLoaded(): void {
  native();
}
