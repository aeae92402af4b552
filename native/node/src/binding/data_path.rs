//! The data paths that the managers and the state machines over them share: frames in and
//! packetized batches out on the publishing side, packets in on the subscribing side.

use std::time::Instant;

use napi::bindgen_prelude::{Uint32ArraySlice, Uint8ArraySlice};
use napi::{Env, Unknown};

use super::args;
use super::error::{Failure, Outcome};
use super::out;
use super::shapes::{self, RemoteFrame, TransmitBatch};
use crate::local::{self, LocalManagerError, PushResult};
use crate::packet::Extensions;
use crate::remote::{self, PacketOutcome};

/// `LocalManager` and the `Publisher` over it.
pub trait LocalDataPath {
    fn push(&mut self, handle: u16, payload: &[u8], tail: &[u8], ext: &Extensions, drop_oldest: bool)
        -> Result<PushResult, LocalManagerError>;
    fn plan(&mut self, max_bytes: usize, now: Instant) -> Option<local::TransmitBatch>;
    fn write(&mut self, data: &mut [u8], ends: &mut [u32]) -> bool;
}

impl LocalDataPath for local::LocalManager {
    fn push(&mut self, handle: u16, payload: &[u8], tail: &[u8], ext: &Extensions, drop_oldest: bool) -> Result<PushResult, LocalManagerError> {
        self.push_frame_parts(handle, payload, tail, ext, drop_oldest)
    }
    fn plan(&mut self, max_bytes: usize, now: Instant) -> Option<local::TransmitBatch> {
        self.plan_transmit(max_bytes, now)
    }
    fn write(&mut self, data: &mut [u8], ends: &mut [u32]) -> bool {
        self.write_transmit(data, ends)
    }
}

impl LocalDataPath for local::Publisher {
    fn push(&mut self, handle: u16, payload: &[u8], tail: &[u8], ext: &Extensions, drop_oldest: bool) -> Result<PushResult, LocalManagerError> {
        self.push_frame(handle, payload, tail, ext, drop_oldest)
    }
    fn plan(&mut self, max_bytes: usize, now: Instant) -> Option<local::TransmitBatch> {
        self.plan_transmit(max_bytes, now)
    }
    fn write(&mut self, data: &mut [u8], ends: &mut [u32]) -> bool {
        self.write_transmit(data, ends)
    }
}

/// `RemoteManager` and the `Subscriber` over it.
pub trait RemoteDataPath {
    fn route<'a>(&mut self, packet: &'a [u8]) -> Option<PacketOutcome<'a>>;
    fn give_back(&mut self, track_id: u32, buf: Vec<u8>);
}

impl RemoteDataPath for remote::RemoteManager {
    fn route<'a>(&mut self, packet: &'a [u8]) -> Option<PacketOutcome<'a>> {
        self.handle_packet(packet)
    }
    fn give_back(&mut self, track_id: u32, buf: Vec<u8>) {
        self.reuse_buffer(track_id, buf);
    }
}

impl RemoteDataPath for remote::Subscriber {
    fn route<'a>(&mut self, packet: &'a [u8]) -> Option<PacketOutcome<'a>> {
        self.handle_packet(packet)
    }
    fn give_back(&mut self, track_id: u32, buf: Vec<u8>) {
        self.reuse_buffer(track_id, buf);
    }
}

/// pushFrame's arguments, read in this order because the byte borrows must come last.
pub fn push_frame(
    path: &mut impl LocalDataPath,
    handle: &Unknown,
    payload: &Unknown,
    user_timestamp: &Unknown,
    e2ee: &Unknown,
    drop_oldest: &Unknown,
    tail: &Unknown,
) -> Outcome<u32> {
    let handle = args::u16_in(handle, "handle", 1)?;
    let ext = args::extensions(user_timestamp, e2ee)?;
    let drop_oldest = !args::is_nullish(drop_oldest)? && args::boolean(drop_oldest, "dropOldest")?;
    let tail = if args::is_nullish(tail)? { None } else { Some(args::bytes(tail, "tail")?) };
    let payload = args::bytes(payload, "payload")?;
    let tail = tail.as_deref().unwrap_or(&[]);
    Ok(path.push(handle, &payload, tail, &ext, drop_oldest)? as u32)
}

/// pollTransmit: `ends` is reused per batch for the packet end offsets.
pub fn poll_transmit<'e>(
    env: &'e Env,
    path: &mut impl LocalDataPath,
    ends: &mut Vec<u32>,
    max_bytes: &Unknown<'e>,
    scratch: &Unknown<'e>,
) -> Outcome<Option<TransmitBatch<'e>>> {
    let max_bytes = args::size(max_bytes, "maxBytes")?;
    // Type-checked before planning, so a bad argument leaves the queues untouched.
    let scratch = if args::is_nullish(scratch)? { None } else { Some(args::writable_view(scratch, "scratch")?) };
    let Some(batch) = path.plan(max_bytes, Instant::now()) else { return Ok(None) };
    // Packets, then (4-byte aligned, as a Uint32Array needs) their end offsets.
    let ends_at = batch.bytes.div_ceil(4) * 4;
    let total = ends_at + 4 * batch.packets;
    ends.clear();
    ends.resize(batch.packets, 0);
    let mut written = false;
    let mut write = |target: &mut [u8]| {
        let (data, rest) = target.split_at_mut(batch.bytes);
        written = path.write(data, ends);
        for (dst, end) in rest[ends_at - batch.bytes..].chunks_exact_mut(4).zip(ends.iter()) {
            dst.copy_from_slice(&end.to_ne_bytes());
        }
    };
    let (buffer, offset) = match scratch {
        Some((mut view, buffer, offset)) if view.len() >= total && offset % 4 == 0 => {
            // SAFETY: no JS runs while this slice is alive; it is the only view of the
            // scratch memory we hold.
            write(unsafe { &mut view.as_mut()[..total] });
            (buffer, offset)
        }
        _ => (out::arraybuffer(env, total, write)?, 0),
    };
    if !written {
        return Err(Failure::new("InvalidState", "transmit batch size mismatch"));
    }
    Ok(Some(TransmitBatch {
        data: Uint8ArraySlice::from_arraybuffer(&buffer, offset, batch.bytes)?,
        ends: Uint32ArraySlice::from_arraybuffer(&buffer, offset + ends_at, batch.packets)?,
        frames: batch.frames as u32,
    }))
}

/// handlePacket: the frame a packet completed, if any; bad bytes are only counted.
pub fn handle_packet<'e>(env: &'e Env, path: &mut impl RemoteDataPath, packet: &Unknown<'e>) -> Outcome<Option<Vec<RemoteFrame<'e>>>> {
    let bytes = args::bytes(packet, "packet")?;
    let Some(outcome) = path.route(&bytes) else { return Ok(None) };
    let (track_id, frame) = (outcome.track_id, outcome.frame);
    let payload = frame.payload.as_slice();
    let payload = out::buffer(env, payload.len(), |out| out.copy_from_slice(payload))?;
    let extensions = frame.extensions;
    if let remote::Payload::Owned(buf) = frame.payload {
        path.give_back(track_id, buf);
    }
    Ok(Some(vec![RemoteFrame {
        payload,
        user_timestamp: shapes::user_timestamp(&extensions),
        e2ee: shapes::e2ee(env, &extensions)?,
        track_id,
    }]))
}
