//! LiveKit data-track core: the DTP v0 packet codec, the publisher side (packetizer, frame
//! queues, track state) and the subscriber side (depacketizer, publication/handle routing).
//!
//! Sans-I/O plain Rust: no sockets, no clocks of its own, no dependencies. The Node binding
//! (`native/node`) and the Rust tests drive it.

pub mod local;
pub mod metadata;
pub mod packet;
pub mod remote;
pub mod request_window;
pub mod time;
