use std::ffi::CStr;
use std::time::Instant;

use super::error;
use super::paths;
use crate::local::{LocalManager, LocalManagerOptions, LocalTrackStats};
use crate::napi::sys::napi_type_tag;
use crate::napi::{CallArgs, Env, JsClass, JsResult, MethodImpl, Value};

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

pub(super) fn handle_arg(env: Env, args: &CallArgs, i: usize) -> JsResult<u16> {
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

    fn push_frame(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        paths::push_frame(env, args, &mut self.manager)
    }

    fn poll_transmit(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        paths::poll_transmit(env, args, &mut self.manager, &mut self.ends)
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
