use std::ffi::CStr;

use super::error;
use super::paths;
use crate::napi::sys::napi_type_tag;
use crate::napi::{CallArgs, Env, JsClass, JsResult, MethodImpl, Value};
use crate::packet::DeserializeError;
use crate::remote::{PublicationChanges, RemoteManager, RemoteManagerStats, RemoteTrackDescriptor, RemoteTrackStats};

/// `new RemoteManager()`.
pub struct JsRemoteManager(RemoteManager);

impl JsClass for JsRemoteManager {
    const NAME: &'static CStr = c"RemoteManager";
    const TAG: napi_type_tag = napi_type_tag { lower: 0x6c6b_6474_7265_6d6f, upper: 0x0004 };

    fn construct(_env: Env, _args: &CallArgs) -> JsResult<Self> {
        Ok(JsRemoteManager(RemoteManager::new()))
    }

    fn methods() -> &'static [(&'static CStr, MethodImpl<Self>)] {
        &[
            (c"updateParticipant", Self::update_participant),
            (c"removeParticipant", Self::remove_participant),
            (c"subscribe", Self::subscribe),
            (c"unsubscribe", Self::unsubscribe),
            (c"setPipelineOptions", Self::set_pipeline_options),
            (c"setSubscriberHandles", Self::set_subscriber_handles),
            (c"subscriberHandle", Self::subscriber_handle),
            (c"handlePacket", Self::handle_packet),
            (c"trackStats", Self::track_stats),
            (c"stats", Self::stats),
        ]
    }
}

fn track_id_arg(env: Env, args: &CallArgs) -> JsResult<u32> {
    env.to_u32_in(args.get(0), "trackId", 1, u32::MAX)
}

fn max_partial_arg(env: Env, args: &CallArgs, i: usize) -> JsResult<usize> {
    if args.is_nullish(i)? {
        return Ok(1);
    }
    Ok(env.to_u32_in(args.get(i), "maxPartialFrames", 0, u32::MAX)? as usize)
}

fn read_descriptor(env: Env, v: Value) -> JsResult<RemoteTrackDescriptor> {
    let sid = env.to_string(env.get(v, c"sid", "track")?, "track.sid")?;
    let pub_handle = env.to_u16_in(env.get(v, c"pubHandle", "track")?, "track.pubHandle", 0, u16::MAX)?;
    let name = env.to_string(env.get(v, c"name", "track")?, "track.name")?;
    let uses_e2ee = env.to_bool(env.get(v, c"usesE2ee", "track")?, "track.usesE2ee")?;
    Ok(RemoteTrackDescriptor { sid, pub_handle, name, uses_e2ee })
}

fn changes_value(env: Env, c: &PublicationChanges) -> JsResult<Value> {
    let entry = |id: u32, sid: &str| -> JsResult<Value> {
        let o = env.object()?;
        env.set(o, c"trackId", env.u32(id)?)?;
        env.set(o, c"sid", env.string(sid)?)?;
        Ok(o)
    };
    let o = env.object()?;
    env.set(o, c"published", env.array_from(c.published.iter().map(|(id, sid)| entry(*id, sid)))?)?;
    env.set(o, c"unpublished", env.array_from(c.unpublished.iter().map(|(id, sid)| entry(*id, sid)))?)?;
    let reassigned = env.array_from(c.reassigned.iter().map(|(id, old, new)| {
        let o = env.object()?;
        env.set(o, c"trackId", env.u32(*id)?)?;
        env.set(o, c"oldSid", env.string(old)?)?;
        env.set(o, c"newSid", env.string(new)?)?;
        Ok(o)
    }))?;
    env.set(o, c"reassigned", reassigned)?;
    Ok(o)
}

/// RemoteTrackStats; `o` gets the fields.
pub(super) fn set_track_stats(env: Env, o: Value, s: &RemoteTrackStats) -> JsResult<()> {
    env.set(o, c"framesReceived", env.count(s.frames_received)?)?;
    env.set(o, c"bytesReceived", env.count(s.bytes_received)?)?;
    env.set(o, c"packetsReceived", env.count(s.packets_received)?)?;
    env.set(o, c"droppedInterrupted", env.count(s.dropped_interrupted)?)?;
    env.set(o, c"droppedUnknownFrame", env.count(s.dropped_unknown_frame)?)?;
    env.set(o, c"droppedBufferFull", env.count(s.dropped_buffer_full)?)?;
    env.set(o, c"droppedIncomplete", env.count(s.dropped_incomplete)?)?;
    Ok(())
}

const MALFORMED_KEYS: [&CStr; DeserializeError::KINDS] =
    [c"TooShort", c"UnsupportedVersion", c"InvalidHandle", c"MissingExtWords", c"HeaderOverrun", c"MalformedExt"];

impl JsRemoteManager {
    fn update_participant(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let identity = env.to_string(args.get(0), "identity")?;
        let list = args.get(1);
        let n = env.array_len(list, "tracks")?;
        let mut tracks = Vec::with_capacity(n as usize);
        for i in 0..n {
            tracks.push(read_descriptor(env, env.get_index(list, i)?)?);
        }
        let changes = self.0.update_participant(&identity, &tracks);
        changes_value(env, &changes)
    }

    fn remove_participant(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let identity = env.to_string(args.get(0), "identity")?;
        let changes = self.0.remove_participant(&identity);
        changes_value(env, &changes)
    }

    fn subscribe(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let id = track_id_arg(env, args)?;
        let max = max_partial_arg(env, args, 1)?;
        self.0.subscribe(id, max).map_err(error::remote)?;
        env.undefined()
    }

    fn unsubscribe(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let id = track_id_arg(env, args)?;
        self.0.unsubscribe(id);
        env.undefined()
    }

    fn set_pipeline_options(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let id = track_id_arg(env, args)?;
        let max = max_partial_arg(env, args, 1)?;
        self.0.set_pipeline_options(id, max).map_err(error::remote)?;
        env.undefined()
    }

    /// `setSubscriberHandles([[handle, sid], ...])`
    fn set_subscriber_handles(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let list = args.get(0);
        let n = env.array_len(list, "entries")?;
        let mut entries = Vec::with_capacity(n as usize);
        for i in 0..n {
            let pair = env.get_index(list, i)?;
            if env.array_len(pair, "entry")? < 2 {
                return Err(crate::napi::JsError::invalid_argument("entry must be [handle, sid]"));
            }
            let handle = env.to_u16_in(env.get_index(pair, 0)?, "entry handle", 1, u16::MAX)?;
            let sid = env.to_string(env.get_index(pair, 1)?, "entry sid")?;
            entries.push((handle, sid));
        }
        self.0.set_subscriber_handles(entries);
        env.undefined()
    }

    fn subscriber_handle(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let id = track_id_arg(env, args)?;
        env.u32(self.0.subscriber_handle(id).into())
    }

    fn handle_packet(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        paths::handle_packet(env, args, &mut self.0)
    }

    fn track_stats(&mut self, env: Env, args: &CallArgs) -> JsResult<Value> {
        let id = track_id_arg(env, args)?;
        match self.0.track_stats(id) {
            Some(s) => {
                let o = env.object()?;
                set_track_stats(env, o, &s)?;
                Ok(o)
            }
            None => env.null(),
        }
    }

    fn stats(&mut self, env: Env, _args: &CallArgs) -> JsResult<Value> {
        manager_stats_value(env, &self.0.stats())
    }
}

/// RemoteManagerStats.
pub(super) fn manager_stats_value(env: Env, s: &RemoteManagerStats) -> JsResult<Value> {
    let malformed = env.object()?;
    for (kind, key) in MALFORMED_KEYS.iter().enumerate() {
        if s.malformed[kind] > 0 {
            env.set(malformed, key, env.count(s.malformed[kind])?)?;
        }
    }
    let o = env.object()?;
    env.set(o, c"malformed", malformed)?;
    env.set(o, c"unknownHandle", env.count(s.unknown_handle)?)?;
    Ok(o)
}
