//! LiveKit data-track core: the DTP v0 packet codec, the publisher side (packetizer, frame
//! queues, track state) and the subscriber side (depacketizer, publication/handle routing),
//! exposed to Node.js through a small hand-written Node-API layer.
//!
//! Everything below `packet`, `local`, `remote` and `time` is sans-I/O plain Rust and is what the
//! Rust tests exercise; `napi` and `binding` only translate between JS values and that core.

pub mod packet;
pub mod time;
pub mod local;
pub mod remote;

pub mod napi;
mod binding;

pub use binding::napi_register_module_v1;
