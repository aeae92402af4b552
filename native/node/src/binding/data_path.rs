//! The data paths that the managers and the state machines over them share: frames in and
//! packetized batches out on the publishing side, packets in on the subscribing side.

use std::time::Instant;

use napi::bindgen_prelude::{Uint32ArraySlice, Uint8ArraySlice};
use napi::{Env, Unknown};
use napi_derive::napi;

use super::args;
use super::error::{Failure, Outcome};
use super::out;
use super::shapes::TransmitBatch;
use super::aes_gcm::{self, FrameSeal, OpenKeys};
use crate::local::{self, LocalManagerError, PushResult, SealInPlace};
use crate::packet::{E2eeExt, Extensions};
use crate::remote::{self, PacketOutcome};

/// `LocalManager` and the `Publisher` over it.
pub trait LocalDataPath {
    fn push(&mut self, handle: u16, payload: &[u8], seal: Option<&dyn SealInPlace>, ext: &Extensions, drop_oldest: bool)
        -> Result<PushResult, LocalManagerError>;
    fn plan(&mut self, max_bytes: usize, now: Instant) -> Option<local::TransmitBatch>;
    fn write(&mut self, data: &mut [u8], ends: &mut [u32]) -> bool;
}

impl LocalDataPath for local::LocalManager {
    fn push(&mut self, handle: u16, payload: &[u8], seal: Option<&dyn SealInPlace>, ext: &Extensions, drop_oldest: bool) -> Result<PushResult, LocalManagerError> {
        self.push_frame_sealed(handle, payload, seal, ext, drop_oldest)
    }
    fn plan(&mut self, max_bytes: usize, now: Instant) -> Option<local::TransmitBatch> {
        self.plan_transmit(max_bytes, now)
    }
    fn write(&mut self, data: &mut [u8], ends: &mut [u32]) -> bool {
        self.write_transmit(data, ends)
    }
}

impl LocalDataPath for local::Publisher {
    fn push(&mut self, handle: u16, payload: &[u8], seal: Option<&dyn SealInPlace>, ext: &Extensions, drop_oldest: bool) -> Result<PushResult, LocalManagerError> {
        self.push_frame(handle, payload, seal, ext, drop_oldest)
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
    seal_with: &Unknown,
) -> Outcome<u32> {
    let handle = args::u16_in(handle, "handle", 1)?;
    let drop_oldest = !args::is_nullish(drop_oldest)? && args::boolean(drop_oldest, "dropOldest")?;
    let seal = if args::is_nullish(seal_with)? {
        None
    } else {
        let id = args::integer_in(seal_with, "sealWith", 1, u32::MAX)?;
        Some(FrameSeal::new(id)?)
    };
    let ext = match &seal {
        // Sealed here: `e2ee` is the key index alone and the IV is this frame's.
        Some(seal) => Extensions {
            e2ee: Some(E2eeExt { key_index: args::integer_in(e2ee, "e2ee (the key index)", 0, 255)? as u8, iv: seal.iv() }),
            user_timestamp: args::user_timestamp(user_timestamp)?,
        },
        None => args::extensions(user_timestamp, e2ee)?,
    };
    let payload = args::bytes(payload, "payload")?;
    Ok(path.push(handle, &payload, seal.as_ref().map(|s| s as &dyn SealInPlace), &ext, drop_oldest)? as u32)
}

/// pollTransmit: the next batch in a fresh ArrayBuffer; `ends` is reused per batch for the
/// packet end offsets. (The data path's own sender uses transmitInto.)
pub fn poll_transmit<'e>(
    env: &'e Env,
    path: &mut impl LocalDataPath,
    ends: &mut Vec<u32>,
    max_bytes: &Unknown<'e>,
) -> Outcome<Option<TransmitBatch<'e>>> {
    let max_bytes = args::size(max_bytes, "maxBytes")?;
    let Some(batch) = path.plan(max_bytes, Instant::now()) else { return Ok(None) };
    // Packets, then (4-byte aligned, as a Uint32Array needs) their end offsets.
    let ends_at = batch.bytes.div_ceil(4) * 4;
    let total = ends_at + 4 * batch.packets;
    ends.clear();
    ends.resize(batch.packets, 0);
    let mut written = false;
    let buffer = out::arraybuffer(env, total, |target: &mut [u8]| {
        let (data, rest) = target.split_at_mut(batch.bytes);
        written = path.write(data, ends);
        for (dst, end) in rest[ends_at - batch.bytes..].chunks_exact_mut(4).zip(ends.iter()) {
            dst.copy_from_slice(&end.to_ne_bytes());
        }
    })?;
    if !written {
        return Err(Failure::new("InvalidState", "transmit batch size mismatch"));
    }
    Ok(Some(TransmitBatch {
        data: Uint8ArraySlice::from_arraybuffer(&buffer, 0, batch.bytes)?,
        ends: Uint32ArraySlice::from_arraybuffer(&buffer, ends_at, batch.packets)?,
        frames: batch.frames as u32,
    }))
}

/// transmitInto: the next batch written into the caller's `out`, which the caller reuses for
/// every batch: the packets' end offsets in words 0..n, then the packets back to back from byte
/// 4n on. Returns n, 0 when nothing is ready. Unlike pollTransmit it makes no object and no view
/// per batch: on an idle channel, sending one small frame cost a publisher about as much in those
/// as in the send itself. A batch larger than `out` is dropped and reported: the caller sizes
/// `out` for `maxBytes` plus its largest frame.
pub fn transmit_into(path: &mut impl LocalDataPath, max_bytes: &Unknown, out: &Unknown) -> Outcome<u32> {
    let max_bytes = args::size(max_bytes, "maxBytes")?;
    let mut out = args::uint32_array(out, "out")?;
    let Some(batch) = path.plan(max_bytes, Instant::now()) else { return Ok(0) };
    // SAFETY: no JS runs while this slice is alive; it is the only view of `out` we hold.
    let words = unsafe { out.as_mut() };
    let needed = batch.packets + batch.bytes.div_ceil(4);
    if needed > words.len() {
        // Writing into nothing drops the planned batch.
        path.write(&mut [], &mut []);
        return Err(Failure::invalid_argument(format!(
            "out holds {} words, and the next batch needs {needed}: size it for maxBytes plus the largest frame",
            words.len()
        )));
    }
    let (ends, rest) = words.split_at_mut(batch.packets);
    // SAFETY: `rest` is initialized memory of at least `batch.bytes` bytes (checked above), and
    // u8 has no alignment or validity requirements.
    let data = unsafe { std::slice::from_raw_parts_mut(rest.as_mut_ptr().cast::<u8>(), batch.bytes) };
    if !path.write(data, ends) {
        return Err(Failure::new("InvalidState", "transmit batch size mismatch"));
    }
    Ok(batch.packets as u32)
}

/// Where receivePacket describes the frame it returns, in words of the caller's `info`
/// Uint32Array (for JS: frameInfoLayout()).
pub mod frame_info {
    pub const TRACK_ID: usize = 0;
    /// Bit USER_TIMESTAMP_SET: words USER_TIMESTAMP.. hold it; bit E2EE_SET: KEY_INDEX and IV.
    pub const FLAGS: usize = 1;
    /// A u64 in native byte order, 8-byte aligned (a BigUint64Array over `info` reads it at 1).
    pub const USER_TIMESTAMP: usize = 2;
    pub const KEY_INDEX: usize = 4;
    /// The 12 IV bytes, in order.
    pub const IV: usize = 5;
    /// The payload's place in the returned ArrayBuffer.
    pub const PAYLOAD_OFFSET: usize = 8;
    pub const PAYLOAD_LENGTH: usize = 9;
    /// The id of the AesGcmKey that opened the frame in the call (its payload is then the
    /// plaintext, and KEY_INDEX still names the key's index); 0 if it was not opened.
    pub const OPENED_WITH: usize = 10;
    /// Even: a BigUint64Array views the same buffer (USER_TIMESTAMP).
    pub const WORDS: usize = 12;
    pub const USER_TIMESTAMP_SET: u32 = 1;
    pub const E2EE_SET: u32 = 2;
}

/// The `frame_info` layout for JS (words, and the FLAGS bits).
#[napi(object)]
pub struct FrameInfoLayout {
    pub track_id: u32,
    pub flags: u32,
    pub user_timestamp: u32,
    pub key_index: u32,
    pub iv: u32,
    pub payload_offset: u32,
    pub payload_length: u32,
    pub opened_with: u32,
    pub words: u32,
    pub user_timestamp_set: u32,
    #[napi(js_name = "e2eeSet")]
    pub e2ee_set: u32,
}

#[napi]
pub fn frame_info_layout() -> FrameInfoLayout {
    use frame_info as f;
    let w = |i: usize| i as u32;
    FrameInfoLayout {
        track_id: w(f::TRACK_ID),
        flags: w(f::FLAGS),
        user_timestamp: w(f::USER_TIMESTAMP),
        key_index: w(f::KEY_INDEX),
        iv: w(f::IV),
        payload_offset: w(f::PAYLOAD_OFFSET),
        payload_length: w(f::PAYLOAD_LENGTH),
        opened_with: w(f::OPENED_WITH),
        words: w(f::WORDS),
        user_timestamp_set: f::USER_TIMESTAMP_SET,
        e2ee_set: f::E2EE_SET,
    }
}

/// receivePacket: the frame a packet completed, if any, as the ArrayBuffer holding its payload,
/// the rest written into `info` (see `frame_info`); bad bytes are only counted. One packet
/// completes at most one frame, and returning bytes plus a few numbers costs far less than
/// building a result object property by property here. An encrypted frame is opened here if
/// `open_keys` has a key for its track and key index and the frame authenticates under it.
pub fn receive_packet<'e>(
    env: &'e Env,
    path: &mut impl RemoteDataPath,
    open_keys: Option<&OpenKeys>,
    packet: &Unknown<'e>,
    info: &Unknown<'e>,
) -> Outcome<Option<Unknown<'e>>> {
    let mut info = args::uint32_array(info, "info")?;
    if info.len() < frame_info::WORDS {
        return Err(Failure::invalid_argument(format!("info must hold {} words", frame_info::WORDS)));
    }
    let bytes = args::bytes(packet, "packet")?;
    let Some(outcome) = path.route(&bytes) else {
        return Ok(None);
    };
    let (track_id, frame) = (outcome.track_id, outcome.frame);
    let payload = frame.payload.as_slice();
    let len = payload.len();
    let extensions = frame.extensions;
    let open_with = match (open_keys, &extensions.e2ee) {
        (Some(keys), Some(e2ee)) => keys.key_for(track_id, e2ee.key_index).map(|(id, key)| (id, key, e2ee.iv)),
        _ => None,
    };
    let mut opened_with = 0;
    let (buffer, offset) = out::slab_bytes(env, len, |out| {
        out.copy_from_slice(payload);
        if let Some((id, key, iv)) = &open_with {
            if aes_gcm::open_copy_or_restore(key, *iv, payload, out) {
                opened_with = *id;
            }
        }
    })?;
    if let remote::Payload::Owned(buf) = frame.payload {
        path.give_back(track_id, buf);
    }
    // The handle has no destructor, so this only moves it: the point is that the compiler then refuses
    // any later read of the packet's bytes, which could share memory with `info`.
    #[allow(clippy::drop_non_drop)]
    drop(bytes);
    // SAFETY: no JS runs while this slice is alive, and the packet's bytes are no longer read (above).
    let info = unsafe { info.as_mut() };
    let mut flags = 0;
    if let Some(stamp) = extensions.user_timestamp {
        flags |= frame_info::USER_TIMESTAMP_SET;
        put_bytes(&mut info[frame_info::USER_TIMESTAMP..], &stamp.to_ne_bytes());
    }
    if let Some(E2eeExt { key_index, iv }) = extensions.e2ee {
        flags |= frame_info::E2EE_SET;
        info[frame_info::KEY_INDEX] = key_index.into();
        put_bytes(&mut info[frame_info::IV..], &iv);
    }
    info[frame_info::TRACK_ID] = track_id;
    info[frame_info::FLAGS] = flags;
    info[frame_info::PAYLOAD_OFFSET] = offset as u32;
    info[frame_info::PAYLOAD_LENGTH] = (if opened_with != 0 { len - aes_gcm::TAG_LEN } else { len }) as u32;
    info[frame_info::OPENED_WITH] = opened_with;
    Ok(Some(buffer))
}

/// `bytes` (a multiple of 4 long) into `words` as they lie in memory.
fn put_bytes(words: &mut [u32], bytes: &[u8]) {
    for (dst, w) in words.iter_mut().zip(bytes.chunks_exact(4)) {
        *dst = u32::from_ne_bytes([w[0], w[1], w[2], w[3]]);
    }
}
