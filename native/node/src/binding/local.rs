use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use napi::bindgen_prelude::{This, ToNapiValue};
use napi::{sys, Env, Unknown};
use napi_derive::napi;

use super::args;
use super::bound;
use super::data_path;
use super::error::{entry, with_state, Outcome};
use super::shapes::{count, LocalTrackInfo, LocalTrackStats, PushCounts, TransmitBatch};
use crate::local::{self, LocalTrackState};

#[napi(string_enum = "lowercase", js_name = "LocalTrackState")]
pub enum JsLocalTrackState {
    Pending,
    Published,
    Republishing,
    Unpublished,
}

impl From<LocalTrackState> for JsLocalTrackState {
    fn from(s: LocalTrackState) -> Self {
        match s {
            LocalTrackState::Pending => JsLocalTrackState::Pending,
            LocalTrackState::Published => JsLocalTrackState::Published,
            LocalTrackState::Republishing => JsLocalTrackState::Republishing,
            LocalTrackState::Unpublished => JsLocalTrackState::Unpublished,
        }
    }
}

struct State {
    manager: local::LocalManager,
    /// Reused per batch for the packet end offsets.
    ends: Vec<u32>,
}

/// Publisher-side state of every local data track of one room connection.
#[napi]
pub struct LocalManager {
    /// RefCell: a getter run while reading arguments may call back into this object.
    state: Rc<RefCell<State>>,
}

impl LocalManager {
    fn with<T>(&self, env: &Env, body: impl FnOnce(&mut State) -> Outcome<T>) -> napi::Result<T> {
        with_state(env, &self.state, "LocalManager", body)
    }
}

#[napi]
impl LocalManager {
    /// mtu 41..65535 (default 16000), queueCapacity >= 1 (default 16).
    #[napi(catch_unwind, constructor, ts_args_type = "options?: LocalManagerOptions | null")]
    pub fn new<'e>(env: &'e Env, this: This<'e>, options: Unknown<'e>) -> napi::Result<Self> {
        entry(env, || {
            args::constructed::<LocalManager>(env, &this, "LocalManager")?;
            let mut parsed = local::LocalManagerOptions::default();
            if !args::is_nullish(&options)? {
                let o = args::object(&options, "options")?;
                let mtu = args::property(&o, "mtu")?;
                if !args::is_nullish(&mtu)? {
                    parsed.mtu = args::size(&mtu, "options.mtu")?;
                }
                let capacity = args::property(&o, "queueCapacity")?;
                if !args::is_nullish(&capacity)? {
                    parsed.queue_capacity = args::integer_in(&capacity, "options.queueCapacity", 1, 1 << 20)? as usize;
                }
            }
            let manager = local::LocalManager::new(parsed)?;
            let state = Rc::new(RefCell::new(State { manager, ends: Vec::new() }));
            bound::define(env, &this, "LocalManager", "pushFrame", state.clone(), push_frame)?;
            bound::define(env, &this, "LocalManager", "transmitInto", state.clone(), transmit_into)?;
            Ok(LocalManager { state })
        })
    }

    /// Next publisher handle: 1, 2, ... 65535, never reused by this manager. Throws LimitReached.
    #[napi(catch_unwind)]
    pub fn allocate_handle(&self, env: &Env) -> napi::Result<u32> {
        self.with(env, |s| Ok(s.manager.allocate_handle()?.into()))
    }

    /// A publish request is on its way: the track exists in state 'pending'. InvalidArgument for a
    /// handle this manager never allocated; InvalidState if the handle already has a track (or had one).
    #[napi(catch_unwind, ts_args_type = "handle: number, name: string, usesE2ee: boolean")]
    pub fn begin_publish<'e>(&self, env: &'e Env, handle: Unknown<'e>, name: Unknown<'e>, uses_e2ee: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let handle = args::handle(&handle)?;
            let name = args::string(&name, "name")?;
            let uses_e2ee = args::boolean(&uses_e2ee, "usesE2ee")?;
            Ok(s.manager.begin_publish(handle, &name, uses_e2ee)?)
        })
    }

    /// The SFU accepted: 'published' with this SID (also ends 'republishing', keeping counters; on a
    /// published track it only updates the SID). UnknownTrack for a handle without a track.
    #[napi(catch_unwind, ts_args_type = "handle: number, sid: string")]
    pub fn publish_succeeded<'e>(&self, env: &'e Env, handle: Unknown<'e>, sid: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let handle = args::handle(&handle)?;
            let sid = args::string(&sid, "sid")?;
            Ok(s.manager.publish_succeeded(handle, &sid, Instant::now())?)
        })
    }

    /// The SFU refused or the request was abandoned: the track is forgotten (its handle stays used,
    /// state() returns null). No-op for an unknown handle.
    #[napi(catch_unwind, ts_args_type = "handle: number")]
    pub fn publish_failed<'e>(&self, env: &'e Env, handle: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            s.manager.publish_failed(args::handle(&handle)?);
            Ok(())
        })
    }

    /// Full reconnect: every published track becomes 'republishing'; returns their handles. Their
    /// queued frames are dropped (counted in framesDroppedNotPublished).
    #[napi(catch_unwind)]
    pub fn begin_republish(&self, env: &Env) -> napi::Result<Vec<u32>> {
        self.with(env, |s| Ok(s.manager.begin_republish().into_iter().map(u32::from).collect()))
    }

    /// 'unpublished': the queue is dropped and the track is forgotten (state() keeps answering
    /// 'unpublished'; stats() returns null; pushFrame throws UnknownTrack). No-op for an unknown handle.
    #[napi(catch_unwind, ts_args_type = "handle: number")]
    pub fn unpublish<'e>(&self, env: &'e Env, handle: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            s.manager.unpublish(args::handle(&handle)?);
            Ok(())
        })
    }

    #[napi(catch_unwind, ts_args_type = "handle: number")]
    pub fn state<'e>(&self, env: &'e Env, handle: Unknown<'e>) -> napi::Result<Option<JsLocalTrackState>> {
        self.with(env, |s| Ok(s.manager.state(args::handle(&handle)?).map(JsLocalTrackState::from)))
    }

    /// Published (and republishing) tracks, for SyncState and republish requests.
    #[napi(catch_unwind)]
    pub fn tracks(&self, env: &Env) -> napi::Result<Vec<LocalTrackInfo>> {
        self.with(env, |s| {
            Ok(s.manager
                .tracks()
                .into_iter()
                .map(|t| LocalTrackInfo { handle: t.handle.into(), sid: t.sid, name: t.name, uses_e2ee: t.uses_e2ee })
                .collect())
        })
    }

    /// pushFrame for many frames of one track in one call: frame i is
    /// data.subarray(ends[i-1] ?? 0, ends[i]), with userTimestamps[i] if given (no E2EE: each
    /// encrypted frame has its own IV, so those go through pushFrame). Same queue semantics, in
    /// order; without dropOldest, every frame after the first refused one is refused too.
    /// InvalidArgument, queueing nothing, for ends out of order or past data.
    #[napi(
        catch_unwind,
        ts_args_type = "handle: number, data: Uint8Array, ends: Uint32Array, userTimestamps: BigUint64Array | null, dropOldest: boolean"
    )]
    pub fn push_frames<'e>(
        &self,
        env: &'e Env,
        handle: Unknown<'e>,
        data: Unknown<'e>,
        ends: Unknown<'e>,
        user_timestamps: Unknown<'e>,
        drop_oldest: Unknown<'e>,
    ) -> napi::Result<PushCounts> {
        self.with(env, |s| {
            let handle = args::handle(&handle)?;
            let drop_oldest = !args::is_nullish(&drop_oldest)? && args::boolean(&drop_oldest, "dropOldest")?;
            let data = args::bytes(&data, "data")?;
            let ends = args::uint32_array(&ends, "ends")?;
            let timestamps = if args::is_nullish(&user_timestamps)? {
                None
            } else {
                Some(args::biguint64_array(&user_timestamps, "userTimestamps")?)
            };
            let counts = s.manager.push_frames(handle, &data, &ends, timestamps.as_deref(), drop_oldest)?;
            Ok(PushCounts::from(counts))
        })
    }

    /// Packetizes whole queued frames, round-robin across tracks, until at least `maxBytes` of
    /// packets are out (always at least one frame if any is queued). null when nothing is queued.
    /// Only 'published' tracks transmit. `data` and `ends` share one fresh ArrayBuffer; a sender
    /// that copies each packet into its transport uses transmitInto, which allocates nothing.
    #[napi(catch_unwind, ts_args_type = "maxBytes: number")]
    pub fn poll_transmit<'e>(&self, env: &'e Env, max_bytes: Unknown<'e>) -> napi::Result<Option<TransmitBatch<'e>>> {
        self.with(env, |s| {
            let State { manager, ends } = s;
            data_path::poll_transmit(env, manager, ends, &max_bytes)
        })
    }

    /// Frames waiting in all queues.
    #[napi(catch_unwind)]
    pub fn queued_frames(&self, env: &Env) -> napi::Result<u32> {
        self.with(env, |s| Ok(s.manager.queued_frames() as u32))
    }

    #[napi(catch_unwind, ts_args_type = "handle: number")]
    pub fn stats<'e>(&self, env: &'e Env, handle: Unknown<'e>) -> napi::Result<Option<LocalTrackStats>> {
        self.with(env, |s| {
            Ok(s.manager.stats(args::handle(&handle)?).map(|t: local::LocalTrackStats| LocalTrackStats {
                frames_sent: count(t.frames_sent),
                bytes_sent: count(t.bytes_sent),
                packets_sent: count(t.packets_sent),
                frames_dropped_queue_full: count(t.frames_dropped_queue_full),
                frames_dropped_not_published: count(t.frames_dropped_not_published),
                queued_frames: t.queued_frames as f64,
            }))
        })
    }
}

/// Queues a frame (payload copied); returns a PushResult. With dropOldest, a full queue
/// evicts its oldest frame instead of refusing the new one. Throws UnknownTrack for a handle
/// it does not know (or unpublished), InvalidArgument for a frame over 1 GiB. With `sealWith`
/// (an AesGcmKey's id), `e2ee` is the key index alone: the addon draws the IV and encrypts the
/// queued copy in place.
fn push_frame<'e>(env: &'e Env, s: &mut State, a: &[Unknown<'e>; 6]) -> Outcome<sys::napi_value> {
    let result = data_path::push_frame(&mut s.manager, &a[0], &a[1], &a[2], &a[3], &a[4], &a[5])?;
    // SAFETY: `env` is the running callback's.
    Ok(unsafe { u32::to_napi_value(env.raw(), result) }?)
}

/// As data_path::transmit_into.
fn transmit_into<'e>(env: &'e Env, s: &mut State, a: &[Unknown<'e>; 2]) -> Outcome<sys::napi_value> {
    let packets = data_path::transmit_into(&mut s.manager, &a[0], &a[1])?;
    // SAFETY: `env` is the running callback's.
    Ok(unsafe { u32::to_napi_value(env.raw(), packets) }?)
}
