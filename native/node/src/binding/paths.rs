//! The data paths the managers and the state machines share: pushing frames, packetized
//! batches out, packets in.

use std::time::Instant;

use super::convert::{copy_payload, read_extensions, remote_frames_value};
use super::error;
use super::local::handle_arg;
use super::shapes::Shapes;
use crate::local::{LocalManager, LocalManagerError, PushResult, Publisher, TransmitBatch};
use crate::napi::{CallArgs, Env, JsError, JsResult, Value};
use crate::packet::Extensions;
use crate::remote::{PacketOutcome, RemoteManager, Subscriber};

/// Takes frames: `LocalManager` and the `Publisher` over it.
pub trait FrameSink {
    fn push(&mut self, handle: u16, payload: &[u8], tail: &[u8], ext: &Extensions, drop_oldest: bool)
        -> Result<PushResult, LocalManagerError>;
}

impl FrameSink for LocalManager {
    fn push(&mut self, handle: u16, payload: &[u8], tail: &[u8], ext: &Extensions, drop_oldest: bool) -> Result<PushResult, LocalManagerError> {
        self.push_frame_parts(handle, payload, tail, ext, drop_oldest)
    }
}

impl FrameSink for Publisher {
    fn push(&mut self, handle: u16, payload: &[u8], tail: &[u8], ext: &Extensions, drop_oldest: bool) -> Result<PushResult, LocalManagerError> {
        self.push_frame(handle, payload, tail, ext, drop_oldest)
    }
}

/// Gives out packetized batches.
pub trait TransmitSource {
    fn plan(&mut self, max_bytes: usize, now: Instant) -> Option<TransmitBatch>;
    fn write(&mut self, data: &mut [u8], ends: &mut [u32]) -> bool;
}

impl TransmitSource for LocalManager {
    fn plan(&mut self, max_bytes: usize, now: Instant) -> Option<TransmitBatch> {
        self.plan_transmit(max_bytes, now)
    }
    fn write(&mut self, data: &mut [u8], ends: &mut [u32]) -> bool {
        self.write_transmit(data, ends)
    }
}

impl TransmitSource for Publisher {
    fn plan(&mut self, max_bytes: usize, now: Instant) -> Option<TransmitBatch> {
        self.plan_transmit(max_bytes, now)
    }
    fn write(&mut self, data: &mut [u8], ends: &mut [u32]) -> bool {
        self.write_transmit(data, ends)
    }
}

/// Routes and reassembles packets: `RemoteManager` and the `Subscriber` over it.
pub trait PacketRouter {
    fn route<'a>(&mut self, packet: &'a [u8]) -> Option<PacketOutcome<'a>>;
    fn give_back(&mut self, track_id: u32, buf: Vec<u8>);
}

impl PacketRouter for RemoteManager {
    fn route<'a>(&mut self, packet: &'a [u8]) -> Option<PacketOutcome<'a>> {
        self.handle_packet(packet)
    }
    fn give_back(&mut self, track_id: u32, buf: Vec<u8>) {
        self.reuse_buffer(track_id, buf);
    }
}

impl PacketRouter for Subscriber {
    fn route<'a>(&mut self, packet: &'a [u8]) -> Option<PacketOutcome<'a>> {
        self.handle_packet(packet)
    }
    fn give_back(&mut self, track_id: u32, buf: Vec<u8>) {
        self.reuse_buffer(track_id, buf);
    }
}

/// `pushFrame(handle, payload, userTimestamp, e2ee, dropOldest, tail?): PushResult` — the
/// frame is `payload ‖ tail` (E2EE passes the tag as `tail`).
pub fn push_frame(env: Env, args: &CallArgs, sink: &mut impl FrameSink) -> JsResult<Value> {
    let handle = handle_arg(env, args, 0)?;
    let ext = read_extensions(env, args.get(2), args.get(3))?;
    let drop_oldest = if args.is_nullish(4)? { false } else { env.to_bool(args.get(4), "dropOldest")? };
    let has_tail = !args.is_nullish(5)?;
    // SAFETY: every getter ran above; both slices are copied before anything else happens.
    let payload = unsafe { args.bytes(1, "payload")? };
    let tail = if has_tail { unsafe { args.bytes(5, "tail")? } } else { &[] };
    let result = sink.push(handle, payload, tail, &ext, drop_oldest).map_err(error::local)?;
    env.u32(result as u32)
}

/// `pollTransmit(maxBytes, scratch?): {data, ends, frames} | null` — one buffer for the whole
/// batch, packets serialized straight into it. With a `scratch` Uint8Array that can hold the
/// batch, the batch is written into it (and is valid until the caller reuses it); otherwise a
/// fresh ArrayBuffer. A sender that copies each packet into the transport synchronously passes
/// the same scratch every time and allocates nothing per batch: at tens of MiB/s, a fresh
/// ArrayBuffer per batch is garbage only a major GC collects once the JS heap is quiet.
/// `ends` is reused per batch for the packet end offsets.
pub fn poll_transmit(env: Env, args: &CallArgs, source: &mut impl TransmitSource, ends: &mut Vec<u32>) -> JsResult<Value> {
    let max_bytes = env.to_usize(args.get(0), "maxBytes")?;
    let use_scratch = !args.is_nullish(1)?;
    if use_scratch {
        // Type-check before planning, so a bad argument leaves the queues untouched.
        env.uint8_array_raw(args.get(1), "scratch")?;
    }
    let Some(batch) = source.plan(max_bytes, Instant::now()) else {
        return env.null();
    };
    let shapes = Shapes::get(env)?;
    // Packets, then (4-byte aligned) their end offsets, in one buffer.
    let ends_at = batch.bytes.div_ceil(4) * 4;
    let total = ends_at + 4 * batch.packets;
    // SAFETY: no JS runs between borrowing the scratch bytes and the `shapes.batch` call below,
    // which comes after the last write.
    let scratch = if use_scratch { unsafe { env.uint8_array_mut(args.get(1), "scratch")? } } else { None };
    let mut fresh;
    let (ab, offset, target): (Value, usize, &mut [u8]) = match scratch {
        // The ends are read as a Uint32Array, so they must sit 4-byte aligned in the ArrayBuffer.
        Some((ab, offset, bytes)) if bytes.len() >= total && offset % 4 == 0 => (ab, offset, &mut bytes[..total]),
        _ => {
            fresh = shapes.out.alloc(env, total)?;
            let [ab, _, _] = Shapes::parts(env, &fresh)?;
            (ab, fresh.offset, fresh.bytes_mut())
        }
    };
    ends.clear();
    ends.resize(batch.packets, 0);
    let (data, rest) = target.split_at_mut(batch.bytes);
    let ok = source.write(data, ends);
    for (dst, end) in rest[ends_at - batch.bytes..].chunks_exact_mut(4).zip(ends.iter()) {
        dst.copy_from_slice(&end.to_ne_bytes());
    }
    if !ok {
        return Err(JsError::new("InvalidState", "transmit batch size mismatch"));
    }
    let args = [
        ab,
        env.count(offset as u64)?,
        env.count(batch.bytes as u64)?,
        env.count((offset + ends_at) as u64)?,
        env.count(batch.packets as u64)?,
        env.count(batch.frames as u64)?,
    ];
    env.call(shapes.batch, &args)
}

/// `handlePacket(packet): RemoteFrame[] | null`; bad bytes are only counted.
pub fn handle_packet(env: Env, args: &CallArgs, router: &mut impl PacketRouter) -> JsResult<Value> {
    let shapes = Shapes::get(env)?;
    // SAFETY: no JS code runs while the slice is alive (the frame is copied out first).
    let bytes = unsafe { args.bytes(0, "packet")? };
    let Some(out) = router.route(bytes) else { return env.null() };
    let (track_id, extensions) = (out.track_id, out.frame.extensions);
    let (payload, spare) = copy_payload(env, shapes, out.frame.payload)?;
    if let Some(buf) = spare {
        router.give_back(track_id, buf);
    }
    remote_frames_value(env, shapes, &payload, &extensions, track_id)
}
