//! The Node-API addon over `livekit-datatrack-core`, through a small hand-written Node-API layer:
//! `napi` and `binding` only translate between JS values and the core.

pub use livekit_datatrack_core::{local, metadata, packet, remote, time};

pub mod napi;
mod binding;

pub use binding::napi_register_module_v1;
