//! The JS-facing surface described by lib/native/binding.ts: `#[napi]` functions and classes,
//! one file per area. Arguments are read by `args`, results built from `shapes`, failures
//! thrown by `error`.

mod args;
mod codec;
mod depacketizer;
mod error;
mod local;
mod out;
mod packetizer;
mod remote;
mod shapes;
