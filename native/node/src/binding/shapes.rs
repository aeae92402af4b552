//! The objects the addon returns (and the two it only reads), as `#[napi(object)]` structs so
//! that `napi build` writes their TypeScript types. Byte outputs are `Unknown` typed in TS as
//! the Buffer/TypedArray they are, because they are built in place by `out.rs`.

use napi::bindgen_prelude::{BigInt, Uint32ArraySlice, Uint8ArraySlice};
use napi::{Env, Unknown};
use napi_derive::napi;

use super::error::Outcome;
use super::out;
use crate::packet::{E2eeExt, Extensions, FrameMarker, Header};
use crate::remote::{DropReason, FrameDrop};

#[napi(string_enum = "lowercase", js_name = "FrameMarker")]
pub enum JsFrameMarker {
    Single,
    Start,
    Inter,
    Final,
}

impl From<FrameMarker> for JsFrameMarker {
    fn from(m: FrameMarker) -> Self {
        match m {
            FrameMarker::Single => JsFrameMarker::Single,
            FrameMarker::Start => JsFrameMarker::Start,
            FrameMarker::Inter => JsFrameMarker::Inter,
            FrameMarker::Final => JsFrameMarker::Final,
        }
    }
}

#[napi(object, js_name = "E2eeExtension")]
pub struct E2eeExtension<'e> {
    /// Index into the publisher's key ring (u8).
    pub key_index: u32,
    /// 12-byte AES-GCM IV (a Buffer where the addon builds the object; a Uint8Array from handlePacket).
    #[napi(ts_type = "Uint8Array")]
    pub iv: Unknown<'e>,
}

#[napi(object, use_nullable = true)]
pub struct PacketHeader<'e> {
    pub marker: JsFrameMarker,
    pub handle: u32,
    pub sequence: u32,
    pub frame_number: u32,
    /// 90 kHz RTP-style timestamp (u32).
    pub timestamp: u32,
    #[napi(js_name = "e2ee")]
    pub e2ee: Option<E2eeExtension<'e>>,
    pub user_timestamp: Option<BigInt>,
}

#[napi(object)]
pub struct DecodedPacket<'e> {
    pub header: PacketHeader<'e>,
    #[napi(ts_type = "Buffer")]
    pub payload: Unknown<'e>,
}

#[napi(string_enum = "camelCase")]
pub enum DepacketizerDropReason {
    Interrupted,
    UnknownFrame,
    BufferFull,
    Incomplete,
}

#[napi(object)]
pub struct DepacketizerDrop {
    pub reason: DepacketizerDropReason,
    pub frame_number: u32,
    /// interrupted: the frame number that evicted it.
    pub new_frame_number: Option<u32>,
    /// incomplete: payloads buffered / expected.
    pub received: Option<u32>,
    pub expected: Option<u32>,
}

impl From<&FrameDrop> for DepacketizerDrop {
    fn from(d: &FrameDrop) -> Self {
        let mut drop = DepacketizerDrop {
            reason: DepacketizerDropReason::Interrupted,
            frame_number: d.frame_number.into(),
            new_frame_number: None,
            received: None,
            expected: None,
        };
        match d.reason {
            DropReason::Interrupted { new_frame_number } => drop.new_frame_number = Some(new_frame_number.into()),
            DropReason::UnknownFrame => drop.reason = DepacketizerDropReason::UnknownFrame,
            DropReason::BufferFull => drop.reason = DepacketizerDropReason::BufferFull,
            DropReason::Incomplete { received, expected } => {
                drop.reason = DepacketizerDropReason::Incomplete;
                drop.received = Some(received);
                drop.expected = Some(expected);
            }
        }
        drop
    }
}

#[napi(object, use_nullable = true)]
pub struct ReassembledFrame<'e> {
    #[napi(ts_type = "Buffer")]
    pub payload: Unknown<'e>,
    pub user_timestamp: Option<BigInt>,
    #[napi(js_name = "e2ee")]
    pub e2ee: Option<E2eeExtension<'e>>,
}

#[napi(object)]
pub struct DepacketizerPush<'e> {
    pub frames: Vec<ReassembledFrame<'e>>,
    pub drops: Vec<DepacketizerDrop>,
}

/// Built in JS (lib/native/binding.ts, from receivePacket), declared for its TypeScript type.
#[allow(dead_code)]
#[napi(object, use_nullable = true)]
pub struct RemoteFrame<'e> {
    #[napi(ts_type = "Buffer")]
    pub payload: Unknown<'e>,
    pub user_timestamp: Option<BigInt>,
    /// Set for an encrypted frame the addon did not open; the payload is ciphertext ‖ tag.
    #[napi(js_name = "e2ee")]
    pub e2ee: Option<E2eeExtension<'e>>,
    /// Set for an encrypted frame the addon opened (Subscriber.setOpenKey); the payload is the plaintext.
    pub opened: Option<OpenedFrame>,
    pub track_id: u32,
}

/// An encrypted frame the addon opened: its key index, and the id of the AesGcmKey that opened it.
#[allow(dead_code)]
#[napi(object)]
pub struct OpenedFrame {
    pub key_index: u32,
    pub key_id: u32,
}

/// Only read (by `new LocalManager`), declared for its TypeScript type.
#[allow(dead_code)]
#[napi(object)]
pub struct LocalManagerOptions {
    /// 41..65535, default 16000.
    pub mtu: Option<u32>,
    /// >= 1, default 16.
    pub queue_capacity: Option<u32>,
}

#[napi(object)]
pub struct LocalTrackInfo {
    pub handle: u32,
    pub sid: String,
    pub name: String,
    #[napi(js_name = "usesE2ee")]
    pub uses_e2ee: bool,
}

#[napi(object)]
pub struct LocalTrackStats {
    pub frames_sent: f64,
    /// Wire bytes of the packets produced (headers included), as the data channel sees them.
    pub bytes_sent: f64,
    pub packets_sent: f64,
    pub frames_dropped_queue_full: f64,
    pub frames_dropped_not_published: f64,
    pub queued_frames: f64,
}

#[napi(object)]
pub struct TransmitBatch<'e> {
    /// All packets back to back. Packet i is data.subarray(ends[i-1] ?? 0, ends[i]).
    pub data: Uint8ArraySlice<'e>,
    pub ends: Uint32ArraySlice<'e>,
    /// Number of whole frames in this batch.
    pub frames: u32,
}

/// How the frames of one pushFrames call fared, by PushResult.
#[napi(object)]
pub struct PushCounts {
    pub queued: u32,
    /// Queued after evicting the oldest queued frame (counted as framesDroppedQueueFull).
    pub queued_dropped_oldest: u32,
    /// Refused: the queue was full (LocalManager leaves it uncounted; Publisher counts it).
    pub full: u32,
    /// Dropped and counted as framesDroppedNotPublished.
    pub not_published: u32,
}

impl From<crate::local::PushCounts> for PushCounts {
    fn from(c: crate::local::PushCounts) -> Self {
        // At most one per frame, and a batch's ends are u32 offsets.
        let n = |c: usize| c as u32;
        PushCounts { queued: n(c.queued), queued_dropped_oldest: n(c.queued_dropped_oldest), full: n(c.full), not_published: n(c.not_published) }
    }
}

/// Only read (by updateParticipant), declared for its TypeScript type.
#[allow(dead_code)]
#[napi(object)]
pub struct RemoteTrackDescriptor {
    pub sid: String,
    pub pub_handle: u32,
    pub name: String,
    #[napi(js_name = "usesE2ee")]
    pub uses_e2ee: bool,
}

#[napi(object)]
pub struct TrackSid {
    pub track_id: u32,
    pub sid: String,
}

#[napi(object)]
pub struct TrackReassignment {
    pub track_id: u32,
    pub old_sid: String,
    pub new_sid: String,
}

#[napi(object)]
pub struct RemotePublicationChanges {
    /// New publications; trackId is stable for the life of the publication, across SID changes.
    pub published: Vec<TrackSid>,
    pub unpublished: Vec<TrackSid>,
    /// Same (identity, pubHandle, name, usesE2ee) with a new SID: the publisher did a full reconnect.
    pub reassigned: Vec<TrackReassignment>,
}

#[napi(object)]
pub struct RemoteTrackStats {
    pub frames_received: f64,
    /// Wire bytes of the packets routed to the track (headers included).
    pub bytes_received: f64,
    pub packets_received: f64,
    pub dropped_interrupted: f64,
    pub dropped_unknown_frame: f64,
    pub dropped_buffer_full: f64,
    pub dropped_incomplete: f64,
}

#[napi(object)]
pub struct RemoteManagerStats {
    /// Packets that failed to parse, by NativeErrorCode.
    pub malformed: std::collections::HashMap<String, f64>,
    /// Packets whose handle maps to no subscribed track.
    pub unknown_handle: f64,
}

/// Extensions of one frame of a ReceivedFrames batch.
#[napi(object, use_nullable = true)]
pub struct FrameExtensions<'e> {
    /// Index of the frame in the batch.
    pub frame: u32,
    pub user_timestamp: Option<BigInt>,
    #[napi(js_name = "e2ee")]
    pub e2ee: Option<E2eeExtension<'e>>,
}

/// Frames completed by RemoteManager.handlePackets: frame i is
/// data.subarray(ends[i-1] ?? 0, ends[i]) of track trackIds[i].
#[napi(object)]
pub struct ReceivedFrames<'e> {
    #[napi(ts_type = "Buffer")]
    pub data: Unknown<'e>,
    pub ends: Uint32ArraySlice<'e>,
    pub track_ids: Uint32ArraySlice<'e>,
    /// Only the frames that carry extensions, in order.
    pub extensions: Vec<FrameExtensions<'e>>,
}

pub fn user_timestamp(ext: &Extensions) -> Option<BigInt> {
    ext.user_timestamp.map(BigInt::from)
}

pub fn e2ee<'e>(env: &'e Env, ext: &Extensions) -> Outcome<Option<E2eeExtension<'e>>> {
    let Some(E2eeExt { key_index, iv }) = ext.e2ee else { return Ok(None) };
    let iv = out::buffer(env, iv.len(), |out| out.copy_from_slice(&iv))?;
    Ok(Some(E2eeExtension { key_index: key_index.into(), iv }))
}

pub fn header<'e>(env: &'e Env, h: &Header) -> Outcome<PacketHeader<'e>> {
    Ok(PacketHeader {
        marker: h.marker.into(),
        handle: h.handle.into(),
        sequence: h.sequence.into(),
        frame_number: h.frame_number.into(),
        timestamp: h.timestamp,
        e2ee: e2ee(env, &h.extensions)?,
        user_timestamp: user_timestamp(&h.extensions),
    })
}

/// A counter as a JS number: exact up to 2^53, far beyond what a connection counts.
pub fn count(n: u64) -> f64 {
    n as f64
}
