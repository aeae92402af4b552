use std::cell::RefCell;
use std::rc::Rc;

use napi::bindgen_prelude::{This, ToNapiValue};
use napi::{sys, Env, Unknown};
use napi_derive::napi;

use super::args;
use super::bound;
use super::aes_gcm::OpenKeys;
use super::data_path;
use super::error::{entry, with_state, Failure, Outcome};
use super::machine::{self, JsTrackMetadata, MsClock};
use super::remote::manager_stats;
use super::shapes::{count, RemoteManagerStats};
use crate::remote::protocol::RemoteTrackInfo;
use crate::remote::{self, SubscribeError, TrackEnd};

struct State {
    subscriber: remote::Subscriber,
    clock: MsClock,
    open_keys: OpenKeys,
}

/// The subscribing side of one room connection: owns which remote tracks exist, subscriptions
/// with their requests, retries and deadlines, waits for tracks, and the counters. Feed it
/// participant updates, handle maps, user calls, connection facts and the time; drain
/// `pollEvents()`, and call `handleTimeout(now)` at `pollTimeout()`. Times are the caller's
/// milliseconds (performance.now()).
#[napi]
pub struct Subscriber {
    /// RefCell: a getter run while reading arguments may call back into this object.
    state: Rc<RefCell<State>>,
}

/// Only read (by `new Subscriber`), declared for its TypeScript type.
#[allow(dead_code)]
#[napi(object)]
pub struct SubscriberOptions {
    /// The caller's clock now: maps its milliseconds onto the addon's monotonic clock.
    pub now_ms: f64,
    pub subscribe_timeout_ms: f64,
}

/// Only read (by updateParticipant), declared for its TypeScript type: one DataTrackInfo of a
/// remote participant, unvalidated (unusable entries are skipped).
#[allow(dead_code)]
#[napi(object, js_name = "RemoteTrackInfo")]
pub struct JsRemoteTrackInfo {
    pub sid: String,
    pub pub_handle: u32,
    pub name: String,
    /// Encryption.Type code.
    pub encryption: i32,
    pub metadata: JsTrackMetadata,
}

#[napi(object)]
pub struct DiscoveredTrack {
    pub track_id: u32,
    pub identity: String,
    pub sid: String,
    pub name: String,
    #[napi(js_name = "usesE2ee")]
    pub uses_e2ee: bool,
    pub metadata: JsTrackMetadata,
}

/// The public DataTrackSubscribeError reasons.
#[napi(string_enum = "camelCase", js_name = "SubscribeFailure")]
pub enum JsSubscribeFailure {
    Unpublished,
    Timeout,
    Cancelled,
    Disconnected,
}

#[napi(object, js_name = "SubscribeError")]
pub struct JsSubscribeError {
    pub reason: JsSubscribeFailure,
    pub message: String,
}

/// A subscribe started, or why not.
#[napi(object, use_nullable = true)]
pub struct SubscribeStart {
    /// 0 when it did not start.
    pub stream: f64,
    pub error: Option<JsSubscribeError>,
}

#[napi(string_enum = "camelCase", js_name = "TrackEnd")]
pub enum JsTrackEnd {
    /// Unpublished, or its publisher left.
    Unpublished,
    Disconnected,
}

/// Counters of one remote track, across its subscriptions.
#[napi(object)]
pub struct SubscribedTrackStats {
    pub frames_received: f64,
    /// Wire bytes of the packets routed to the track (headers included).
    pub bytes_received: f64,
    pub packets_received: f64,
    pub dropped_interrupted: f64,
    pub dropped_unknown_frame: f64,
    pub dropped_buffer_full: f64,
    pub dropped_incomplete: f64,
    pub decrypt_failed: f64,
}

#[napi(discriminant = "kind", discriminant_case = "camelCase", use_nullable = true)]
pub enum SubscriberEvent {
    SendUpdateSubscription { sid: String, subscribe: bool },
    /// A new publication. `holdsName`: it is the publisher's track under its name (names are
    /// unique per publisher on a conforming server; of repeats, the first holds the name).
    TrackPublished { track: DiscoveredTrack, holds_name: bool },
    /// The publisher did a full reconnect: same track, new SID.
    TrackReassigned { track_id: u32, sid: String },
    /// The track is gone with its subscriptions: final counters, and the track that holds its name
    /// from now on, if any.
    TrackUnpublished { track_id: u32, end: JsTrackEnd, stats: SubscribedTrackStats, name_passes_to: Option<u32> },
    /// The SFU assigned a handle and the channel is open: frames for the stream flow from now on.
    SubscribeReady { stream: f64, track_id: u32 },
    SubscribeFailed { stream: f64, track_id: u32, error: JsSubscribeError },
    TrackWaitResolved { wait: f64, track_id: u32 },
    TrackWaitFailed { wait: f64, error: JsSubscribeError },
}

fn error(e: &SubscribeError) -> JsSubscribeError {
    let reason = match e.reason() {
        "timeout" => JsSubscribeFailure::Timeout,
        "cancelled" => JsSubscribeFailure::Cancelled,
        "disconnected" => JsSubscribeFailure::Disconnected,
        _ => JsSubscribeFailure::Unpublished,
    };
    JsSubscribeError { reason, message: e.to_string() }
}

fn stats(s: &remote::SubscribedTrackStats) -> SubscribedTrackStats {
    let r = &s.reassembly;
    SubscribedTrackStats {
        frames_received: count(r.frames_received),
        bytes_received: count(r.bytes_received),
        packets_received: count(r.packets_received),
        dropped_interrupted: count(r.dropped_interrupted),
        dropped_unknown_frame: count(r.dropped_unknown_frame),
        dropped_buffer_full: count(r.dropped_buffer_full),
        dropped_incomplete: count(r.dropped_incomplete),
        decrypt_failed: count(s.decrypt_failed),
    }
}

fn event(e: remote::SubscriberEvent) -> SubscriberEvent {
    use remote::SubscriberEvent as E;
    let id = |n: u64| n as f64;
    match e {
        E::SendUpdateSubscription(u) => SubscriberEvent::SendUpdateSubscription { sid: u.sid, subscribe: u.subscribe },
        E::TrackPublished { track: t, holds_name } => SubscriberEvent::TrackPublished {
            track: DiscoveredTrack {
                track_id: t.track_id,
                identity: t.identity,
                sid: t.sid,
                name: t.name,
                uses_e2ee: t.uses_e2ee,
                metadata: machine::metadata(&t.metadata),
            },
            holds_name,
        },
        E::TrackReassigned { track_id, sid } => SubscriberEvent::TrackReassigned { track_id, sid },
        E::TrackUnpublished { track_id, end, stats: s, name_passes_to } => SubscriberEvent::TrackUnpublished {
            track_id,
            end: match end {
                TrackEnd::Unpublished => JsTrackEnd::Unpublished,
                TrackEnd::Disconnected => JsTrackEnd::Disconnected,
            },
            stats: stats(&s),
            name_passes_to,
        },
        E::SubscribeReady { stream, track_id } => SubscriberEvent::SubscribeReady { stream: id(stream), track_id },
        E::SubscribeFailed { stream, track_id, error: e } => SubscriberEvent::SubscribeFailed { stream: id(stream), track_id, error: error(&e) },
        E::TrackWaitResolved { wait, track_id } => SubscriberEvent::TrackWaitResolved { wait: id(wait), track_id },
        E::TrackWaitFailed { wait, error: e } => SubscriberEvent::TrackWaitFailed { wait: id(wait), error: error(&e) },
    }
}

fn track_id_arg(v: &Unknown) -> Outcome<u32> {
    args::integer_in(v, "trackId", 0, u32::MAX)
}

fn read_track_info(v: &Unknown) -> Outcome<RemoteTrackInfo> {
    let o = args::object(v, "track")?;
    Ok(RemoteTrackInfo {
        sid: args::string(&args::property(&o, "sid")?, "track.sid")?,
        pub_handle: args::integer_in(&args::property(&o, "pubHandle")?, "track.pubHandle", 0, u32::MAX)?,
        name: args::string(&args::property(&o, "name")?, "track.name")?,
        encryption: args::integer_in(&args::property(&o, "encryption")?, "track.encryption", 0, i32::MAX as u32)? as i32,
        metadata: machine::read_metadata(&args::property(&o, "metadata")?)?,
    })
}

impl Subscriber {
    fn with<T>(&self, env: &Env, body: impl FnOnce(&mut State) -> Outcome<T>) -> napi::Result<T> {
        with_state(env, &self.state, "Subscriber", body)
    }
}

#[napi]
impl Subscriber {
    #[napi(catch_unwind, constructor, ts_args_type = "options: SubscriberOptions")]
    pub fn new<'e>(env: &'e Env, this: This<'e>, options: Unknown<'e>) -> napi::Result<Self> {
        entry(env, || {
            args::constructed::<Subscriber>(env, &this, "Subscriber")?;
            let o = args::object(&options, "options")?;
            let parsed = remote::SubscriberOptions {
                subscribe_timeout: machine::duration(&args::property(&o, "subscribeTimeoutMs")?, "options.subscribeTimeoutMs")?,
                ..Default::default()
            };
            let clock = MsClock::new(&args::property(&o, "nowMs")?)?;
            let state = Rc::new(RefCell::new(State { subscriber: remote::Subscriber::new(parsed), clock, open_keys: OpenKeys::default() }));
            bound::define(env, &this, "Subscriber", "receivePacket", state.clone(), receive_packet)?;
            Ok(Subscriber { state })
        })
    }

    /// The complete data-track list of one remote participant (never the local one).
    #[napi(catch_unwind, ts_args_type = "identity: string, tracks: RemoteTrackInfo[], nowMs: number")]
    pub fn update_participant<'e>(&self, env: &'e Env, identity: Unknown<'e>, tracks: Unknown<'e>, now_ms: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let identity = args::string(&identity, "identity")?;
            let tracks = args::array(&tracks, "tracks")?.iter().map(read_track_info).collect::<Outcome<Vec<_>>>()?;
            let now = s.clock.at(&now_ms)?;
            s.subscriber.update_participant(&identity, &tracks, now);
            Ok(())
        })
    }

    /// The participant left: its tracks are unpublished and waits for its tracks fail.
    #[napi(catch_unwind, ts_args_type = "identity: string, nowMs: number")]
    pub fn remove_participant<'e>(&self, env: &'e Env, identity: Unknown<'e>, now_ms: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let identity = args::string(&identity, "identity")?;
            let now = s.clock.at(&now_ms)?;
            s.subscriber.remove_participant(&identity, now);
            Ok(())
        })
    }

    /// A wait id; its outcome is 'trackWaitResolved' or 'trackWaitFailed'.
    #[napi(catch_unwind, ts_args_type = "identity: string, name: string, timeoutMs: number | null, nowMs: number")]
    pub fn wait_for_track<'e>(
        &self,
        env: &'e Env,
        identity: Unknown<'e>,
        name: Unknown<'e>,
        timeout_ms: Unknown<'e>,
        now_ms: Unknown<'e>,
    ) -> napi::Result<f64> {
        self.with(env, |s| {
            let identity = args::string(&identity, "identity")?;
            let name = args::string(&name, "name")?;
            let timeout = machine::optional_duration(&timeout_ms, "timeoutMs")?;
            let now = s.clock.at(&now_ms)?;
            Ok(s.subscriber.wait_for_track(&identity, &name, timeout, now) as f64)
        })
    }

    #[napi(catch_unwind, ts_args_type = "wait: number")]
    pub fn cancel_wait<'e>(&self, env: &'e Env, wait: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            s.subscriber.cancel_wait(machine::id(&wait, "wait")?);
            Ok(())
        })
    }

    /// A stream id ('subscribeReady' / 'subscribeFailed'), or why not at once.
    #[napi(catch_unwind, ts_args_type = "trackId: number, timeoutMs: number | null, nowMs: number")]
    pub fn subscribe<'e>(&self, env: &'e Env, track_id: Unknown<'e>, timeout_ms: Unknown<'e>, now_ms: Unknown<'e>) -> napi::Result<SubscribeStart> {
        self.with(env, |s| {
            let track_id = track_id_arg(&track_id)?;
            let timeout = machine::optional_duration(&timeout_ms, "timeoutMs")?;
            let now = s.clock.at(&now_ms)?;
            Ok(match s.subscriber.subscribe(track_id, timeout, now) {
                Ok(stream) => SubscribeStart { stream: stream as f64, error: None },
                Err(e) => SubscribeStart { stream: 0.0, error: Some(error(&e)) },
            })
        })
    }

    /// Gives up a stream that is not ready yet ('subscribeFailed' with 'cancelled').
    #[napi(catch_unwind, ts_args_type = "stream: number, nowMs: number")]
    pub fn cancel_subscribe<'e>(&self, env: &'e Env, stream: Unknown<'e>, now_ms: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let stream = machine::id(&stream, "stream")?;
            let now = s.clock.at(&now_ms)?;
            s.subscriber.cancel_subscribe(stream, now);
            Ok(())
        })
    }

    /// The reader is done with a stream; the last one of a track unsubscribes.
    #[napi(catch_unwind, ts_args_type = "stream: number, nowMs: number")]
    pub fn release_stream<'e>(&self, env: &'e Env, stream: Unknown<'e>, now_ms: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let stream = machine::id(&stream, "stream")?;
            let now = s.clock.at(&now_ms)?;
            s.subscriber.release_stream(stream, now);
            Ok(())
        })
    }

    /// Frames reassembled concurrently (clamped to 1..256): now if subscribed, and later.
    #[napi(catch_unwind, ts_args_type = "trackId: number, maxPartialFrames: number")]
    pub fn set_pipeline_options<'e>(&self, env: &'e Env, track_id: Unknown<'e>, max_partial_frames: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let track_id = track_id_arg(&track_id)?;
            let max = args::integer_in(&max_partial_frames, "maxPartialFrames", 0, u32::MAX)? as usize;
            s.subscriber.set_pipeline_options(track_id, max);
            Ok(())
        })
    }

    /// DataTrackSubscriberHandles: [handle, track SID]; unusable entries are skipped.
    #[napi(catch_unwind, ts_args_type = "entries: Array<[number, string]>, nowMs: number")]
    pub fn set_subscriber_handles<'e>(&self, env: &'e Env, entries: Unknown<'e>, now_ms: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let mut parsed = Vec::new();
            for pair in args::array(&entries, "entries")? {
                let pair = args::array(&pair, "entry").map_err(|_| Failure::invalid_argument("entry must be [handle, sid]"))?;
                let [handle, sid, ..] = pair.as_slice() else {
                    return Err(Failure::invalid_argument("entry must be [handle, sid]"));
                };
                parsed.push((args::integer_in(handle, "entry handle", 0, u32::MAX)?, args::string(sid, "entry sid")?));
            }
            let now = s.clock.at(&now_ms)?;
            s.subscriber.set_subscriber_handles(&parsed, now);
            Ok(())
        })
    }

    /// Our `_data_track` channel opened.
    #[napi(catch_unwind)]
    pub fn channel_opened(&self, env: &Env) -> napi::Result<()> {
        self.with(env, |s| {
            s.subscriber.channel_opened();
            Ok(())
        })
    }

    /// The caller could not decrypt a frame of this track.
    #[napi(catch_unwind, ts_args_type = "trackId: number")]
    pub fn count_decrypt_failure<'e>(&self, env: &'e Env, track_id: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            s.subscriber.count_decrypt_failure(track_id_arg(&track_id)?);
            Ok(())
        })
    }

    /// From now on, receivePacket opens this track's frames under `keyIndex` with the AesGcmKey
    /// whose id is `keyId` (0: no longer), reporting the id in the frame's info.
    #[napi(catch_unwind, ts_args_type = "trackId: number, keyIndex: number, keyId: number")]
    pub fn set_open_key<'e>(&self, env: &'e Env, track_id: Unknown<'e>, key_index: Unknown<'e>, key_id: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let track_id = track_id_arg(&track_id)?;
            let key_index = args::integer_in(&key_index, "keyIndex", 0, 255)? as u8;
            let key_id = args::integer_in(&key_id, "keyId", 0, u32::MAX)?;
            s.open_keys.set(track_id, key_index, key_id);
            Ok(())
        })
    }

    /// Forgets every key set for this track with setOpenKey.
    #[napi(catch_unwind, ts_args_type = "trackId: number")]
    pub fn forget_open_keys<'e>(&self, env: &'e Env, track_id: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            s.open_keys.forget_track(track_id_arg(&track_id)?);
            Ok(())
        })
    }

    /// A full reconnect began.
    #[napi(catch_unwind)]
    pub fn restarting(&self, env: &Env) -> napi::Result<()> {
        self.with(env, |s| {
            s.subscriber.restarting();
            Ok(())
        })
    }

    /// Joined: identities present in the (re)join; the others left while we were away.
    #[napi(catch_unwind, ts_args_type = "present: string[], nowMs: number")]
    pub fn joined<'e>(&self, env: &'e Env, present: Unknown<'e>, now_ms: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let present = args::array(&present, "present")?.iter().map(|v| args::string(v, "present[i]")).collect::<Outcome<Vec<_>>>()?;
            let now = s.clock.at(&now_ms)?;
            s.subscriber.joined(&present, now);
            Ok(())
        })
    }

    /// The room is gone: every track ends, every wait fails.
    #[napi(catch_unwind)]
    pub fn disconnected(&self, env: &Env) -> napi::Result<()> {
        self.with(env, |s| {
            s.subscriber.disconnected();
            Ok(())
        })
    }

    /// The earliest deadline, in the caller's milliseconds, or null.
    #[napi(catch_unwind)]
    pub fn poll_timeout(&self, env: &Env) -> napi::Result<Option<f64>> {
        self.with(env, |s| Ok(s.subscriber.poll_timeout().map(|at| s.clock.ms(at))))
    }

    #[napi(catch_unwind, ts_args_type = "nowMs: number")]
    pub fn handle_timeout<'e>(&self, env: &'e Env, now_ms: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let now = s.clock.at(&now_ms)?;
            s.subscriber.handle_timeout(now);
            Ok(())
        })
    }

    /// Everything that happened since the last call, in order.
    #[napi(catch_unwind)]
    pub fn poll_events(&self, env: &Env) -> napi::Result<Vec<SubscriberEvent>> {
        self.with(env, |s| Ok(std::iter::from_fn(|| s.subscriber.poll_event()).map(event).collect()))
    }

    #[napi(catch_unwind, ts_args_type = "trackId: number")]
    pub fn is_subscribed<'e>(&self, env: &'e Env, track_id: Unknown<'e>) -> napi::Result<bool> {
        self.with(env, |s| Ok(s.subscriber.is_subscribed(track_id_arg(&track_id)?)))
    }

    /// Live counters of a published track (the final ones come with 'trackUnpublished').
    #[napi(catch_unwind, ts_args_type = "trackId: number")]
    pub fn track_stats<'e>(&self, env: &'e Env, track_id: Unknown<'e>) -> napi::Result<Option<SubscribedTrackStats>> {
        self.with(env, |s| Ok(s.subscriber.track_stats(track_id_arg(&track_id)?).as_ref().map(stats)))
    }

    #[napi(catch_unwind)]
    pub fn stats(&self, env: &Env) -> napi::Result<RemoteManagerStats> {
        self.with(env, |s| Ok(manager_stats(&s.subscriber.stats())))
    }
}

/// One `_data_track` message: the frame it completed, if any, as the ArrayBuffer holding its
/// payload, with its track, extensions and the payload's place written into `info` (layout:
/// frameInfoLayout()). Never throws on bad bytes: malformed packets and unknown handles are
/// counted in stats(). lib/native/binding.ts builds handlePacket on it.
fn receive_packet<'e>(env: &'e Env, s: &mut State, a: &[Unknown<'e>; 2]) -> Outcome<sys::napi_value> {
    let frame = data_path::receive_packet(env, &mut s.subscriber, Some(&s.open_keys), &a[0], &a[1])?;
    // SAFETY: `env` is the running callback's.
    Ok(unsafe { Option::<Unknown>::to_napi_value(env.raw(), frame) }?)
}
