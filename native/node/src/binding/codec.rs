//! encodePacket, decodePacket, forwardPacket, forwardPacketInto.

use napi::{Env, Unknown};
use napi_derive::napi;

use super::args;
use super::error::{entry, Failure};
use super::out;
use super::shapes::{self, DecodedPacket};
use crate::packet::{deserialize, ForwardPlan};

#[napi(catch_unwind, ts_return_type = "Buffer")]
pub fn encode_packet<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "PacketHeader")] header: Unknown<'e>,
    #[napi(ts_arg_type = "Uint8Array")] payload: Unknown<'e>,
) -> napi::Result<Unknown<'e>> {
    entry(env, || {
        let header = args::header(&header)?;
        let payload = args::bytes(&payload, "payload")?;
        let len = header.serialized_len() + payload.len();
        let mut written = None;
        let packet = out::buffer(env, len, |out| written = header.write_packet(&payload, out))?;
        match written {
            Some(n) if n == len => Ok(packet),
            _ => Err(Failure::new("InvalidState", "packet serialization size mismatch")),
        }
    })
}

#[napi(catch_unwind)]
pub fn decode_packet<'e>(env: &'e Env, #[napi(ts_arg_type = "Uint8Array")] packet: Unknown<'e>) -> napi::Result<DecodedPacket<'e>> {
    entry(env, || {
        let bytes = args::bytes(&packet, "packet")?;
        let packet = deserialize(&bytes)?;
        let payload = out::buffer(env, packet.payload.len(), |out| out.copy_from_slice(packet.payload))?;
        Ok(DecodedPacket { header: shapes::header(env, &packet.header)?, payload })
    })
}

/// SFU forwarding: the packet with its handle replaced, re-serialized as LiveKit's SFU does
/// (reserved bits cleared, extension block re-emitted canonically). Throws codec errors.
#[napi(catch_unwind, ts_return_type = "Buffer")]
pub fn forward_packet<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "Uint8Array")] packet: Unknown<'e>,
    #[napi(ts_arg_type = "number")] new_handle: Unknown<'e>,
) -> napi::Result<Unknown<'e>> {
    entry(env, || {
        let new_handle = args::u16_in(&new_handle, "newHandle", 1)?;
        let bytes = args::bytes(&packet, "packet")?;
        let plan = ForwardPlan::parse(&bytes)?;
        let mut ok = None;
        let out = out::buffer(env, plan.output_len(), |out| ok = plan.write(&bytes, new_handle, out))?;
        ok.ok_or_else(|| Failure::new("InvalidState", "forwarding size mismatch"))?;
        Ok(out)
    })
}

/// forwardPacket written into `out` (which must not overlap `packet`); returns the length.
/// InvalidArgument if `out` is too small. For an SFU that sends each copy synchronously: one
/// reused buffer instead of a fresh ArrayBuffer per packet per subscriber, garbage that V8
/// otherwise collects with major GCs at tens of MiB/s.
#[napi(catch_unwind)]
pub fn forward_packet_into<'e>(
    env: &'e Env,
    #[napi(ts_arg_type = "Uint8Array")] packet: Unknown<'e>,
    #[napi(ts_arg_type = "number")] new_handle: Unknown<'e>,
    #[napi(ts_arg_type = "Uint8Array")] out: Unknown<'e>,
) -> napi::Result<u32> {
    entry(env, || {
        let new_handle = args::u16_in(&new_handle, "newHandle", 1)?;
        let mut out = args::uint8_array(&out, "out")?;
        let bytes = args::bytes(&packet, "packet")?;
        let plan = ForwardPlan::parse(&bytes)?;
        let len = plan.output_len();
        if out.len() < len {
            return Err(Failure::invalid_argument(format!("out must hold at least {len} bytes")));
        }
        let (input, output) = (bytes.as_ptr_range(), out.as_ptr_range());
        if output.start < input.end && input.start < output.end {
            return Err(Failure::invalid_argument("out must not overlap packet"));
        }
        // SAFETY: no JS runs while this slice is alive, and it does not overlap `bytes` (checked
        // above), the only other view of JS memory we hold.
        let target = unsafe { out.as_mut() };
        plan.write(&bytes, new_handle, &mut target[..len])
            .ok_or_else(|| Failure::new("InvalidState", "forwarding size mismatch"))?;
        Ok(len as u32)
    })
}

/// Test hook: panics inside the addon; must surface as a thrown Error with code 'Panic'.
#[napi(catch_unwind, js_name = "__panicForTest")]
pub fn panic_for_test(env: &Env) -> napi::Result<()> {
    entry(env, || panic!("__panicForTest: deliberate panic"))
}
