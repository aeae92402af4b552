//! What the Publisher and Subscriber bindings share: the caller's millisecond clock, optional
//! durations, metadata, and the data paths they have in common with the managers.

use std::time::{Duration, Instant};

use crate::metadata::{Encoding, SchemaId, TrackMetadata};
use crate::napi::{CallArgs, Env, JsResult, Value};

/// Maps the caller's milliseconds (performance.now()) onto `Instant`s: fixed at construction so
/// that the caller's `now` is about `Instant::now()`, which the packet clock (pollTransmit) reads.
#[derive(Clone, Copy, Debug)]
pub struct MsClock {
    epoch: Instant,
}

impl MsClock {
    pub fn new(now_ms: f64) -> Self {
        let real = Instant::now();
        MsClock { epoch: real.checked_sub(duration_of_ms(now_ms)).unwrap_or(real) }
    }

    pub fn at(&self, ms: f64) -> Instant {
        crate::time::deadline_after(self.epoch, duration_of_ms(ms))
    }

    pub fn ms(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.epoch).as_nanos() as f64 / 1e6
    }

    pub fn arg(&self, env: Env, args: &CallArgs, i: usize) -> JsResult<Instant> {
        Ok(self.at(env.to_number(args.get(i), "nowMs")?))
    }
}

/// Milliseconds as a Duration, in whole nanoseconds (so deadlines round-trip exactly); negative
/// is zero, too large is the longest.
pub fn duration_of_ms(ms: f64) -> Duration {
    if !(ms > 0.0) {
        return Duration::ZERO;
    }
    let ns = (ms * 1e6).round();
    if ns >= u64::MAX as f64 {
        Duration::MAX
    } else {
        Duration::from_nanos(ns as u64)
    }
}

/// A `timeoutMs: number | null` argument (null or undefined: the machine's default).
pub fn optional_duration(env: Env, v: Value, what: &str) -> JsResult<Option<Duration>> {
    if env.is_nullish(v)? {
        return Ok(None);
    }
    Ok(Some(duration_of_ms(env.to_number(v, what)?)))
}

pub fn duration_option(env: Env, o: Value, name: &std::ffi::CStr, what: &str) -> JsResult<Duration> {
    Ok(duration_of_ms(env.to_number(env.get(o, name, "options")?, what)?))
}

pub fn deadline_value(env: Env, clock: &MsClock, at: Option<Instant>) -> JsResult<Value> {
    match at {
        Some(at) => env.f64(clock.ms(at)),
        None => env.null(),
    }
}

/// An id the machine handed out (stream, wait): an integer up to 2^53.
pub fn id_arg(env: Env, args: &CallArgs, i: usize, what: &str) -> JsResult<u64> {
    Ok(env.to_int(args.get(i), what, 0.0, 9_007_199_254_740_991.0)? as u64)
}

fn read_encoding(env: Env, v: Value, what: &str) -> JsResult<Encoding> {
    let custom = env.get(v, c"custom", what)?;
    if !env.is_nullish(custom)? {
        return Ok(Encoding::Custom(env.to_string(custom, what)?));
    }
    let code = env.get(v, c"wellKnown", what)?;
    if env.is_nullish(code)? {
        return Ok(Encoding::WellKnown(0));
    }
    Ok(Encoding::WellKnown(env.to_int(code, what, i32::MIN as f64, i32::MAX as f64)? as i32))
}

/// `{frameEncoding?, schema?: {name, encoding}}`.
pub fn read_metadata(env: Env, v: Value) -> JsResult<TrackMetadata> {
    if env.is_nullish(v)? {
        return Ok(TrackMetadata::NONE);
    }
    let fe = env.get(v, c"frameEncoding", "metadata")?;
    let frame_encoding = if env.is_nullish(fe)? { None } else { Some(read_encoding(env, fe, "metadata.frameEncoding")?) };
    let s = env.get(v, c"schema", "metadata")?;
    let schema = if env.is_nullish(s)? {
        None
    } else {
        let name = env.to_string(env.get(s, c"name", "metadata.schema")?, "metadata.schema.name")?;
        let encoding = read_encoding(env, env.get(s, c"encoding", "metadata.schema")?, "metadata.schema.encoding")?;
        Some(SchemaId { name, encoding })
    };
    Ok(TrackMetadata { frame_encoding, schema })
}

fn encoding_value(env: Env, e: &Encoding) -> JsResult<Value> {
    let o = env.object()?;
    let (well_known, custom) = match e {
        Encoding::WellKnown(code) => (env.f64(*code as f64)?, env.null()?),
        Encoding::Custom(s) => (env.null()?, env.string(s)?),
    };
    env.set(o, c"wellKnown", well_known)?;
    env.set(o, c"custom", custom)?;
    Ok(o)
}

pub fn metadata_value(env: Env, m: &TrackMetadata) -> JsResult<Value> {
    let o = env.object()?;
    let fe = match &m.frame_encoding {
        Some(e) => encoding_value(env, e)?,
        None => env.null()?,
    };
    env.set(o, c"frameEncoding", fe)?;
    let schema = match &m.schema {
        Some(s) => {
            let so = env.object()?;
            env.set(so, c"name", env.string(&s.name)?)?;
            env.set(so, c"encoding", encoding_value(env, &s.encoding)?)?;
            so
        }
        None => env.null()?,
    };
    env.set(o, c"schema", schema)?;
    Ok(o)
}

/// An object `{kind, ...}` for an event.
pub fn event(env: Env, kind: &str) -> JsResult<Value> {
    let o = env.object()?;
    env.set(o, c"kind", env.string(kind)?)?;
    Ok(o)
}
