use std::ffi::CStr;

use super::machine::{deadline_value, duration_option, event, id_arg, metadata_value, optional_duration, read_metadata, MsClock};
use super::paths;
use super::remote::{manager_stats_value, set_track_stats};
use crate::napi::sys::napi_type_tag;
use crate::napi::{CallArgs, Env, JsClass, JsResult, MethodImpl, Value};
use crate::remote::protocol::RemoteTrackInfo;
use crate::remote::{SubscribeError, SubscribedTrackStats, Subscriber, SubscriberEvent, SubscriberOptions, TrackEnd};

/// `new Subscriber({subscribeTimeoutMs, nowMs})`.
pub struct JsSubscriber {
    subscriber: Subscriber,
    clock: MsClock,
}

impl JsClass for JsSubscriber {
    const NAME: &'static CStr = c"Subscriber";
    const TAG: napi_type_tag = napi_type_tag { lower: 0x6c6b_6474_7375_6273, upper: 0x0006 };

    fn construct(env: Env, args: &CallArgs) -> JsResult<Self> {
        let o = args.get(0);
        let options = SubscriberOptions {
            subscribe_timeout: duration_option(env, o, c"subscribeTimeoutMs", "options.subscribeTimeoutMs")?,
            ..SubscriberOptions::default()
        };
        let clock = MsClock::new(env.to_number(env.get(o, c"nowMs", "options")?, "options.nowMs")?);
        Ok(JsSubscriber { subscriber: Subscriber::new(options), clock })
    }

    fn methods() -> &'static [(&'static CStr, MethodImpl<Self>)] {
        &[
            (c"updateParticipant", Self::update_participant),
            (c"removeParticipant", Self::remove_participant),
            (c"waitForTrack", Self::wait_for_track),
            (c"cancelWait", Self::cancel_wait),
            (c"subscribe", Self::subscribe),
            (c"cancelSubscribe", Self::cancel_subscribe),
            (c"releaseStream", Self::release_stream),
            (c"setPipelineOptions", Self::set_pipeline_options),
            (c"setSubscriberHandles", Self::set_subscriber_handles),
            (c"channelOpened", Self::channel_opened),
            (c"countDecryptFailure", Self::count_decrypt_failure),
            (c"restarting", Self::restarting),
            (c"joined", Self::joined),
            (c"disconnected", Self::disconnected),
            (c"pollTimeout", Self::poll_timeout),
            (c"handleTimeout", Self::handle_timeout),
            (c"pollEvents", Self::poll_events),
            (c"handlePacket", Self::handle_packet),
            (c"isSubscribed", Self::is_subscribed),
            (c"trackStats", Self::track_stats),
            (c"stats", Self::stats),
        ]
    }
}

fn track_id_arg(env: Env, args: &CallArgs, i: usize) -> JsResult<u32> {
    env.to_u32_in(args.get(i), "trackId", 0, u32::MAX)
}

fn read_track_info(env: Env, v: Value) -> JsResult<RemoteTrackInfo> {
    Ok(RemoteTrackInfo {
        sid: env.to_string(env.get(v, c"sid", "track")?, "track.sid")?,
        pub_handle: env.to_u32_in(env.get(v, c"pubHandle", "track")?, "track.pubHandle", 0, u32::MAX)?,
        name: env.to_string(env.get(v, c"name", "track")?, "track.name")?,
        encryption: env.to_int(env.get(v, c"encryption", "track")?, "track.encryption", i32::MIN as f64, i32::MAX as f64)? as i32,
        metadata: read_metadata(env, env.get(v, c"metadata", "track")?)?,
    })
}

fn error_value(env: Env, e: &SubscribeError) -> JsResult<Value> {
    let o = env.object()?;
    env.set(o, c"reason", env.string(e.reason())?)?;
    env.set(o, c"message", env.string(&e.to_string())?)?;
    Ok(o)
}

fn stats_value(env: Env, s: &SubscribedTrackStats) -> JsResult<Value> {
    let o = env.object()?;
    set_track_stats(env, o, &s.reassembly)?;
    env.set(o, c"decryptFailed", env.count(s.decrypt_failed)?)?;
    Ok(o)
}

fn event_value(env: Env, e: &SubscriberEvent) -> JsResult<Value> {
    let set_u32 = |o: Value, name: &CStr, n: u32| env.set(o, name, env.u32(n)?);
    let set_id = |o: Value, name: &CStr, n: u64| env.set(o, name, env.count(n)?);
    match e {
        SubscriberEvent::SendUpdateSubscription(u) => {
            let o = event(env, "sendUpdateSubscription")?;
            env.set(o, c"sid", env.string(&u.sid)?)?;
            env.set(o, c"subscribe", env.boolean(u.subscribe)?)?;
            Ok(o)
        }
        SubscriberEvent::TrackPublished { track, holds_name } => {
            let o = event(env, "trackPublished")?;
            let t = env.object()?;
            set_u32(t, c"trackId", track.track_id)?;
            env.set(t, c"identity", env.string(&track.identity)?)?;
            env.set(t, c"sid", env.string(&track.sid)?)?;
            env.set(t, c"name", env.string(&track.name)?)?;
            env.set(t, c"usesE2ee", env.boolean(track.uses_e2ee)?)?;
            env.set(t, c"metadata", metadata_value(env, &track.metadata)?)?;
            env.set(o, c"track", t)?;
            env.set(o, c"holdsName", env.boolean(*holds_name)?)?;
            Ok(o)
        }
        SubscriberEvent::TrackReassigned { track_id, sid } => {
            let o = event(env, "trackReassigned")?;
            set_u32(o, c"trackId", *track_id)?;
            env.set(o, c"sid", env.string(sid)?)?;
            Ok(o)
        }
        SubscriberEvent::TrackUnpublished { track_id, end, stats, name_passes_to } => {
            let o = event(env, "trackUnpublished")?;
            set_u32(o, c"trackId", *track_id)?;
            let end = match end {
                TrackEnd::Unpublished => "unpublished",
                TrackEnd::Disconnected => "disconnected",
            };
            env.set(o, c"end", env.string(end)?)?;
            env.set(o, c"stats", stats_value(env, stats)?)?;
            let next = match name_passes_to {
                Some(id) => env.u32(*id)?,
                None => env.null()?,
            };
            env.set(o, c"namePassesTo", next)?;
            Ok(o)
        }
        SubscriberEvent::SubscribeReady { stream, track_id } => {
            let o = event(env, "subscribeReady")?;
            set_id(o, c"stream", *stream)?;
            set_u32(o, c"trackId", *track_id)?;
            Ok(o)
        }
        SubscriberEvent::SubscribeFailed { stream, track_id, error } => {
            let o = event(env, "subscribeFailed")?;
            set_id(o, c"stream", *stream)?;
            set_u32(o, c"trackId", *track_id)?;
            env.set(o, c"error", error_value(env, error)?)?;
            Ok(o)
        }
        SubscriberEvent::TrackWaitResolved { wait, track_id } => {
            let o = event(env, "trackWaitResolved")?;
            set_id(o, c"wait", *wait)?;
            set_u32(o, c"trackId", *track_id)?;
            Ok(o)
        }
        SubscriberEvent::TrackWaitFailed { wait, error } => {
            let o = event(env, "trackWaitFailed")?;
            set_id(o, c"wait", *wait)?;
            env.set(o, c"error", error_value(env, error)?)?;
            Ok(o)
        }
    }
}

impl JsSubscriber {
    /// `updateParticipant(identity, tracks, nowMs)`.
    fn update_participant(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let identity = env.to_string(args.get(0), "identity")?;
        let list = args.get(1);
        let n = env.array_len(list, "tracks")?;
        let mut tracks = Vec::with_capacity(n as usize);
        for i in 0..n {
            tracks.push(read_track_info(env, env.get_index(list, i)?)?);
        }
        let now = self.clock.arg(env, args, 2)?;
        self.subscriber.update_participant(&identity, &tracks, now);
        env.undefined()
    }

    fn remove_participant(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let identity = env.to_string(args.get(0), "identity")?;
        let now = self.clock.arg(env, args, 1)?;
        self.subscriber.remove_participant(&identity, now);
        env.undefined()
    }

    /// `waitForTrack(identity, name, timeoutMs | null, nowMs): number`.
    fn wait_for_track(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let identity = env.to_string(args.get(0), "identity")?;
        let name = env.to_string(args.get(1), "name")?;
        let timeout = optional_duration(env, args.get(2), "timeoutMs")?;
        let now = self.clock.arg(env, args, 3)?;
        let wait = self.subscriber.wait_for_track(&identity, &name, timeout, now);
        env.count(wait)
    }

    fn cancel_wait(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        self.subscriber.cancel_wait(id_arg(env, args, 0, "wait")?);
        env.undefined()
    }

    /// `subscribe(trackId, timeoutMs | null, nowMs): {stream, error}`.
    fn subscribe(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let track_id = track_id_arg(env, args, 0)?;
        let timeout = optional_duration(env, args.get(1), "timeoutMs")?;
        let now = self.clock.arg(env, args, 2)?;
        let out = env.object()?;
        match self.subscriber.subscribe(track_id, timeout, now) {
            Ok(stream) => {
                env.set(out, c"stream", env.count(stream)?)?;
                env.set(out, c"error", env.null()?)?;
            }
            Err(e) => {
                env.set(out, c"stream", env.u32(0)?)?;
                env.set(out, c"error", error_value(env, &e)?)?;
            }
        }
        Ok(out)
    }

    fn cancel_subscribe(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let stream = id_arg(env, args, 0, "stream")?;
        let now = self.clock.arg(env, args, 1)?;
        self.subscriber.cancel_subscribe(stream, now);
        env.undefined()
    }

    fn release_stream(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let stream = id_arg(env, args, 0, "stream")?;
        let now = self.clock.arg(env, args, 1)?;
        self.subscriber.release_stream(stream, now);
        env.undefined()
    }

    fn set_pipeline_options(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let track_id = track_id_arg(env, args, 0)?;
        let n = env.to_u32_in(args.get(1), "maxPartialFrames", 0, u32::MAX)? as usize;
        self.subscriber.set_pipeline_options(track_id, n);
        env.undefined()
    }

    /// `setSubscriberHandles([[handle, sid]], nowMs)`.
    fn set_subscriber_handles(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let list = args.get(0);
        let n = env.array_len(list, "entries")?;
        let mut entries = Vec::with_capacity(n as usize);
        for i in 0..n {
            let pair = env.get_index(list, i)?;
            let handle = env.to_u32_in(env.get_index(pair, 0)?, "entries[i][0]", 0, u32::MAX)?;
            let sid = env.to_string(env.get_index(pair, 1)?, "entries[i][1]")?;
            entries.push((handle, sid));
        }
        let now = self.clock.arg(env, args, 1)?;
        self.subscriber.set_subscriber_handles(&entries, now);
        env.undefined()
    }

    fn channel_opened(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        self.subscriber.channel_opened();
        env.undefined()
    }

    fn count_decrypt_failure(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        self.subscriber.count_decrypt_failure(track_id_arg(env, args, 0)?);
        env.undefined()
    }

    fn restarting(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        self.subscriber.restarting();
        env.undefined()
    }

    /// `joined(presentIdentities, nowMs)`.
    fn joined(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let list = args.get(0);
        let n = env.array_len(list, "present")?;
        let mut present = Vec::with_capacity(n as usize);
        for i in 0..n {
            present.push(env.to_string(env.get_index(list, i)?, "present[i]")?);
        }
        let now = self.clock.arg(env, args, 1)?;
        self.subscriber.joined(&present, now);
        env.undefined()
    }

    fn disconnected(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        self.subscriber.disconnected();
        env.undefined()
    }

    fn poll_timeout(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        deadline_value(env, &self.clock, self.subscriber.poll_timeout())
    }

    fn handle_timeout(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let now = self.clock.arg(env, args, 0)?;
        self.subscriber.handle_timeout(now);
        env.undefined()
    }

    fn poll_events(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        let events: Vec<SubscriberEvent> = std::iter::from_fn(|| self.subscriber.poll_event()).collect();
        env.array_from(events.iter().map(|e| event_value(env, e)))
    }

    fn handle_packet(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        paths::handle_packet(env, args, &mut self.subscriber)
    }

    fn is_subscribed(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        env.boolean(self.subscriber.is_subscribed(track_id_arg(env, args, 0)?))
    }

    fn track_stats(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        match self.subscriber.track_stats(track_id_arg(env, args, 0)?) {
            Some(s) => stats_value(env, &s),
            None => env.null(),
        }
    }

    fn stats(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        manager_stats_value(env, &self.subscriber.stats())
    }
}
