//! Publisher side: handles, per-track frame queues and state, and packetization.

mod batch;
mod handle;
mod manager;
mod packetizer;
mod pool;
mod queue;

pub use batch::{frame_ranges, PushCounts};
pub use handle::HandleAllocator;
pub use manager::{
    LocalManager, LocalManagerError, LocalManagerOptions, LocalTrackInfo, LocalTrackState, LocalTrackStats, PushResult,
    TransmitBatch, DEFAULT_MTU, DEFAULT_QUEUE_CAPACITY,
};
pub use packetizer::{FramePlan, PacketizeError, Packetizer};
pub use queue::{FrameQueue, QueuePush, QueuedFrame};
