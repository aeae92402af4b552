// Hand-built DTP packets (dtp.md §1), so the tests do not depend on the codec under test.

export type Marker = 'inter' | 'final' | 'start' | 'single';
const MARKER_BITS: Record<Marker, number> = { inter: 0b00, final: 0b01, start: 0b10, single: 0b11 };

export interface PacketFields {
  marker?: Marker;
  handle: number;
  sequence?: number;
  frame?: number;
  timestamp?: number;
  /** Adds the user-timestamp extension (id 2, len 8). */
  userTimestamp?: bigint;
  payload: Uint8Array;
}

export function buildPacket(f: PacketFields): Buffer {
  const ext = f.userTimestamp !== undefined;
  // One TLV of 2 + 8 bytes after the 2-byte length: 12 bytes = 3 words, L = 2, no padding.
  const header = Buffer.alloc(12 + (ext ? 12 : 0));
  header[0] = (MARKER_BITS[f.marker ?? 'single'] << 3) | (ext ? 1 << 2 : 0);
  header[1] = 0;
  header.writeUInt16BE(f.handle, 2);
  header.writeUInt16BE(f.sequence ?? 0, 4);
  header.writeUInt16BE(f.frame ?? 0, 6);
  header.writeUInt32BE(f.timestamp ?? 0, 8);
  if (ext) {
    header.writeUInt16BE(2, 12);
    header[14] = 2;
    header[15] = 8;
    header.writeBigUInt64BE(f.userTimestamp!, 16);
  }
  return Buffer.concat([header, Buffer.from(f.payload)]);
}

export function handleOf(packet: Uint8Array): number {
  return (packet[2] << 8) | packet[3];
}

/** The same bytes with the handle replaced: what the SFU must deliver for a canonical packet. */
export function withHandle(packet: Uint8Array, handle: number): Buffer {
  const out = Buffer.from(packet);
  out.writeUInt16BE(handle, 2);
  return out;
}
