//! Packet headers, extensions, frames and drops as JS values (shapes from binding.ts).

use super::shapes::Shapes;
use crate::napi::{Env, JsError, JsResult, OutBytes, Value};
use crate::packet::{E2eeExt, Extensions, FrameMarker, Header};
use crate::remote::{DropReason, FrameDrop, Payload};

/// `userTimestamp: bigint | null` and `e2ee: {keyIndex, iv} | null` (undefined counts as null).
pub fn read_extensions(env: Env, user_timestamp: Value, e2ee: Value) -> JsResult<Extensions> {
    let user_timestamp = if env.is_nullish(user_timestamp)? {
        None
    } else {
        Some(env.to_u64_bigint(user_timestamp, "userTimestamp")?)
    };
    let e2ee = if env.is_nullish(e2ee)? {
        None
    } else {
        let key_index = env.get(e2ee, c"keyIndex", "e2ee")?;
        let key_index = env.to_u32_in(key_index, "e2ee.keyIndex", 0, 255)? as u8;
        let iv = env.get(e2ee, c"iv", "e2ee")?;
        let iv = env.to_byte_array::<12>(iv, "e2ee.iv")?;
        Some(E2eeExt { key_index, iv })
    };
    Ok(Extensions { e2ee, user_timestamp })
}

pub fn read_header(env: Env, v: Value) -> JsResult<Header> {
    let marker = env.get(v, c"marker", "header")?;
    let marker = env.to_string(marker, "header.marker")?;
    let marker = FrameMarker::parse(&marker)
        .ok_or_else(|| JsError::invalid_argument("header.marker must be 'single', 'start', 'inter' or 'final'"))?;
    let handle = env.to_u16_in(env.get(v, c"handle", "header")?, "header.handle", 1, u16::MAX)?;
    let sequence = env.to_u16_in(env.get(v, c"sequence", "header")?, "header.sequence", 0, u16::MAX)?;
    let frame_number = env.to_u16_in(env.get(v, c"frameNumber", "header")?, "header.frameNumber", 0, u16::MAX)?;
    let timestamp = env.to_u32_in(env.get(v, c"timestamp", "header")?, "header.timestamp", 0, u32::MAX)?;
    let extensions = read_extensions(env, env.get(v, c"userTimestamp", "header")?, env.get(v, c"e2ee", "header")?)?;
    Ok(Header { marker, handle, sequence, frame_number, timestamp, extensions })
}

fn e2ee_value(env: Env, shapes: &Shapes, e2ee: &Option<E2eeExt>) -> JsResult<Value> {
    match e2ee {
        None => env.null(),
        Some(e) => {
            let mut iv = shapes.out.alloc(env, e.iv.len())?;
            iv.bytes_mut().copy_from_slice(&e.iv);
            env.call(shapes.e2ee, &[env.u32(e.key_index.into())?, iv.ab, env.count(iv.offset as u64)?])
        }
    }
}

fn user_timestamp_value(env: Env, ts: Option<u64>) -> JsResult<Value> {
    match ts {
        None => env.null(),
        Some(ts) => env.bigint_u64(ts),
    }
}

pub fn header_value(env: Env, shapes: &Shapes, h: &Header) -> JsResult<Value> {
    let args = [
        env.u32(h.marker as u32)?,
        env.u32(h.handle.into())?,
        env.u32(h.sequence.into())?,
        env.u32(h.frame_number.into())?,
        env.u32(h.timestamp)?,
        e2ee_value(env, shapes, &h.extensions.e2ee)?,
        user_timestamp_value(env, h.extensions.user_timestamp)?,
    ];
    env.call(shapes.header, &args)
}

/// Copies a frame's bytes into a JS ArrayBuffer and returns the reassembly buffer (if the frame
/// had one) so the caller can give it back to its depacketizer.
pub fn copy_payload(env: Env, shapes: &Shapes, payload: Payload<'_>) -> JsResult<(OutBytes, Option<Vec<u8>>)> {
    let mut out = shapes.out.alloc(env, payload.len())?;
    out.bytes_mut().copy_from_slice(payload.as_slice());
    let spare = match payload {
        Payload::Borrowed(_) => None,
        Payload::Owned(vec) => Some(vec),
    };
    Ok((out, spare))
}

/// `{payload, userTimestamp, e2ee}`.
pub fn frame_value(env: Env, shapes: &Shapes, payload: &OutBytes, ext: &Extensions) -> JsResult<Value> {
    let [ab, off, len] = Shapes::parts(env, payload)?;
    let args = [ab, off, len, user_timestamp_value(env, ext.user_timestamp)?, e2ee_value(env, shapes, &ext.e2ee)?];
    env.call(shapes.frame, &args)
}

/// `[{payload, userTimestamp, e2ee, trackId}]`: the one-frame result of handlePacket.
pub fn remote_frames_value(env: Env, shapes: &Shapes, payload: &OutBytes, ext: &Extensions, track_id: u32) -> JsResult<Value> {
    let [ab, off, len] = Shapes::parts(env, payload)?;
    if ext.is_empty() {
        return env.call(shapes.remote_frames_plain, &[ab, off, len, env.u32(track_id)?]);
    }
    let args = [
        ab,
        off,
        len,
        user_timestamp_value(env, ext.user_timestamp)?,
        e2ee_value(env, shapes, &ext.e2ee)?,
        env.u32(track_id)?,
    ];
    env.call(shapes.remote_frames, &args)
}

pub fn drop_value(env: Env, shapes: &Shapes, d: &FrameDrop) -> JsResult<Value> {
    let (reason, a, b) = match d.reason {
        DropReason::Interrupted { new_frame_number } => (0, new_frame_number.into(), 0),
        DropReason::UnknownFrame => (1, 0, 0),
        DropReason::BufferFull => (2, 0, 0),
        DropReason::Incomplete { received, expected } => (3, received, expected),
    };
    env.call(shapes.drop, &[env.u32(reason)?, env.u32(d.frame_number.into())?, env.u32(a)?, env.u32(b)?])
}
