use std::ffi::CStr;
use std::time::Instant;

use super::convert::read_extensions;
use super::error;
use super::shapes::Shapes;
use crate::local::{LocalManager, LocalManagerOptions, LocalTrackStats};
use crate::napi::sys::napi_type_tag;
use crate::napi::{CallArgs, Env, JsClass, JsError, JsResult, MethodImpl, Value};

/// `new LocalManager({mtu?, queueCapacity?})`.
pub struct JsLocalManager {
    manager: LocalManager,
    /// Reused per batch for the packet end offsets.
    ends: Vec<u32>,
}

impl JsClass for JsLocalManager {
    const NAME: &'static CStr = c"LocalManager";
    const TAG: napi_type_tag = napi_type_tag { lower: 0x6c6b_6474_6c6f_6361, upper: 0x0003 };

    fn construct(env: Env, args: &CallArgs) -> JsResult<Self> {
        let mut options = LocalManagerOptions::default();
        if !args.is_nullish(0)? {
            let o = args.get(0);
            let mtu = env.get(o, c"mtu", "options")?;
            if !env.is_nullish(mtu)? {
                options.mtu = env.to_usize(mtu, "options.mtu")?;
            }
            let cap = env.get(o, c"queueCapacity", "options")?;
            if !env.is_nullish(cap)? {
                options.queue_capacity = env.to_u32_in(cap, "options.queueCapacity", 1, 1 << 20)? as usize;
            }
        }
        Ok(JsLocalManager { manager: LocalManager::new(options).map_err(error::local)?, ends: Vec::new() })
    }

    fn methods() -> &'static [(&'static CStr, MethodImpl<Self>)] {
        &[
            (c"allocateHandle", Self::allocate_handle),
            (c"beginPublish", Self::begin_publish),
            (c"publishSucceeded", Self::publish_succeeded),
            (c"publishFailed", Self::publish_failed),
            (c"beginRepublish", Self::begin_republish),
            (c"unpublish", Self::unpublish),
            (c"state", Self::state),
            (c"tracks", Self::tracks),
            (c"pushFrame", Self::push_frame),
            (c"pollTransmit", Self::poll_transmit),
            (c"queuedFrames", Self::queued_frames),
            (c"stats", Self::stats),
        ]
    }
}

fn handle_arg(env: Env, args: &CallArgs, i: usize) -> JsResult<u16> {
    env.to_u16_in(args.get(i), "handle", 1, u16::MAX)
}

fn stats_value(env: Env, s: &LocalTrackStats) -> JsResult<Value> {
    let o = env.object()?;
    env.set(o, c"framesSent", env.count(s.frames_sent)?)?;
    env.set(o, c"bytesSent", env.count(s.bytes_sent)?)?;
    env.set(o, c"packetsSent", env.count(s.packets_sent)?)?;
    env.set(o, c"framesDroppedQueueFull", env.count(s.frames_dropped_queue_full)?)?;
    env.set(o, c"framesDroppedNotPublished", env.count(s.frames_dropped_not_published)?)?;
    env.set(o, c"queuedFrames", env.count(s.queued_frames as u64)?)?;
    Ok(o)
}

impl JsLocalManager {
    fn allocate_handle(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        let handle = self.manager.allocate_handle().map_err(error::local)?;
        env.u32(handle.into())
    }

    fn begin_publish(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let handle = handle_arg(env, args, 0)?;
        let name = env.to_string(args.get(1), "name")?;
        let uses_e2ee = env.to_bool(args.get(2), "usesE2ee")?;
        self.manager.begin_publish(handle, &name, uses_e2ee).map_err(error::local)?;
        env.undefined()
    }

    fn publish_succeeded(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let handle = handle_arg(env, args, 0)?;
        let sid = env.to_string(args.get(1), "sid")?;
        self.manager.publish_succeeded(handle, &sid, Instant::now()).map_err(error::local)?;
        env.undefined()
    }

    fn publish_failed(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let handle = handle_arg(env, args, 0)?;
        self.manager.publish_failed(handle);
        env.undefined()
    }

    fn begin_republish(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        let handles = self.manager.begin_republish();
        env.array_from(handles.iter().map(|&h| env.u32(h.into())))
    }

    fn unpublish(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let handle = handle_arg(env, args, 0)?;
        self.manager.unpublish(handle);
        env.undefined()
    }

    fn state(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let handle = handle_arg(env, args, 0)?;
        match self.manager.state(handle) {
            Some(state) => env.string(state.as_str()),
            None => env.null(),
        }
    }

    fn tracks(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        let tracks = self.manager.tracks();
        env.array_from(tracks.iter().map(|t| {
            let o = env.object()?;
            env.set(o, c"handle", env.u32(t.handle.into())?)?;
            env.set(o, c"sid", env.string(&t.sid)?)?;
            env.set(o, c"name", env.string(&t.name)?)?;
            env.set(o, c"usesE2ee", env.boolean(t.uses_e2ee)?)?;
            Ok(o)
        }))
    }

    /// `pushFrame(handle, payload, userTimestamp, e2ee, dropOldest, tail?): PushResult` — the
    /// frame is `payload ‖ tail` (E2EE passes the tag as `tail`).
    fn push_frame(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let handle = handle_arg(env, args, 0)?;
        let ext = read_extensions(env, args.get(2), args.get(3))?;
        let drop_oldest = if args.is_nullish(4)? { false } else { env.to_bool(args.get(4), "dropOldest")? };
        let has_tail = !args.is_nullish(5)?;
        // SAFETY: every getter ran above; both slices are copied before anything else happens.
        let payload = unsafe { args.bytes(1, "payload")? };
        let tail = if has_tail { unsafe { args.bytes(5, "tail")? } } else { &[] };
        let result = self.manager.push_frame_parts(handle, payload, tail, &ext, drop_oldest).map_err(error::local)?;
        env.u32(result as u32)
    }

    /// `pollTransmit(maxBytes, scratch?): {data, ends, frames} | null` — one buffer for the whole
    /// batch, packets serialized straight into it. With a `scratch` Uint8Array that can hold the
    /// batch, the batch is written into it (and is valid until the caller reuses it); otherwise a
    /// fresh ArrayBuffer. A sender that copies each packet into the transport synchronously passes
    /// the same scratch every time and allocates nothing per batch: at tens of MiB/s, a fresh
    /// ArrayBuffer per batch is garbage only a major GC collects once the JS heap is quiet.
    fn poll_transmit(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let max_bytes = env.to_usize(args.get(0), "maxBytes")?;
        let use_scratch = !args.is_nullish(1)?;
        if use_scratch {
            // Type-check before planning, so a bad argument leaves the queues untouched.
            env.uint8_array_raw(args.get(1), "scratch")?;
        }
        let Some(batch) = self.manager.plan_transmit(max_bytes, Instant::now()) else {
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
        let mut ends = std::mem::take(&mut self.ends);
        ends.clear();
        ends.resize(batch.packets, 0);
        let (data, rest) = target.split_at_mut(batch.bytes);
        let ok = self.manager.write_transmit(data, &mut ends);
        for (dst, end) in rest[ends_at - batch.bytes..].chunks_exact_mut(4).zip(&ends) {
            dst.copy_from_slice(&end.to_ne_bytes());
        }
        self.ends = ends;
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

    fn queued_frames(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        env.count(self.manager.queued_frames() as u64)
    }

    fn stats(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let handle = handle_arg(env, args, 0)?;
        match self.manager.stats(handle) {
            Some(s) => stats_value(env, &s),
            None => env.null(),
        }
    }
}
