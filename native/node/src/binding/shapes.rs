//! Per-environment JS factories for result objects and Buffers (see napi/script.rs and
//! napi/buffer.rs for why), compiled once at load time and kept as instance data together with
//! the output allocator.

use crate::napi::{Env, FnRef, JsResult, OutAllocator, OutBytes, Value};

const SOURCE: &str = r#"(function () {
  'use strict';
  const MARKERS = ['inter', 'final', 'start', 'single'];
  const REASONS = ['interrupted', 'unknownFrame', 'bufferFull', 'incomplete'];
  const B = (ab, off, len) => Buffer.from(ab, off, len);
  return [
    (m, handle, sequence, frameNumber, timestamp, e2ee, userTimestamp) =>
      ({ marker: MARKERS[m], handle, sequence, frameNumber, timestamp, e2ee, userTimestamp }),
    (header, ab, off, len) => ({ header, payload: B(ab, off, len) }),
    (keyIndex, ab, off) => ({ keyIndex, iv: B(ab, off, 12) }),
    (ab, off, len, userTimestamp, e2ee) => ({ payload: B(ab, off, len), userTimestamp, e2ee }),
    (ab, off, len, userTimestamp, e2ee, trackId) => [{ payload: B(ab, off, len), userTimestamp, e2ee, trackId }],
    (ab, off, len, trackId) => [{ payload: B(ab, off, len), userTimestamp: null, e2ee: null, trackId }],
    (r, frameNumber, a, b) =>
      r === 0 ? { reason: REASONS[0], frameNumber, newFrameNumber: a }
      : r === 3 ? { reason: REASONS[3], frameNumber, received: a, expected: b }
      : { reason: REASONS[r], frameNumber },
    (frame, drop) => ({ frames: frame === null ? [] : [frame], drops: drop === null ? [] : [drop] }),
    (ab, off, len, endsOff, count, frames) => ({ data: B(ab, off, len), ends: new Uint32Array(ab, endsOff, count), frames }),
    B,
    (ab, off, count, size, lastSize) => {
      const out = new Array(count);
      for (let i = 0; i < count; i++) out[i] = B(ab, off + i * size, i === count - 1 ? lastSize : size);
      return out;
    },
  ];
})()"#;

/// Factories, in the order of the array in SOURCE, plus the output allocator.
pub struct Shapes {
    /// (markerBits, handle, sequence, frameNumber, timestamp, e2ee, userTimestamp) → PacketHeader
    pub header: FnRef,
    /// (header, ab, off, len) → DecodedPacket
    pub decoded: FnRef,
    /// (keyIndex, ab, off) → E2eeExtension
    pub e2ee: FnRef,
    /// (ab, off, len, userTimestamp, e2ee) → ReassembledFrame
    pub frame: FnRef,
    /// (ab, off, len, userTimestamp, e2ee, trackId) → [RemoteFrame]
    pub remote_frames: FnRef,
    /// (ab, off, len, trackId) → [RemoteFrame] without extensions (same object shape)
    pub remote_frames_plain: FnRef,
    /// (reasonIndex, frameNumber, a, b) → DepacketizerDrop
    pub drop: FnRef,
    /// (frame | null, drop | null) → {frames, drops}
    pub push_result: FnRef,
    /// (ab, off, len, endsOff, count, frames) → TransmitBatch
    pub batch: FnRef,
    /// (ab, off, len) → Buffer
    pub buffer: FnRef,
    /// (ab, off, count, size, lastSize) → Buffer[] of back-to-back equal-size packets
    pub packets: FnRef,
    pub out: OutAllocator,
}

impl Shapes {
    pub fn install(env: Env) -> JsResult<()> {
        let list = env.run_script(SOURCE)?;
        let f = |i| env.keep_function(env.get_index(list, i)?);
        let shapes = Shapes {
            header: f(0)?,
            decoded: f(1)?,
            e2ee: f(2)?,
            frame: f(3)?,
            remote_frames: f(4)?,
            remote_frames_plain: f(5)?,
            drop: f(6)?,
            push_result: f(7)?,
            batch: f(8)?,
            buffer: f(9)?,
            packets: f(10)?,
            out: OutAllocator::default(),
        };
        env.set_instance_data(shapes)
    }

    pub fn get<'a>(env: Env) -> JsResult<&'a Shapes> {
        // SAFETY: `install` is the only place this addon stores instance data.
        unsafe { env.instance_data::<Shapes>() }
    }

    /// `[ab, offset, len]` arguments for a factory.
    pub fn parts(env: Env, out: &OutBytes) -> JsResult<[Value; 3]> {
        Ok([out.ab, env.count(out.offset as u64)?, env.count(out.len as u64)?])
    }

    /// A Buffer of `len` bytes written by `fill` (no intermediate copy).
    pub fn buffer_with(&self, env: Env, len: usize, fill: impl FnOnce(&mut [u8])) -> JsResult<Value> {
        let mut out = self.out.alloc(env, len)?;
        fill(out.bytes_mut());
        env.call(self.buffer, &Self::parts(env, &out)?)
    }
}
