//! Reused frame buffers for the publisher queues. Small frames come in bursts (a batch of
//! thousands of sensor readings), so they get many same-size buffers that are taken and given
//! back in O(1); large ones get a few, which saves the page faults of fresh memory.

/// Frames up to this size use the small-buffer class.
const SMALL_CAPACITY: usize = 256;
/// At most 256 KiB kept in small buffers.
const SMALL_BUFFERS: usize = 1024;
/// Large buffers kept: enough to cover a queue being refilled while a batch is written.
const LARGE_BUFFERS: usize = 8;
const LARGE_MAX_CAPACITY: usize = 8 << 20;

#[derive(Debug, Default)]
pub struct BufferPool {
    small: Vec<Vec<u8>>,
    large: Vec<Vec<u8>>,
}

impl BufferPool {
    /// An empty buffer with room for `len` bytes.
    pub fn take(&mut self, len: usize) -> Vec<u8> {
        if len <= SMALL_CAPACITY {
            return self.small.pop().unwrap_or_else(|| Vec::with_capacity(SMALL_CAPACITY));
        }
        match self.large.iter().position(|b| b.capacity() >= len) {
            Some(i) => self.large.swap_remove(i),
            None => Vec::with_capacity(len),
        }
    }

    pub fn give(&mut self, mut buf: Vec<u8>) {
        buf.clear();
        if buf.capacity() == SMALL_CAPACITY {
            if self.small.len() < SMALL_BUFFERS {
                self.small.push(buf);
            }
        } else if self.large.len() < LARGE_BUFFERS && buf.capacity() > SMALL_CAPACITY && buf.capacity() <= LARGE_MAX_CAPACITY {
            self.large.push(buf);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuses_small_and_large_buffers_within_bounds() {
        let mut pool = BufferPool::default();
        let small: Vec<_> = (0..SMALL_BUFFERS + 1).map(|_| pool.take(10)).collect();
        let last_kept = small[SMALL_BUFFERS - 1].as_ptr();
        small.into_iter().for_each(|b| pool.give(b));
        assert_eq!(pool.small.len(), SMALL_BUFFERS);
        let again = pool.take(SMALL_CAPACITY);
        assert_eq!(again.as_ptr(), last_kept);
        let large = pool.take(1000);
        assert!(large.capacity() >= 1000);
        pool.give(large);
        assert!(pool.take(900).capacity() >= 1000);
        pool.give(Vec::with_capacity(LARGE_MAX_CAPACITY + 1));
        assert!(pool.large.is_empty());
    }
}
