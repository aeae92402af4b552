//! Publisher side: handles, per-track frame queues and state, packetization, and the
//! `Publisher` state machine over them.

mod batch;
mod handle;
mod manager;
mod packetizer;
mod pool;
pub mod protocol;
mod publisher;
mod queue;

pub use batch::{frame_ranges, BatchPush, PushCounts};
pub use handle::HandleAllocator;
pub use manager::{
    LocalManager, LocalManagerError, LocalManagerOptions, LocalTrackInfo, LocalTrackState, LocalTrackStats, PushResult,
    SealInPlace, TransmitBatch, DEFAULT_MTU, DEFAULT_QUEUE_CAPACITY,
};
pub use packetizer::{FramePlan, PacketizeError, Packetizer};
pub use queue::{FrameQueue, QueuePush, QueuedFrame};
pub use publisher::{
    PublishError, PublishOptions, PublishedTrackStats, Publisher, PublisherEvent, PublisherOptions, UnpublishCause,
    DEFAULT_PUBLISH_TIMEOUT, DEFAULT_UNPUBLISH_TIMEOUT, MAX_NAME_LEN,
};
