//! encodePacket, decodePacket, forwardPacket, forwardPacketInto.

use super::convert::{header_value, read_header};
use super::error;
use super::shapes::Shapes;
use crate::napi::{CallArgs, Env, JsError, JsResult, Value};
use crate::packet::{deserialize, ForwardPlan};

pub fn encode_packet(env: Env, args: &CallArgs) -> JsResult<Value> {
    let header = read_header(env, args.get(0))?;
    let shapes = Shapes::get(env)?;
    // SAFETY: all getters ran above; only allocation happens while the slice is alive.
    let payload = unsafe { args.bytes(1, "payload")? };
    let len = header.serialized_len() + payload.len();
    let mut written = None;
    let out = shapes.buffer_with(env, len, |out| written = header.write_packet(payload, out))?;
    match written {
        Some(n) if n == len => Ok(out),
        _ => Err(JsError::new("InvalidState", "packet serialization size mismatch")),
    }
}

pub fn decode_packet(env: Env, args: &CallArgs) -> JsResult<Value> {
    let shapes = Shapes::get(env)?;
    // SAFETY: no JS code runs while the slice is alive (the payload is copied out first).
    let bytes = unsafe { args.bytes(0, "packet")? };
    let packet = deserialize(bytes).map_err(error::codec)?;
    let mut payload = shapes.out.alloc(env, packet.payload.len())?;
    payload.bytes_mut().copy_from_slice(packet.payload);
    let header = header_value(env, shapes, &packet.header)?;
    let [ab, off, len] = Shapes::parts(env, &payload)?;
    env.call(shapes.decoded, &[header, ab, off, len])
}

pub fn forward_packet(env: Env, args: &CallArgs) -> JsResult<Value> {
    let new_handle = env.to_u16_in(args.get(1), "newHandle", 1, u16::MAX)?;
    let shapes = Shapes::get(env)?;
    // SAFETY: no JS code runs while the slice is alive.
    let bytes = unsafe { args.bytes(0, "packet")? };
    let plan = ForwardPlan::parse(bytes).map_err(error::codec)?;
    let mut ok = None;
    let out = shapes.buffer_with(env, plan.output_len(), |out| ok = plan.write(bytes, new_handle, out))?;
    ok.ok_or_else(|| JsError::new("InvalidState", "forwarding size mismatch"))?;
    Ok(out)
}

/// `forwardPacketInto(packet, newHandle, out): number` — forwardPacket written into the caller's
/// buffer; returns the length. For an SFU that sends each copy synchronously (the transport copies
/// it): one reused buffer instead of a fresh ArrayBuffer per packet per subscriber, which at tens
/// of MiB/s is garbage that V8 otherwise collects with major GCs.
pub fn forward_packet_into(env: Env, args: &CallArgs) -> JsResult<Value> {
    let new_handle = env.to_u16_in(args.get(1), "newHandle", 1, u16::MAX)?;
    let (_, _, out_ptr, out_len) = env.uint8_array_raw(args.get(2), "out")?;
    // SAFETY: no JS code runs while the slices are alive; `out` is only borrowed once it is known
    // not to overlap `packet`.
    let bytes = unsafe { args.bytes(0, "packet")? };
    let plan = ForwardPlan::parse(bytes).map_err(error::codec)?;
    let len = plan.output_len();
    if out_len < len {
        return Err(JsError::invalid_argument(format!("out must hold at least {len} bytes")));
    }
    let input = bytes.as_ptr_range();
    let (out_start, out_end) = (out_ptr as *const u8, out_ptr.wrapping_add(out_len) as *const u8);
    if out_start < input.end && input.start < out_end {
        return Err(JsError::invalid_argument("out must not overlap packet"));
    }
    let out = unsafe { std::slice::from_raw_parts_mut(out_ptr, len) };
    plan.write(bytes, new_handle, out).ok_or_else(|| JsError::new("InvalidState", "forwarding size mismatch"))?;
    env.u32(len as u32)
}
