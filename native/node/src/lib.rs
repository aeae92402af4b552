//! The Node-API addon over `livekit-datatrack-core`, written with napi-rs. `binding` only
//! translates between JS values and the core; lib/native/binding.ts is its TypeScript contract.

// napi-derive registers nothing in `cargo test` builds, so the entry points look unused there.
#![cfg_attr(test, allow(dead_code))]

pub use livekit_datatrack_core::{local, metadata, packet, remote, time};

mod binding;
