//! Subscriber side: publications of remote participants, subscriber-handle routing and frame
//! reassembly.

mod batch;
mod depacketizer;
mod manager;
mod publications;

pub use batch::ReceivedFrames;
pub use depacketizer::{
    Depacketizer, DropReason, Frame, FrameDrop, Payload, PushOutcome, DEFAULT_MAX_PARTIAL_FRAMES, MAX_BUFFER_PACKETS,
    MAX_PARTIAL_FRAMES,
};
pub use manager::{PacketOutcome, RemoteManager, RemoteManagerError, RemoteManagerStats, RemoteTrackStats};
pub use publications::{PublicationChanges, RemoteTrackDescriptor};
