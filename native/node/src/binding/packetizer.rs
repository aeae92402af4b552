use std::time::Instant;

use super::convert::read_extensions;
use super::error;
use super::shapes::Shapes;
use crate::local::{Packetizer, DEFAULT_MTU};
use crate::napi::sys::napi_type_tag;
use crate::napi::{CallArgs, Env, JsClass, JsResult, MethodImpl, Value};

/// `new Packetizer(handle, mtu = 16000)`.
pub struct JsPacketizer(Packetizer);

impl JsClass for JsPacketizer {
    const NAME: &'static std::ffi::CStr = c"Packetizer";
    const TAG: napi_type_tag = napi_type_tag { lower: 0x6c6b_6474_7061_636b, upper: 0x0001 };

    fn construct(env: Env, args: &CallArgs) -> JsResult<Self> {
        let handle = env.to_u16_in(args.get(0), "handle", 1, u16::MAX)?;
        let mtu = if args.is_nullish(1)? { DEFAULT_MTU } else { env.to_usize(args.get(1), "mtu")? };
        Ok(JsPacketizer(Packetizer::new(handle, mtu, Instant::now())))
    }

    fn methods() -> &'static [(&'static std::ffi::CStr, MethodImpl<Self>)] {
        &[(c"packetize", Self::packetize)]
    }
}

impl JsPacketizer {
    /// `packetize(payload, userTimestamp, e2ee): Buffer[]`
    fn packetize(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let ext = read_extensions(env, args.get(1), args.get(2))?;
        let shapes = Shapes::get(env)?;
        // SAFETY: extension getters ran above; only allocation happens while the slice is alive.
        let payload = unsafe { args.bytes(0, "payload")? };
        let plan = self.0.plan(payload.len(), &ext, Instant::now()).map_err(error::packetize)?;
        let count = plan.packet_count();
        if count == 0 {
            return env.array(0);
        }
        // All packets back to back in one ArrayBuffer; every packet but the last has the same size.
        let mut out = shapes.out.alloc(env, plan.total_len())?;
        if plan.write_all(payload, out.bytes_mut(), |_| {}) != plan.total_len() {
            return Err(crate::napi::JsError::new("InvalidState", "packetization size mismatch"));
        }
        let [ab, off, _] = Shapes::parts(env, &out)?;
        let args = [
            ab,
            off,
            env.count(count as u64)?,
            env.count(plan.packet_len(0) as u64)?,
            env.count(plan.packet_len(count - 1) as u64)?,
        ];
        env.call(shapes.packets, &args)
    }
}
