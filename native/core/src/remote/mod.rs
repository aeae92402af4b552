//! Subscriber side: publications of remote participants, subscriber-handle routing, frame
//! reassembly, and the `Subscriber` state machine over them.

mod batch;
mod depacketizer;
mod manager;
pub mod protocol;
mod publications;
mod subscriber;

pub use batch::ReceivedFrames;
pub use depacketizer::{
    Depacketizer, DropReason, Frame, FrameDrop, Payload, PushOutcome, DEFAULT_MAX_PARTIAL_FRAMES, MAX_BUFFER_PACKETS,
    MAX_PARTIAL_FRAMES,
};
pub use manager::{PacketOutcome, RemoteManager, RemoteManagerError, RemoteManagerStats, RemoteTrackStats};
pub use publications::{PublicationChanges, RemoteTrackDescriptor};
pub use subscriber::{
    DiscoveredTrack, SubscribeError, SubscribedTrackStats, Subscriber, SubscriberEvent, SubscriberOptions, TrackEnd,
    DEFAULT_SUBSCRIBE_TIMEOUT, SUBSCRIBE_RETRY_FIRST, SUBSCRIBE_RETRY_MAX,
};
