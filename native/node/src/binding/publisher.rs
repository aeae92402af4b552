use std::ffi::CStr;

use super::error;
use super::local::handle_arg;
use super::machine::{deadline_value, duration_option, event, metadata_value, optional_duration, read_metadata, MsClock};
use super::paths;
use crate::local::protocol::{PublishRequest, PublishedTrack, RejectReason};
use crate::local::{
    PublishError, PublishOptions, PublishedTrackStats, Publisher, PublisherEvent, PublisherOptions, UnpublishCause,
};
use crate::napi::sys::napi_type_tag;
use crate::napi::{CallArgs, Env, JsClass, JsResult, MethodImpl, Value};

/// `new Publisher({queueCapacity, publishTimeoutMs, unpublishTimeoutMs, mtu?, nowMs})`.
pub struct JsPublisher {
    publisher: Publisher,
    clock: MsClock,
    /// Reused per batch for the packet end offsets.
    ends: Vec<u32>,
}

impl JsClass for JsPublisher {
    const NAME: &'static CStr = c"Publisher";
    const TAG: napi_type_tag = napi_type_tag { lower: 0x6c6b_6474_7075_626c, upper: 0x0005 };

    fn construct(env: Env, args: &CallArgs) -> JsResult<Self> {
        let o = args.get(0);
        let mut options = PublisherOptions::default();
        let mtu = env.get(o, c"mtu", "options")?;
        if !env.is_nullish(mtu)? {
            options.mtu = env.to_usize(mtu, "options.mtu")?;
        }
        options.queue_capacity = env.to_u32_in(env.get(o, c"queueCapacity", "options")?, "options.queueCapacity", 1, 1 << 20)? as usize;
        options.publish_timeout = duration_option(env, o, c"publishTimeoutMs", "options.publishTimeoutMs")?;
        options.unpublish_timeout = duration_option(env, o, c"unpublishTimeoutMs", "options.unpublishTimeoutMs")?;
        let clock = MsClock::new(env.to_number(env.get(o, c"nowMs", "options")?, "options.nowMs")?);
        Ok(JsPublisher { publisher: Publisher::new(options).map_err(error::local)?, clock, ends: Vec::new() })
    }

    fn methods() -> &'static [(&'static CStr, MethodImpl<Self>)] {
        &[
            (c"publish", Self::publish),
            (c"cancelPublish", Self::cancel_publish),
            (c"unpublish", Self::unpublish),
            (c"pushFrame", Self::push_frame),
            (c"countEncryptionFailure", Self::count_encryption_failure),
            (c"handlePublishResponse", Self::handle_publish_response),
            (c"handlePublishRejected", Self::handle_publish_rejected),
            (c"handleUnpublishResponse", Self::handle_unpublish_response),
            (c"handleUnpublishRejected", Self::handle_unpublish_rejected),
            (c"restarting", Self::restarting),
            (c"joined", Self::joined),
            (c"disconnected", Self::disconnected),
            (c"pollTimeout", Self::poll_timeout),
            (c"handleTimeout", Self::handle_timeout),
            (c"pollEvents", Self::poll_events),
            (c"syncStateTracks", Self::sync_state_tracks),
            (c"stats", Self::stats),
            (c"pollTransmit", Self::poll_transmit),
            (c"queuedFrames", Self::queued_frames),
        ]
    }
}

fn error_value(env: Env, e: &PublishError) -> JsResult<Value> {
    let o = env.object()?;
    env.set(o, c"reason", env.string(e.failure().as_str())?)?;
    env.set(o, c"message", env.string(&e.to_string())?)?;
    let raw = match e.raw_message() {
        Some(m) => env.string(m)?,
        None => env.null()?,
    };
    env.set(o, c"rawMessage", raw)?;
    Ok(o)
}

fn set_request(env: Env, o: Value, r: &PublishRequest) -> JsResult<()> {
    env.set(o, c"handle", env.u32(r.handle.into())?)?;
    env.set(o, c"name", env.string(&r.name)?)?;
    env.set(o, c"usesE2ee", env.boolean(r.uses_e2ee)?)?;
    env.set(o, c"metadata", metadata_value(env, &r.metadata)?)
}

fn track_value(env: Env, t: &PublishedTrack) -> JsResult<Value> {
    let o = env.object()?;
    env.set(o, c"handle", env.u32(t.handle.into())?)?;
    env.set(o, c"sid", env.string(&t.sid)?)?;
    env.set(o, c"name", env.string(&t.name)?)?;
    env.set(o, c"usesE2ee", env.boolean(t.uses_e2ee)?)?;
    env.set(o, c"metadata", metadata_value(env, &t.metadata)?)?;
    Ok(o)
}

fn cause_str(c: UnpublishCause) -> &'static str {
    match c {
        UnpublishCause::Requested => "requested",
        UnpublishCause::BySfu => "bySfu",
        UnpublishCause::RepublishRefused => "republishRefused",
        UnpublishCause::Disconnected => "disconnected",
    }
}

fn event_value(env: Env, e: &PublisherEvent) -> JsResult<Value> {
    let handle = |o: Value, h: u16| env.set(o, c"handle", env.u32(h.into())?);
    match e {
        PublisherEvent::SendPublishRequest(r) => {
            let o = event(env, "sendPublishRequest")?;
            let request = env.object()?;
            set_request(env, request, r)?;
            env.set(o, c"request", request)?;
            Ok(o)
        }
        PublisherEvent::SendUnpublishRequest { handle: h } => {
            let o = event(env, "sendUnpublishRequest")?;
            handle(o, *h)?;
            Ok(o)
        }
        PublisherEvent::Published(t) => {
            let o = event(env, "published")?;
            env.set(o, c"track", track_value(env, t)?)?;
            Ok(o)
        }
        PublisherEvent::PublishFailed { handle: h, error } => {
            let o = event(env, "publishFailed")?;
            handle(o, *h)?;
            env.set(o, c"error", error_value(env, error)?)?;
            Ok(o)
        }
        PublisherEvent::Republished { handle: h, sid } => {
            let o = event(env, "republished")?;
            handle(o, *h)?;
            env.set(o, c"sid", env.string(sid)?)?;
            Ok(o)
        }
        PublisherEvent::Unpublished { handle: h, cause } => {
            let o = event(env, "unpublished")?;
            handle(o, *h)?;
            env.set(o, c"cause", env.string(cause_str(*cause))?)?;
            Ok(o)
        }
        PublisherEvent::UnpublishDone { handle: h } => {
            let o = event(env, "unpublishDone")?;
            handle(o, *h)?;
            Ok(o)
        }
    }
}

fn stats_value(env: Env, s: &PublishedTrackStats) -> JsResult<Value> {
    let o = env.object()?;
    env.set(o, c"framesSent", env.count(s.frames_sent)?)?;
    env.set(o, c"bytesSent", env.count(s.bytes_sent)?)?;
    env.set(o, c"packetsSent", env.count(s.packets_sent)?)?;
    env.set(o, c"framesDroppedQueueFull", env.count(s.frames_dropped_queue_full)?)?;
    env.set(o, c"framesDroppedNotPublished", env.count(s.frames_dropped_not_published)?)?;
    env.set(o, c"framesDroppedEncryptionFailed", env.count(s.frames_dropped_encryption_failed)?)?;
    env.set(o, c"queuedFrames", env.count(s.queued_frames as u64)?)?;
    Ok(o)
}

impl JsPublisher {
    /// `publish({name, usesE2ee, metadata, queueCapacity, timeoutMs}, nowMs): {handle, error}`.
    fn publish(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let o = args.get(0);
        let name = env.to_string(env.get(o, c"name", "options")?, "options.name")?;
        let uses_e2ee = env.to_bool(env.get(o, c"usesE2ee", "options")?, "options.usesE2ee")?;
        let metadata = read_metadata(env, env.get(o, c"metadata", "options")?)?;
        let cap = env.get(o, c"queueCapacity", "options")?;
        let queue_capacity = if env.is_nullish(cap)? {
            None
        } else {
            // Any number: the publisher clamps it to its own range.
            let n = env.to_number(cap, "options.queueCapacity")?;
            Some(if n >= 1.0 { n.min(usize::MAX as f64) as usize } else { 1 })
        };
        let timeout = optional_duration(env, env.get(o, c"timeoutMs", "options")?, "options.timeoutMs")?;
        let now = self.clock.arg(env, args, 1)?;
        let options = PublishOptions { name, uses_e2ee, metadata, queue_capacity, timeout };
        let out = env.object()?;
        match self.publisher.publish(options, now) {
            Ok(handle) => {
                env.set(out, c"handle", env.u32(handle.into())?)?;
                env.set(out, c"error", env.null()?)?;
            }
            Err(e) => {
                env.set(out, c"handle", env.u32(0)?)?;
                env.set(out, c"error", error_value(env, &e)?)?;
            }
        }
        Ok(out)
    }

    fn cancel_publish(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        self.publisher.cancel_publish(handle_arg(env, args, 0)?);
        env.undefined()
    }

    fn unpublish(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let handle = handle_arg(env, args, 0)?;
        let now = self.clock.arg(env, args, 1)?;
        self.publisher.unpublish(handle, now);
        env.undefined()
    }

    fn push_frame(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        paths::push_frame(env, args, &mut self.publisher)
    }

    fn count_encryption_failure(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        self.publisher.count_encryption_failure(handle_arg(env, args, 0)?);
        env.undefined()
    }

    /// `handlePublishResponse(handle, sid, metadata, nowMs)`.
    fn handle_publish_response(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let handle = handle_arg(env, args, 0)?;
        let sid = env.to_string(args.get(1), "sid")?;
        let metadata = read_metadata(env, args.get(2))?;
        let now = self.clock.arg(env, args, 3)?;
        self.publisher.handle_publish_response(handle, &sid, &metadata, now);
        env.undefined()
    }

    /// `handlePublishRejected(handle, reasonCode, message)`.
    fn handle_publish_rejected(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let handle = handle_arg(env, args, 0)?;
        let code = env.to_int(args.get(1), "reason", i32::MIN as f64, i32::MAX as f64)? as i32;
        let message = env.to_string(args.get(2), "message")?;
        self.publisher.handle_publish_rejected(handle, RejectReason::from_code(code), &message);
        env.undefined()
    }

    fn handle_unpublish_response(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let handle = handle_arg(env, args, 0)?;
        let sid = env.to_string(args.get(1), "sid")?;
        self.publisher.handle_unpublish_response(handle, &sid);
        env.undefined()
    }

    fn handle_unpublish_rejected(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        self.publisher.handle_unpublish_rejected(handle_arg(env, args, 0)?);
        env.undefined()
    }

    fn restarting(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        self.publisher.restarting();
        env.undefined()
    }

    fn joined(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        self.publisher.joined();
        env.undefined()
    }

    fn disconnected(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        self.publisher.disconnected();
        env.undefined()
    }

    fn poll_timeout(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        deadline_value(env, &self.clock, self.publisher.poll_timeout())
    }

    fn handle_timeout(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let now = self.clock.arg(env, args, 0)?;
        self.publisher.handle_timeout(now);
        env.undefined()
    }

    fn poll_events(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        let events: Vec<PublisherEvent> = std::iter::from_fn(|| self.publisher.poll_event()).collect();
        env.array_from(events.iter().map(|e| event_value(env, e)))
    }

    fn sync_state_tracks(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        let tracks = self.publisher.sync_state_tracks();
        env.array_from(tracks.iter().map(|t| track_value(env, t)))
    }

    fn stats(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        match self.publisher.stats(handle_arg(env, args, 0)?) {
            Some(s) => stats_value(env, &s),
            None => env.null(),
        }
    }

    fn poll_transmit(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        paths::poll_transmit(env, args, &mut self.publisher, &mut self.ends)
    }

    fn queued_frames(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        env.count(self.publisher.queued_frames() as u64)
    }
}
