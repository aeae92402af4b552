//! What the Publisher and Subscriber classes share: the caller's millisecond clock, optional
//! durations, and the frame metadata they echo.

use std::time::{Duration, Instant};

use napi::Unknown;
use napi_derive::napi;

use super::args;
use super::error::{Failure, Outcome};
use crate::metadata::{Encoding, SchemaId, TrackMetadata};

/// Maps the caller's milliseconds (performance.now()) onto `Instant`s, fixed at construction so
/// that the caller's now is about `Instant::now()`, which the packet clock (pollTransmit) reads.
#[derive(Clone, Copy, Debug)]
pub struct MsClock {
    epoch: Instant,
}

impl MsClock {
    pub fn new(now_ms: &Unknown) -> Outcome<Self> {
        let now_ms = milliseconds(now_ms, "options.nowMs")?;
        let real = Instant::now();
        Ok(MsClock { epoch: real.checked_sub(duration_of_ms(now_ms)).unwrap_or(real) })
    }

    /// A `nowMs` argument.
    pub fn at(&self, now_ms: &Unknown) -> Outcome<Instant> {
        Ok(crate::time::deadline_after(self.epoch, duration_of_ms(milliseconds(now_ms, "nowMs")?)))
    }

    pub fn ms(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.epoch).as_nanos() as f64 / 1e6
    }
}

/// Any number but NaN, infinities included.
fn milliseconds(v: &Unknown, what: &str) -> Outcome<f64> {
    let n = args::number(v, what)?;
    if n.is_nan() {
        return Err(Failure::invalid_argument(format!("{what} must be a number")));
    }
    Ok(n)
}

/// Milliseconds as a Duration in whole nanoseconds (so deadlines round-trip exactly); negative
/// is zero, too large (Infinity) the longest.
fn duration_of_ms(ms: f64) -> Duration {
    if ms.is_nan() || ms <= 0.0 {
        return Duration::ZERO;
    }
    let ns = (ms * 1e6).round();
    if ns >= u64::MAX as f64 {
        Duration::MAX
    } else {
        Duration::from_nanos(ns as u64)
    }
}

pub fn duration(v: &Unknown, what: &str) -> Outcome<Duration> {
    Ok(duration_of_ms(milliseconds(v, what)?))
}

/// A `timeoutMs: number | null` argument (null or undefined: the machine's default).
pub fn optional_duration(v: &Unknown, what: &str) -> Outcome<Option<Duration>> {
    if args::is_nullish(v)? {
        return Ok(None);
    }
    Ok(Some(duration(v, what)?))
}

/// An id the machine handed out (a stream, a wait): an integer up to 2^53.
pub fn id(v: &Unknown, what: &str) -> Outcome<u64> {
    Ok(args::size(v, what)? as u64)
}

/// A well-known protocol code (DataTrackFrameEncoding / DataTrackSchemaEncoding) or a custom string.
#[napi(object, use_nullable = true, js_name = "Encoding")]
pub struct JsEncoding {
    pub well_known: Option<i32>,
    pub custom: Option<String>,
}

#[napi(object, js_name = "SchemaId")]
pub struct JsSchemaId {
    pub name: String,
    pub encoding: JsEncoding,
}

/// What a publisher says about its frames; the core echoes it and never interprets it.
#[napi(object, use_nullable = true, js_name = "TrackMetadata")]
pub struct JsTrackMetadata {
    pub frame_encoding: Option<JsEncoding>,
    pub schema: Option<JsSchemaId>,
}

fn read_encoding(v: &Unknown, what: &str) -> Outcome<Encoding> {
    let o = args::object(v, what)?;
    let custom = args::property(&o, "custom")?;
    if !args::is_nullish(&custom)? {
        return Ok(Encoding::Custom(args::string(&custom, what)?));
    }
    let code = args::property(&o, "wellKnown")?;
    if args::is_nullish(&code)? {
        return Ok(Encoding::WellKnown(0));
    }
    Ok(Encoding::WellKnown(args::integer_in(&code, what, 0, i32::MAX as u32)? as i32))
}

/// `{frameEncoding?, schema?: {name, encoding}}`; null or undefined is none.
pub fn read_metadata(v: &Unknown) -> Outcome<TrackMetadata> {
    if args::is_nullish(v)? {
        return Ok(TrackMetadata::NONE);
    }
    let o = args::object(v, "metadata")?;
    let fe = args::property(&o, "frameEncoding")?;
    let frame_encoding = if args::is_nullish(&fe)? { None } else { Some(read_encoding(&fe, "metadata.frameEncoding")?) };
    let s = args::property(&o, "schema")?;
    let schema = if args::is_nullish(&s)? {
        None
    } else {
        let so = args::object(&s, "metadata.schema")?;
        let name = args::string(&args::property(&so, "name")?, "metadata.schema.name")?;
        let encoding = read_encoding(&args::property(&so, "encoding")?, "metadata.schema.encoding")?;
        Some(SchemaId { name, encoding })
    };
    Ok(TrackMetadata { frame_encoding, schema })
}

fn encoding(e: &Encoding) -> JsEncoding {
    match e {
        Encoding::WellKnown(code) => JsEncoding { well_known: Some(*code), custom: None },
        Encoding::Custom(s) => JsEncoding { well_known: None, custom: Some(s.clone()) },
    }
}

pub fn metadata(m: &TrackMetadata) -> JsTrackMetadata {
    JsTrackMetadata {
        frame_encoding: m.frame_encoding.as_ref().map(encoding),
        schema: m.schema.as_ref().map(|s| JsSchemaId { name: s.name.clone(), encoding: encoding(&s.encoding) }),
    }
}
