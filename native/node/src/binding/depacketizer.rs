use super::convert::{copy_payload, drop_value, frame_value};
use super::error;
use super::shapes::Shapes;
use crate::napi::sys::napi_type_tag;
use crate::napi::{CallArgs, Env, JsClass, JsResult, MethodImpl, Value};
use crate::packet::deserialize;
use crate::remote::{Depacketizer, DEFAULT_MAX_PARTIAL_FRAMES};

/// `new Depacketizer(maxPartialFrames = 1)`.
pub struct JsDepacketizer(Depacketizer);

impl JsClass for JsDepacketizer {
    const NAME: &'static std::ffi::CStr = c"Depacketizer";
    const TAG: napi_type_tag = napi_type_tag { lower: 0x6c6b_6474_6465_7061, upper: 0x0002 };

    fn construct(env: Env, args: &CallArgs) -> JsResult<Self> {
        let max = if args.is_nullish(0)? {
            DEFAULT_MAX_PARTIAL_FRAMES
        } else {
            env.to_u32_in(args.get(0), "maxPartialFrames", 0, u32::MAX)? as usize
        };
        Ok(JsDepacketizer(Depacketizer::new(max)))
    }

    fn methods() -> &'static [(&'static std::ffi::CStr, MethodImpl<Self>)] {
        &[(c"push", Self::push)]
    }
}

impl JsDepacketizer {
    /// `push(packet): {frames, drops}`; codec errors are thrown.
    fn push(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let shapes = Shapes::get(env)?;
        // SAFETY: no JS code runs while the slice is alive (frames are copied out first).
        let bytes = unsafe { args.bytes(0, "packet")? };
        let packet = deserialize(bytes).map_err(error::codec)?;
        let out = self.0.push(&packet);
        let frame = match out.frame {
            Some(f) => {
                let (payload, spare) = copy_payload(env, shapes, f.payload)?;
                if let Some(buf) = spare {
                    self.0.reuse_buffer(buf);
                }
                frame_value(env, shapes, &payload, &f.extensions)?
            }
            None => env.null()?,
        };
        let drop = match &out.drop {
            Some(d) => drop_value(env, shapes, d)?,
            None => env.null()?,
        };
        env.call(shapes.push_result, &[frame, drop])
    }
}
