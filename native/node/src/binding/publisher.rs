use std::cell::RefCell;
use std::rc::Rc;

use napi::bindgen_prelude::{This, ToNapiValue};
use napi::{sys, Env, Unknown};
use napi_derive::napi;

use super::args;
use super::bound;
use super::data_path;
use super::error::{entry, with_state, Failure, Outcome};
use super::machine::{self, JsTrackMetadata, MsClock};
use super::shapes::{count, PushCounts, TransmitBatch};
use crate::local::protocol::{self, PublishFailure, RejectReason};
use crate::local::{self, BatchPush, UnpublishCause};

struct State {
    publisher: local::Publisher,
    clock: MsClock,
    /// Reused per batch for the packet end offsets.
    ends: Vec<u32>,
}

/// The publishing side of one room connection: owns its tracks' state, requests, deadlines and
/// counters. Feed it user calls, signal answers, connection facts and the time; drain
/// `pollEvents()`, and call `handleTimeout(now)` at `pollTimeout()`. Times are the caller's
/// milliseconds (performance.now()).
#[napi]
pub struct Publisher {
    /// RefCell: a getter run while reading arguments may call back into this object.
    state: Rc<RefCell<State>>,
}

/// Only read (by `new Publisher`), declared for its TypeScript type.
#[allow(dead_code)]
#[napi(object)]
pub struct PublisherOptions {
    /// The caller's clock now: maps its milliseconds onto the addon's monotonic clock.
    pub now_ms: f64,
    /// 41..65535, default 16000.
    pub mtu: Option<u32>,
    /// Frames queued per track at most (a publish may ask for fewer).
    pub queue_capacity: u32,
    pub publish_timeout_ms: f64,
    /// How long an unpublish waits for the SFU's answer before it counts as done.
    pub unpublish_timeout_ms: f64,
}

/// Only read (by `publish`), declared for its TypeScript type.
#[allow(dead_code)]
#[napi(object, use_nullable = true)]
pub struct PublishOptions {
    pub name: String,
    #[napi(js_name = "usesE2ee")]
    pub uses_e2ee: bool,
    pub metadata: JsTrackMetadata,
    /// Clamped to 1..=the publisher's queueCapacity; null takes that.
    pub queue_capacity: Option<f64>,
    /// null takes the publisher's publishTimeoutMs.
    pub timeout_ms: Option<f64>,
}

/// PublishDataTrackRequest.
#[napi(object)]
pub struct PublishRequest {
    pub handle: u32,
    pub name: String,
    #[napi(js_name = "usesE2ee")]
    pub uses_e2ee: bool,
    pub metadata: JsTrackMetadata,
}

/// PublishDataTrackResponse.info, and one entry of SyncState.publish_data_tracks.
#[napi(object)]
pub struct PublishedTrack {
    pub handle: u32,
    pub sid: String,
    pub name: String,
    #[napi(js_name = "usesE2ee")]
    pub uses_e2ee: bool,
    pub metadata: JsTrackMetadata,
}

/// The public DataTrackPublishError reasons.
#[napi(string_enum = "camelCase", js_name = "PublishFailure")]
pub enum JsPublishFailure {
    NotAllowed,
    DuplicateName,
    InvalidName,
    InvalidSchema,
    Timeout,
    LimitReached,
    Disconnected,
    Cancelled,
    Internal,
}

#[napi(object, use_nullable = true)]
pub struct PublishError {
    pub reason: JsPublishFailure,
    pub message: String,
    /// What the SFU said, verbatim, when the error came from it.
    pub raw_message: Option<String>,
}

/// A publish started, or why not.
#[napi(object, use_nullable = true)]
pub struct PublishStart {
    /// 0 when it did not start.
    pub handle: u32,
    pub error: Option<PublishError>,
}

#[napi(string_enum = "camelCase", js_name = "UnpublishCause")]
pub enum JsUnpublishCause {
    /// `unpublish()` was called.
    Requested,
    /// The SFU sent an unpublish answer nobody asked for: it took the track away.
    BySfu,
    /// The SFU refused to publish it again after a full reconnect.
    RepublishRefused,
    Disconnected,
}

#[napi(discriminant = "kind", discriminant_case = "camelCase")]
pub enum PublisherEvent {
    /// Send a PublishDataTrackRequest (a first publish, a resend, or a republish).
    SendPublishRequest { request: PublishRequest },
    SendUnpublishRequest { handle: u32 },
    /// A publish succeeded: the track exists for the user from now on.
    Published { track: PublishedTrack },
    PublishFailed { handle: u32, error: PublishError },
    /// Published again after a full reconnect, under a new SID.
    Republished { handle: u32, sid: String },
    Unpublished { handle: u32, cause: JsUnpublishCause },
    /// An `unpublish()` is over: answered, refused, timed out, or moot after a reconnect.
    UnpublishDone { handle: u32 },
}

#[napi(object)]
pub struct PublishedTrackStats {
    pub frames_sent: f64,
    /// Wire bytes of the packets produced (headers included), as the data channel sees them.
    pub bytes_sent: f64,
    pub packets_sent: f64,
    /// Refused (queue full) or evicted (drop oldest).
    pub frames_dropped_queue_full: f64,
    /// Pushed while republishing, or queued when a full reconnect began.
    pub frames_dropped_not_published: f64,
    pub frames_dropped_encryption_failed: f64,
    pub queued_frames: f64,
}

fn failure(f: PublishFailure) -> JsPublishFailure {
    match f {
        PublishFailure::NotAllowed => JsPublishFailure::NotAllowed,
        PublishFailure::DuplicateName => JsPublishFailure::DuplicateName,
        PublishFailure::InvalidName => JsPublishFailure::InvalidName,
        PublishFailure::InvalidSchema => JsPublishFailure::InvalidSchema,
        PublishFailure::Timeout => JsPublishFailure::Timeout,
        PublishFailure::LimitReached => JsPublishFailure::LimitReached,
        PublishFailure::Disconnected => JsPublishFailure::Disconnected,
        PublishFailure::Cancelled => JsPublishFailure::Cancelled,
        PublishFailure::Internal => JsPublishFailure::Internal,
    }
}

fn error(e: &local::PublishError) -> PublishError {
    PublishError { reason: failure(e.failure()), message: e.to_string(), raw_message: e.raw_message().map(str::to_owned) }
}

fn published_track(t: protocol::PublishedTrack) -> PublishedTrack {
    PublishedTrack { handle: t.handle.into(), sid: t.sid, name: t.name, uses_e2ee: t.uses_e2ee, metadata: machine::metadata(&t.metadata) }
}

fn event(e: local::PublisherEvent) -> PublisherEvent {
    use local::PublisherEvent as E;
    match e {
        E::SendPublishRequest(r) => PublisherEvent::SendPublishRequest {
            request: PublishRequest { handle: r.handle.into(), name: r.name, uses_e2ee: r.uses_e2ee, metadata: machine::metadata(&r.metadata) },
        },
        E::SendUnpublishRequest { handle } => PublisherEvent::SendUnpublishRequest { handle: handle.into() },
        E::Published(t) => PublisherEvent::Published { track: published_track(t) },
        E::PublishFailed { handle, error: e } => PublisherEvent::PublishFailed { handle: handle.into(), error: error(&e) },
        E::Republished { handle, sid } => PublisherEvent::Republished { handle: handle.into(), sid },
        E::Unpublished { handle, cause } => PublisherEvent::Unpublished {
            handle: handle.into(),
            cause: match cause {
                UnpublishCause::Requested => JsUnpublishCause::Requested,
                UnpublishCause::BySfu => JsUnpublishCause::BySfu,
                UnpublishCause::RepublishRefused => JsUnpublishCause::RepublishRefused,
                UnpublishCause::Disconnected => JsUnpublishCause::Disconnected,
            },
        },
        E::UnpublishDone { handle } => PublisherEvent::UnpublishDone { handle: handle.into() },
    }
}

impl Publisher {
    fn with<T>(&self, env: &Env, body: impl FnOnce(&mut State) -> Outcome<T>) -> napi::Result<T> {
        with_state(env, &self.state, "Publisher", body)
    }
}

#[napi]
impl Publisher {
    #[napi(catch_unwind, constructor, ts_args_type = "options: PublisherOptions")]
    pub fn new<'e>(env: &'e Env, this: This<'e>, options: Unknown<'e>) -> napi::Result<Self> {
        entry(env, || {
            args::constructed::<Publisher>(env, &this, "Publisher")?;
            let o = args::object(&options, "options")?;
            let mut parsed = local::PublisherOptions::default();
            let mtu = args::property(&o, "mtu")?;
            if !args::is_nullish(&mtu)? {
                parsed.mtu = args::integer_in(&mtu, "options.mtu", 0, u32::MAX)? as usize;
            }
            parsed.queue_capacity = args::integer_in(&args::property(&o, "queueCapacity")?, "options.queueCapacity", 1, 1 << 20)? as usize;
            parsed.publish_timeout = machine::duration(&args::property(&o, "publishTimeoutMs")?, "options.publishTimeoutMs")?;
            parsed.unpublish_timeout = machine::duration(&args::property(&o, "unpublishTimeoutMs")?, "options.unpublishTimeoutMs")?;
            let clock = MsClock::new(&args::property(&o, "nowMs")?)?;
            let publisher = local::Publisher::new(parsed)?;
            let state = Rc::new(RefCell::new(State { publisher, clock, ends: Vec::new() }));
            bound::define(env, &this, "Publisher", "pushFrame", state.clone(), push_frame)?;
            bound::define(env, &this, "Publisher", "transmitInto", state.clone(), transmit_into)?;
            Ok(Publisher { state })
        })
    }

    /// Starts a publish (its outcome is a later 'published' or 'publishFailed' event for the
    /// handle), or fails at once: a bad or duplicate name, no handles left, disconnected.
    #[napi(catch_unwind, ts_args_type = "options: PublishOptions, nowMs: number")]
    pub fn publish<'e>(&self, env: &'e Env, options: Unknown<'e>, now_ms: Unknown<'e>) -> napi::Result<PublishStart> {
        self.with(env, |s| {
            let o = args::object(&options, "options")?;
            let name = args::string(&args::property(&o, "name")?, "options.name")?;
            let uses_e2ee = args::boolean(&args::property(&o, "usesE2ee")?, "options.usesE2ee")?;
            let metadata = machine::read_metadata(&args::property(&o, "metadata")?)?;
            let capacity = args::property(&o, "queueCapacity")?;
            let queue_capacity = if args::is_nullish(&capacity)? {
                None
            } else {
                // Any number: the publisher clamps it to its range.
                let n = args::number(&capacity, "options.queueCapacity")?;
                Some(if n >= 1.0 { n.min(u32::MAX as f64) as usize } else { 1 })
            };
            let timeout = machine::optional_duration(&args::property(&o, "timeoutMs")?, "options.timeoutMs")?;
            let now = s.clock.at(&now_ms)?;
            let options = local::PublishOptions { name, uses_e2ee, metadata, queue_capacity, timeout };
            Ok(match s.publisher.publish(options, now) {
                Ok(handle) => PublishStart { handle: handle.into(), error: None },
                Err(e) => PublishStart { handle: 0, error: Some(error(&e)) },
            })
        })
    }

    /// Gives up a pending publish ('publishFailed' with 'cancelled'); a late acceptance is undone.
    #[napi(catch_unwind, ts_args_type = "handle: number")]
    pub fn cancel_publish<'e>(&self, env: &'e Env, handle: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            s.publisher.cancel_publish(args::handle(&handle)?);
            Ok(())
        })
    }

    /// 'unpublished', then 'unpublishDone' once the SFU answers or the wait times out ('unpublishDone'
    /// at once for a track that is not published).
    #[napi(catch_unwind, ts_args_type = "handle: number, nowMs: number")]
    pub fn unpublish<'e>(&self, env: &'e Env, handle: Unknown<'e>, now_ms: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let handle = args::handle(&handle)?;
            let now = s.clock.at(&now_ms)?;
            s.publisher.unpublish(handle, now);
            Ok(())
        })
    }

    /// As LocalManager.pushFrames for frames `from..`. With `transmitNow` null, a full queue
    /// refuses (counted) or, with dropOldest, evicts. With a number (and dropOldest false), the
    /// caller transmits before it returns: the first `transmitNow` frames are queued past the
    /// capacity, then it returns at the first frame a full queue would refuse, uncounted, for the
    /// caller to push again from there after transmitting.
    #[napi(
        catch_unwind,
        ts_args_type = "handle: number, data: Uint8Array, ends: Uint32Array, userTimestamps: BigUint64Array | null, from: number, dropOldest: boolean, transmitNow: number | null"
    )]
    #[allow(clippy::too_many_arguments)]
    pub fn push_frames<'e>(
        &self,
        env: &'e Env,
        handle: Unknown<'e>,
        data: Unknown<'e>,
        ends: Unknown<'e>,
        user_timestamps: Unknown<'e>,
        from: Unknown<'e>,
        drop_oldest: Unknown<'e>,
        transmit_now: Unknown<'e>,
    ) -> napi::Result<PushCounts> {
        self.with(env, |s| {
            // Scalars first: the byte borrows must come last (see data_path::push_frame).
            let handle = args::handle(&handle)?;
            let from = args::integer_in(&from, "from", 0, u32::MAX)? as usize;
            let drop_oldest = args::boolean(&drop_oldest, "dropOldest")?;
            let mode = if args::is_nullish(&transmit_now)? {
                BatchPush::Policy { drop_oldest }
            } else if drop_oldest {
                return Err(Failure::invalid_argument("transmitNow requires dropOldest false"));
            } else {
                BatchPush::Resumable { transmit_now: args::integer_in(&transmit_now, "transmitNow", 0, u32::MAX)? as usize }
            };
            let data = args::bytes(&data, "data")?;
            let ends = args::uint32_array(&ends, "ends")?;
            let timestamps = if args::is_nullish(&user_timestamps)? {
                None
            } else {
                Some(args::biguint64_array(&user_timestamps, "userTimestamps")?)
            };
            let counts = s.publisher.push_frames(handle, &data, &ends, timestamps.as_deref(), from, mode)?;
            Ok(PushCounts::from(counts))
        })
    }

    /// The caller could not encrypt a frame for this track.
    #[napi(catch_unwind, ts_args_type = "handle: number")]
    pub fn count_encryption_failure<'e>(&self, env: &'e Env, handle: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            s.publisher.count_encryption_failure(args::handle(&handle)?);
            Ok(())
        })
    }

    /// PublishDataTrackResponse: the metadata the SFU states wins over what was asked.
    #[napi(catch_unwind, ts_args_type = "handle: number, sid: string, metadata: TrackMetadata, nowMs: number")]
    pub fn handle_publish_response<'e>(
        &self,
        env: &'e Env,
        handle: Unknown<'e>,
        sid: Unknown<'e>,
        metadata: Unknown<'e>,
        now_ms: Unknown<'e>,
    ) -> napi::Result<()> {
        self.with(env, |s| {
            let handle = args::handle(&handle)?;
            let sid = args::string(&sid, "sid")?;
            let metadata = machine::read_metadata(&metadata)?;
            let now = s.clock.at(&now_ms)?;
            s.publisher.handle_publish_response(handle, &sid, &metadata, now);
            Ok(())
        })
    }

    /// A RequestResponse refusing our publish; `reason` is its RequestResponse.Reason code.
    #[napi(catch_unwind, ts_args_type = "handle: number, reason: number, message: string")]
    pub fn handle_publish_rejected<'e>(&self, env: &'e Env, handle: Unknown<'e>, reason: Unknown<'e>, message: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let handle = args::handle(&handle)?;
            let reason = args::integer_in(&reason, "reason", 0, i32::MAX as u32)? as i32;
            let message = args::string(&message, "message")?;
            s.publisher.handle_publish_rejected(handle, RejectReason::from_code(reason), &message);
            Ok(())
        })
    }

    /// UnpublishDataTrackResponse: the answer to ours, or the SFU taking a track away.
    #[napi(catch_unwind, ts_args_type = "handle: number, sid: string")]
    pub fn handle_unpublish_response<'e>(&self, env: &'e Env, handle: Unknown<'e>, sid: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let handle = args::handle(&handle)?;
            let sid = args::string(&sid, "sid")?;
            s.publisher.handle_unpublish_response(handle, &sid);
            Ok(())
        })
    }

    /// A RequestResponse refusing our unpublish.
    #[napi(catch_unwind, ts_args_type = "handle: number")]
    pub fn handle_unpublish_rejected<'e>(&self, env: &'e Env, handle: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            s.publisher.handle_unpublish_rejected(args::handle(&handle)?);
            Ok(())
        })
    }

    /// A full reconnect began: tracks wait to be republished under the same handles.
    #[napi(catch_unwind)]
    pub fn restarting(&self, env: &Env) -> napi::Result<()> {
        self.with(env, |s| {
            s.publisher.restarting();
            Ok(())
        })
    }

    /// Joined (first join or after a full reconnect).
    #[napi(catch_unwind)]
    pub fn joined(&self, env: &Env) -> napi::Result<()> {
        self.with(env, |s| {
            s.publisher.joined();
            Ok(())
        })
    }

    /// The room is gone for good.
    #[napi(catch_unwind)]
    pub fn disconnected(&self, env: &Env) -> napi::Result<()> {
        self.with(env, |s| {
            s.publisher.disconnected();
            Ok(())
        })
    }

    /// The earliest deadline, in the caller's milliseconds, or null.
    #[napi(catch_unwind)]
    pub fn poll_timeout(&self, env: &Env) -> napi::Result<Option<f64>> {
        self.with(env, |s| Ok(s.publisher.poll_timeout().map(|at| s.clock.ms(at))))
    }

    #[napi(catch_unwind, ts_args_type = "nowMs: number")]
    pub fn handle_timeout<'e>(&self, env: &'e Env, now_ms: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let now = s.clock.at(&now_ms)?;
            s.publisher.handle_timeout(now);
            Ok(())
        })
    }

    /// Everything that happened since the last call, in order.
    #[napi(catch_unwind)]
    pub fn poll_events(&self, env: &Env) -> napi::Result<Vec<PublisherEvent>> {
        self.with(env, |s| Ok(std::iter::from_fn(|| s.publisher.poll_event()).map(event).collect()))
    }

    /// SyncState.publish_data_tracks: the tracks published in the current session.
    #[napi(catch_unwind)]
    pub fn sync_state_tracks(&self, env: &Env) -> napi::Result<Vec<PublishedTrack>> {
        self.with(env, |s| Ok(s.publisher.sync_state_tracks().into_iter().map(published_track).collect()))
    }

    /// Live while published, final once unpublished; null for a handle never published.
    #[napi(catch_unwind, ts_args_type = "handle: number")]
    pub fn stats<'e>(&self, env: &'e Env, handle: Unknown<'e>) -> napi::Result<Option<PublishedTrackStats>> {
        self.with(env, |s| {
            Ok(s.publisher.stats(args::handle(&handle)?).map(|t| PublishedTrackStats {
                frames_sent: count(t.frames_sent),
                bytes_sent: count(t.bytes_sent),
                packets_sent: count(t.packets_sent),
                frames_dropped_queue_full: count(t.frames_dropped_queue_full),
                frames_dropped_not_published: count(t.frames_dropped_not_published),
                frames_dropped_encryption_failed: count(t.frames_dropped_encryption_failed),
                queued_frames: t.queued_frames as f64,
            }))
        })
    }

    /// As LocalManager.pollTransmit.
    #[napi(catch_unwind, ts_args_type = "maxBytes: number")]
    pub fn poll_transmit<'e>(&self, env: &'e Env, max_bytes: Unknown<'e>) -> napi::Result<Option<TransmitBatch<'e>>> {
        self.with(env, |s| {
            let State { publisher, ends, .. } = s;
            data_path::poll_transmit(env, publisher, ends, &max_bytes)
        })
    }

    /// Frames waiting in all queues.
    #[napi(catch_unwind)]
    pub fn queued_frames(&self, env: &Env) -> napi::Result<u32> {
        self.with(env, |s| Ok(s.publisher.queued_frames() as u32))
    }
}

/// As LocalManager.pushFrame; a refusal (Full) is counted in stats.
fn push_frame<'e>(env: &'e Env, s: &mut State, a: &[Unknown<'e>; 6]) -> Outcome<sys::napi_value> {
    let result = data_path::push_frame(&mut s.publisher, &a[0], &a[1], &a[2], &a[3], &a[4], &a[5])?;
    // SAFETY: `env` is the running callback's.
    Ok(unsafe { u32::to_napi_value(env.raw(), result) }?)
}

/// As data_path::transmit_into.
fn transmit_into<'e>(env: &'e Env, s: &mut State, a: &[Unknown<'e>; 2]) -> Outcome<sys::napi_value> {
    let packets = data_path::transmit_into(&mut s.publisher, &a[0], &a[1])?;
    // SAFETY: `env` is the running callback's.
    Ok(unsafe { u32::to_napi_value(env.raw(), packets) }?)
}
