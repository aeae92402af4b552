use std::collections::VecDeque;

use crate::packet::Extensions;

/// A frame waiting to be packetized: its own copy of the payload plus the frame's extensions.
#[derive(Debug, Clone)]
pub struct QueuedFrame {
    pub payload: Vec<u8>,
    pub extensions: Extensions,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueuePush {
    Queued,
    /// The oldest frame was evicted to make room.
    QueuedDroppedOldest,
    /// Queue full and the caller asked to keep the old frames: the new frame was not queued.
    Full,
}

/// Bounded FIFO of whole frames for one track.
#[derive(Debug)]
pub struct FrameQueue {
    frames: VecDeque<QueuedFrame>,
    capacity: usize,
}

impl FrameQueue {
    pub fn new(capacity: usize) -> Self {
        let capacity = capacity.max(1);
        FrameQueue { frames: VecDeque::with_capacity(capacity.min(64)), capacity }
    }

    /// Queues `frame`. When full, either evicts the oldest frame (returned so its buffer can be
    /// reused) or refuses the new one (handed back to the caller).
    pub fn push(&mut self, frame: QueuedFrame, drop_oldest: bool) -> (QueuePush, Option<QueuedFrame>) {
        if self.frames.len() < self.capacity {
            self.frames.push_back(frame);
            return (QueuePush::Queued, None);
        }
        if !drop_oldest {
            return (QueuePush::Full, Some(frame));
        }
        let evicted = self.frames.pop_front();
        self.frames.push_back(frame);
        (QueuePush::QueuedDroppedOldest, evicted)
    }

    /// Queues `frame` whatever the capacity: for a frame that leaves before the queue is next
    /// looked at as a bound.
    pub fn push_beyond_capacity(&mut self, frame: QueuedFrame) {
        self.frames.push_back(frame);
    }

    pub fn pop(&mut self) -> Option<QueuedFrame> {
        self.frames.pop_front()
    }

    /// Puts a frame taken by `pop` back at the front, even if that exceeds the capacity by one.
    pub fn push_front_unchecked(&mut self, frame: QueuedFrame) {
        self.frames.push_front(frame);
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    pub fn is_full(&self) -> bool {
        self.frames.len() >= self.capacity
    }

    /// Drops every queued frame and returns how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.frames.len();
        self.frames.clear();
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(b: u8) -> QueuedFrame {
        QueuedFrame { payload: vec![b], extensions: Extensions::NONE }
    }

    #[test]
    fn reject_or_drop_oldest() {
        let mut q = FrameQueue::new(2);
        assert_eq!(q.push(frame(1), false).0, QueuePush::Queued);
        assert_eq!(q.push(frame(2), false).0, QueuePush::Queued);
        let (r, back) = q.push(frame(3), false);
        assert_eq!(r, QueuePush::Full);
        assert_eq!(back.unwrap().payload, [3]);
        let (r, evicted) = q.push(frame(4), true);
        assert_eq!(r, QueuePush::QueuedDroppedOldest);
        assert_eq!(evicted.unwrap().payload, [1]);
        assert_eq!(q.pop().unwrap().payload, [2]);
        assert_eq!(q.pop().unwrap().payload, [4]);
        assert!(q.pop().is_none());
    }

    #[test]
    fn zero_capacity_means_one() {
        let mut q = FrameQueue::new(0);
        assert_eq!(q.push(frame(1), false).0, QueuePush::Queued);
        assert!(q.is_full());
    }
}
