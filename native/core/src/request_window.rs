//! A bound on signal requests in flight on one connection, per kind (publishes, subscribes).
//! livekit-server (v1.13.5) silently never handles the tail of a burst of a few hundred requests
//! from one participant (of 258 publishes written at once, the last 3 got no answer), so requests
//! beyond the window wait here and go out as answers come back.

use std::collections::{BTreeSet, VecDeque};

pub const MAX_REQUESTS_IN_FLIGHT: usize = 64;

#[derive(Debug)]
pub struct RequestWindow<K: Ord + Copy> {
    limit: usize,
    in_flight: BTreeSet<K>,
    /// In submission order.
    waiting: VecDeque<K>,
}

impl<K: Ord + Copy> RequestWindow<K> {
    pub fn new(limit: usize) -> Self {
        RequestWindow { limit: limit.max(1), in_flight: BTreeSet::new(), waiting: VecDeque::new() }
    }

    /// True if the request may go out now; otherwise it waits for a slot (see `settle`). A key
    /// already submitted is submitted afresh (a resend).
    pub fn submit(&mut self, key: K) -> bool {
        self.forget(key);
        if self.in_flight.len() < self.limit {
            self.in_flight.insert(key);
            true
        } else {
            self.waiting.push_back(key);
            false
        }
    }

    /// The request was answered, failed or was given up. Returns the waiting keys that take the
    /// freed slot and must be sent now, oldest first.
    pub fn settle(&mut self, key: K) -> Vec<K> {
        self.waiting.retain(|k| *k != key);
        if !self.in_flight.remove(&key) {
            return Vec::new();
        }
        let mut released = Vec::new();
        while self.in_flight.len() < self.limit {
            let Some(next) = self.waiting.pop_front() else { break };
            self.in_flight.insert(next);
            released.push(next);
        }
        released
    }

    /// The connection is gone: nothing is in flight on it any more, and nothing waits.
    pub fn clear(&mut self) {
        self.in_flight.clear();
        self.waiting.clear();
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    pub fn waiting(&self) -> usize {
        self.waiting.len()
    }

    fn forget(&mut self, key: K) {
        self.waiting.retain(|k| *k != key);
        self.in_flight.remove(&key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_in_flight_and_releases_in_order() {
        let mut w = RequestWindow::new(2);
        assert!(w.submit(1));
        assert!(w.submit(2));
        assert!(!w.submit(3));
        assert!(!w.submit(4));
        assert_eq!((w.in_flight(), w.waiting()), (2, 2));
        assert_eq!(w.settle(9), Vec::<u32>::new());
        assert_eq!(w.settle(1), vec![3]);
        // a waiting key given up frees nothing and is never released
        assert_eq!(w.settle(4), Vec::<u32>::new());
        assert_eq!(w.settle(2), Vec::<u32>::new());
        assert_eq!((w.in_flight(), w.waiting()), (1, 0));
        // a resend of a key in flight keeps one slot
        assert!(w.submit(3));
        assert_eq!(w.in_flight(), 1);
        w.clear();
        assert_eq!((w.in_flight(), w.waiting()), (0, 0));
    }
}
