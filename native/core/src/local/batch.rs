//! Many frames of one track queued in one call: the batch form of `LocalManager::push_frame`,
//! for callers whose per-call overhead (a Node-API crossing) costs more than a small frame.

use super::manager::{LocalManager, LocalManagerError, PushResult};
use super::publisher::Publisher;
use crate::packet::Extensions;

/// How the frames of one `push_frames` call fared, counted by `PushResult`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PushCounts {
    pub queued: usize,
    pub queued_dropped_oldest: usize,
    pub full: usize,
    pub not_published: usize,
}

impl PushCounts {
    fn count(&mut self, result: PushResult) {
        match result {
            PushResult::Queued => self.queued += 1,
            PushResult::QueuedDroppedOldest => self.queued_dropped_oldest += 1,
            PushResult::Full => self.full += 1,
            PushResult::NotPublished => self.not_published += 1,
        }
    }
}

/// Frames laid out back to back: frame `i` is `data[ends[i - 1] .. ends[i]]` (from 0 for the
/// first), the layout `write_transmit` uses for packets.
pub fn frame_ranges<'a>(data: &'a [u8], ends: &'a [u32]) -> impl Iterator<Item = Option<&'a [u8]>> + 'a {
    let mut start = 0usize;
    ends.iter().map(move |&end| {
        let end = end as usize;
        let frame = data.get(start..end);
        start = end;
        frame
    })
}

/// Nothing is queued from a malformed batch: ends out of order or past `data`, or a timestamp
/// count that does not match.
fn check_batch(data: &[u8], ends: &[u32], user_timestamps: Option<&[u64]>) -> Result<(), LocalManagerError> {
    if frame_ranges(data, ends).any(|f| f.is_none()) {
        return Err(LocalManagerError::InvalidArgument("ends must be non-decreasing and within data".into()));
    }
    if user_timestamps.is_some_and(|t| t.len() != ends.len()) {
        return Err(LocalManagerError::InvalidArgument("userTimestamps must have one entry per frame".into()));
    }
    Ok(())
}

fn extensions(user_timestamps: Option<&[u64]>, i: usize) -> Extensions {
    Extensions { e2ee: None, user_timestamp: user_timestamps.map(|t| t[i]) }
}

impl LocalManager {
    /// `push_frame` for every frame of `data`/`ends` (see `frame_ranges`), in order, with the
    /// same queue semantics. `user_timestamps`, if given, has one entry per frame. Nothing is
    /// queued when an argument is malformed (see `check_batch`). With `drop_oldest` false, frames
    /// after the first `Full` one are also `Full`: the queue does not drain during the call.
    pub fn push_frames(
        &mut self,
        handle: u16,
        data: &[u8],
        ends: &[u32],
        user_timestamps: Option<&[u64]>,
        drop_oldest: bool,
    ) -> Result<PushCounts, LocalManagerError> {
        check_batch(data, ends, user_timestamps)?;
        let mut counts = PushCounts::default();
        for (i, frame) in frame_ranges(data, ends).flatten().enumerate() {
            counts.count(self.push_frame(handle, frame, &extensions(user_timestamps, i), drop_oldest)?);
        }
        Ok(counts)
    }
}

/// How `Publisher::push_frames` treats a full queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchPush {
    /// As `push_frame`: a full queue refuses (counted), or evicts with `drop_oldest`.
    Policy { drop_oldest: bool },
    /// The caller transmits what is queued before it returns, so the first `transmit_now`
    /// frames are queued past the capacity (they fit in what the transport takes at once, and
    /// per-frame pushes would have sent each at once too); the call then returns at the first
    /// frame a full queue would refuse, neither refusing nor counting it, for the caller to push
    /// again once it has transmitted.
    Resumable { transmit_now: usize },
}

impl Publisher {
    /// `push_frame` for frames `from..` of `data`/`ends` (see `LocalManager::push_frames`), in order.
    pub fn push_frames(
        &mut self,
        handle: u16,
        data: &[u8],
        ends: &[u32],
        user_timestamps: Option<&[u64]>,
        from: usize,
        mode: BatchPush,
    ) -> Result<PushCounts, LocalManagerError> {
        check_batch(data, ends, user_timestamps)?;
        let mut counts = PushCounts::default();
        for (i, frame) in frame_ranges(data, ends).flatten().enumerate().skip(from) {
            let ext = extensions(user_timestamps, i);
            let result = match mode {
                BatchPush::Policy { drop_oldest } => Some(self.push_frame(handle, frame, None, &ext, drop_oldest)?),
                BatchPush::Resumable { transmit_now } => self.push_frame_unless_full(handle, frame, &ext, i - from < transmit_now)?,
            };
            let Some(result) = result else { break };
            counts.count(result);
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;
    use crate::local::LocalManagerOptions;

    fn published(queue_capacity: usize) -> (LocalManager, u16) {
        let mut m = LocalManager::new(LocalManagerOptions { queue_capacity, ..Default::default() }).unwrap();
        let h = m.allocate_handle().unwrap();
        m.begin_publish(h, "t", false).unwrap();
        m.publish_succeeded(h, "TR_t", Instant::now()).unwrap();
        (m, h)
    }

    #[test]
    fn queues_each_frame_like_push_frame() {
        let (mut m, h) = published(4);
        let counts = m.push_frames(h, b"aabbbc", &[2, 5, 5, 6, 6], None, false).unwrap();
        assert_eq!(counts, PushCounts { queued: 4, full: 1, ..Default::default() });
        assert_eq!(m.queued_frames(), 4);
        let counts = m.push_frames(h, b"xy", &[1, 2], Some(&[7, 8]), true).unwrap();
        assert_eq!(counts, PushCounts { queued_dropped_oldest: 2, ..Default::default() });
    }

    #[test]
    fn malformed_batches_queue_nothing() {
        let (mut m, h) = published(4);
        assert!(m.push_frames(h, b"ab", &[2, 1], None, false).is_err());
        assert!(m.push_frames(h, b"ab", &[3], None, false).is_err());
        assert!(m.push_frames(h, b"ab", &[1, 2], Some(&[1]), false).is_err());
        assert_eq!(m.queued_frames(), 0);
        assert_eq!(m.push_frames(999, b"ab", &[2], None, false), Err(LocalManagerError::UnknownTrack(999)));
    }
}
