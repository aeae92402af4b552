use std::cell::RefCell;
use std::rc::Rc;
use std::collections::HashMap;

use napi::bindgen_prelude::{This, ToNapiValue, Uint32ArraySlice};
use napi::{sys, Env, Unknown};
use napi_derive::napi;

use super::args;
use super::bound;
use super::data_path;
use super::error::{entry, with_state, Failure, Outcome};
use super::out;
use super::shapes::{
    count,
    self, FrameExtensions, ReceivedFrames, RemoteManagerStats, RemotePublicationChanges, RemoteTrackStats,
    TrackReassignment, TrackSid,
};
use crate::packet::DeserializeError;
use crate::remote::{self, PublicationChanges, RemoteTrackDescriptor};

struct State {
    manager: remote::RemoteManager,
    /// Reused by handlePackets.
    received: remote::ReceivedFrames,
}

/// Subscriber-side state of one room connection: remote publications, the SFU's subscriber
/// handle map, and one reassembly pipeline per subscribed track.
#[napi]
pub struct RemoteManager {
    /// RefCell: a getter run while reading arguments may call back into this object.
    state: Rc<RefCell<State>>,
}

fn track_id_arg(v: &Unknown) -> Outcome<u32> {
    args::integer_in(v, "trackId", 1, u32::MAX)
}

fn max_partial_arg(v: &Unknown) -> Outcome<usize> {
    if args::is_nullish(v)? {
        return Ok(1);
    }
    Ok(args::integer_in(v, "maxPartialFrames", 0, u32::MAX)? as usize)
}

fn read_descriptor(v: &Unknown) -> Outcome<RemoteTrackDescriptor> {
    let o = args::object(v, "track")?;
    let sid = args::string(&args::property(&o, "sid")?, "track.sid")?;
    let pub_handle = args::u16_in(&args::property(&o, "pubHandle")?, "track.pubHandle", 0)?;
    let name = args::string(&args::property(&o, "name")?, "track.name")?;
    let uses_e2ee = args::boolean(&args::property(&o, "usesE2ee")?, "track.usesE2ee")?;
    Ok(RemoteTrackDescriptor { sid, pub_handle, name, uses_e2ee })
}

fn changes(c: PublicationChanges) -> RemotePublicationChanges {
    let entry = |(track_id, sid)| TrackSid { track_id, sid };
    RemotePublicationChanges {
        published: c.published.into_iter().map(entry).collect(),
        unpublished: c.unpublished.into_iter().map(entry).collect(),
        reassigned: c
            .reassigned
            .into_iter()
            .map(|(track_id, old_sid, new_sid)| TrackReassignment { track_id, old_sid, new_sid })
            .collect(),
    }
}

impl RemoteManager {
    fn with<T>(&self, env: &Env, body: impl FnOnce(&mut State) -> Outcome<T>) -> napi::Result<T> {
        with_state(env, &self.state, "RemoteManager", body)
    }
}

#[napi]
impl RemoteManager {
    #[napi(catch_unwind, constructor)]
    pub fn new<'e>(env: &'e Env, this: This<'e>) -> napi::Result<Self> {
        entry(env, || {
            args::constructed::<RemoteManager>(env, &this, "RemoteManager")?;
            let state = Rc::new(RefCell::new(State { manager: remote::RemoteManager::new(), received: Default::default() }));
            bound::define(env, &this, "RemoteManager", "receivePacket", state.clone(), receive_packet)?;
            Ok(RemoteManager { state })
        })
    }

    /// The complete data-track list of one remote participant (authoritative: anything missing is
    /// unpublished). Never call it with the local identity.
    #[napi(catch_unwind, ts_args_type = "identity: string, tracks: RemoteTrackDescriptor[]")]
    pub fn update_participant<'e>(&self, env: &'e Env, identity: Unknown<'e>, tracks: Unknown<'e>) -> napi::Result<RemotePublicationChanges> {
        self.with(env, |s| {
            let identity = args::string(&identity, "identity")?;
            let tracks = args::array(&tracks, "tracks")?.iter().map(read_descriptor).collect::<Outcome<Vec<_>>>()?;
            Ok(changes(s.manager.update_participant(&identity, &tracks)))
        })
    }

    /// The participant left: all its publications are unpublished.
    #[napi(catch_unwind, ts_args_type = "identity: string")]
    pub fn remove_participant<'e>(&self, env: &'e Env, identity: Unknown<'e>) -> napi::Result<RemotePublicationChanges> {
        self.with(env, |s| {
            let identity = args::string(&identity, "identity")?;
            Ok(changes(s.manager.remove_participant(&identity)))
        })
    }

    /// Creates the reassembly pipeline for a track (idempotent; on an existing pipeline it applies
    /// the new capacity). maxPartialFrames is clamped to 1..256. UnknownTrack for an unknown trackId.
    #[napi(catch_unwind, ts_args_type = "trackId: number, maxPartialFrames: number")]
    pub fn subscribe<'e>(&self, env: &'e Env, track_id: Unknown<'e>, max_partial_frames: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let id = track_id_arg(&track_id)?;
            let max = max_partial_arg(&max_partial_frames)?;
            Ok(s.manager.subscribe(id, max)?)
        })
    }

    /// Drops the pipeline and any handle that points at it. No-op when not subscribed.
    #[napi(catch_unwind, ts_args_type = "trackId: number")]
    pub fn unsubscribe<'e>(&self, env: &'e Env, track_id: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            s.manager.unsubscribe(track_id_arg(&track_id)?);
            Ok(())
        })
    }

    /// Changes the capacity of a subscribed track's pipeline (no-op when not subscribed; UnknownTrack
    /// for an unknown trackId). Partial frames beyond a reduced capacity are dropped at once and
    /// counted as droppedInterrupted.
    #[napi(catch_unwind, ts_args_type = "trackId: number, maxPartialFrames: number")]
    pub fn set_pipeline_options<'e>(&self, env: &'e Env, track_id: Unknown<'e>, max_partial_frames: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let id = track_id_arg(&track_id)?;
            let max = max_partial_arg(&max_partial_frames)?;
            Ok(s.manager.set_pipeline_options(id, max)?)
        })
    }

    /// Full snapshot from DataTrackSubscriberHandles: [subscriber handle (1..65535), track SID]. A
    /// handle may name a SID that is not known yet; it routes once the publication appears and is
    /// subscribed.
    #[napi(catch_unwind, ts_args_type = "entries: Array<[number, string]>")]
    pub fn set_subscriber_handles<'e>(&self, env: &'e Env, entries: Unknown<'e>) -> napi::Result<()> {
        self.with(env, |s| {
            let mut parsed = Vec::new();
            for pair in args::array(&entries, "entries")? {
                let pair = args::array(&pair, "entry").map_err(|_| Failure::invalid_argument("entry must be [handle, sid]"))?;
                let [handle, sid, ..] = pair.as_slice() else {
                    return Err(Failure::invalid_argument("entry must be [handle, sid]"));
                };
                parsed.push((args::u16_in(handle, "entry handle", 1)?, args::string(sid, "entry sid")?));
            }
            s.manager.set_subscriber_handles(parsed);
            Ok(())
        })
    }

    /// Current subscriber handle of a track's SID in the last snapshot (subscribed or not), or 0.
    #[napi(catch_unwind, ts_args_type = "trackId: number")]
    pub fn subscriber_handle<'e>(&self, env: &'e Env, track_id: Unknown<'e>) -> napi::Result<u32> {
        self.with(env, |s| Ok(s.manager.subscriber_handle(track_id_arg(&track_id)?).into()))
    }

    /// handlePacket for every packet of a pollTransmit-style batch (packet i is
    /// data.subarray(ends[i-1] ?? 0, ends[i])), with the completed frames returned together.
    /// null when no frame completed. Never throws on bad packet bytes; InvalidArgument, handling
    /// nothing, for ends out of order or past data.
    #[napi(catch_unwind, ts_args_type = "data: Uint8Array, ends: Uint32Array")]
    pub fn handle_packets<'e>(&self, env: &'e Env, data: Unknown<'e>, ends: Unknown<'e>) -> napi::Result<Option<ReceivedFrames<'e>>> {
        self.with(env, |s| {
            let ends = args::uint32_array(&ends, "ends")?;
            let data = args::bytes(&data, "data")?;
            let State { manager, received } = s;
            received.clear();
            match manager.handle_packets(&data, &ends, received) {
                None => return Err(Failure::invalid_argument("ends must be non-decreasing and within data")),
                Some(handled) if handled < ends.len() => {
                    return Err(Failure::new(
                        "InvalidState",
                        format!("frames of one call would exceed 4 GiB; packets from {handled} on were not handled"),
                    ))
                }
                Some(_) => {}
            }
            if received.is_empty() {
                return Ok(None);
            }
            let extensions = received
                .extensions
                .iter()
                .map(|(frame, ext)| {
                    Ok(FrameExtensions {
                        frame: *frame as u32,
                        user_timestamp: shapes::user_timestamp(ext),
                        e2ee: shapes::e2ee(env, ext)?,
                    })
                })
                .collect::<Outcome<Vec<_>>>()?;
            Ok(Some(ReceivedFrames {
                data: out::buffer(env, received.data.len(), |out| out.copy_from_slice(&received.data))?,
                ends: Uint32ArraySlice::copy_from(env, &received.ends)?,
                track_ids: Uint32ArraySlice::copy_from(env, &received.track_ids)?,
                extensions,
            }))
        })
    }

    /// Stats of a known publication (kept across unsubscribe/resubscribe), null once unpublished.
    #[napi(catch_unwind, ts_args_type = "trackId: number")]
    pub fn track_stats<'e>(&self, env: &'e Env, track_id: Unknown<'e>) -> napi::Result<Option<RemoteTrackStats>> {
        self.with(env, |s| {
            Ok(s.manager.track_stats(track_id_arg(&track_id)?).map(|t| RemoteTrackStats {
                frames_received: count(t.frames_received),
                bytes_received: count(t.bytes_received),
                packets_received: count(t.packets_received),
                dropped_interrupted: count(t.dropped_interrupted),
                dropped_unknown_frame: count(t.dropped_unknown_frame),
                dropped_buffer_full: count(t.dropped_buffer_full),
                dropped_incomplete: count(t.dropped_incomplete),
            }))
        })
    }

    #[napi(catch_unwind)]
    pub fn stats(&self, env: &Env) -> napi::Result<RemoteManagerStats> {
        self.with(env, |s| Ok(manager_stats(&s.manager.stats())))
    }
}

pub(super) fn manager_stats(stats: &remote::RemoteManagerStats) -> RemoteManagerStats {
    let malformed: HashMap<String, f64> = (0..DeserializeError::KINDS)
        .filter(|&kind| stats.malformed[kind] > 0)
        .map(|kind| (DeserializeError::code_of_kind(kind).to_string(), count(stats.malformed[kind])))
        .collect();
    RemoteManagerStats { malformed, unknown_handle: count(stats.unknown_handle) }
}

/// One `_data_track` message: the frame it completed, if any, as the ArrayBuffer holding its
/// payload, with its track, extensions and the payload's place written into `info` (layout:
/// frameInfoLayout()). Never throws on bad bytes: malformed packets and unknown handles are
/// counted in stats(). lib/native/binding.ts builds handlePacket on it.
fn receive_packet<'e>(env: &'e Env, s: &mut State, a: &[Unknown<'e>; 2]) -> Outcome<sys::napi_value> {
    let frame = data_path::receive_packet(env, &mut s.manager, None, &a[0], &a[1])?;
    // SAFETY: `env` is the running callback's.
    Ok(unsafe { Option::<Unknown>::to_napi_value(env.raw(), frame) }?)
}
