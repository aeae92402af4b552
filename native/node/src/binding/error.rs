//! Core errors → JS errors with NativeErrorCode codes.

use crate::local::{LocalManagerError, PacketizeError};
use crate::napi::JsError;
use crate::packet::DeserializeError;
use crate::remote::RemoteManagerError;

pub fn codec(e: DeserializeError) -> JsError {
    let err = JsError::new(e.code(), e.to_string());
    match e {
        DeserializeError::MalformedExt(tag) => err.with_property(c"extTag", tag.into()),
        DeserializeError::UnsupportedVersion(v) => err.with_property(c"version", v.into()),
        _ => err,
    }
}

pub fn packetize(e: PacketizeError) -> JsError {
    match e {
        PacketizeError::MtuTooShort { .. } => JsError::new("MtuTooShort", e.to_string()),
    }
}

pub fn local(e: LocalManagerError) -> JsError {
    let code = match &e {
        LocalManagerError::LimitReached => "LimitReached",
        LocalManagerError::UnknownTrack(_) => "UnknownTrack",
        LocalManagerError::InvalidState { .. } => "InvalidState",
        LocalManagerError::InvalidArgument(_) => "InvalidArgument",
    };
    JsError::new(code, e.to_string())
}

pub fn remote(e: RemoteManagerError) -> JsError {
    match e {
        RemoteManagerError::UnknownTrack(_) => JsError::new("UnknownTrack", e.to_string()),
    }
}
