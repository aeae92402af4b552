//! The JS-facing surface described by lib/native/binding.ts: `#[napi]` functions and classes,
//! one file per area. Arguments are read by `args`, results built from `shapes`, failures
//! thrown by `error`.

mod aes_gcm;
mod args;
mod bound;
mod codec;
mod data_path;
mod depacketizer;
mod error;
mod local;
mod machine;
mod out;
mod packetizer;
mod publisher;
mod remote;
mod shapes;
mod subscriber;
