//! The 90 kHz packet clock: a random u32 base plus the monotonic time elapsed since the clock was
//! created, never going backwards in RTP wrap-around order.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::time::{Duration, Instant};

pub const RATE_HZ: u64 = 90_000;

/// Ticks of the 90 kHz clock in `d`, rounded to nearest.
pub fn duration_to_ticks(d: Duration) -> u64 {
    let ns = d.as_nanos();
    ((ns * RATE_HZ as u128 + 500_000_000) / 1_000_000_000) as u64
}

/// `a` comes before `b` in wrap-around order (their signed 32-bit distance is negative).
#[inline]
pub fn is_before(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}

/// A random u32 from std's per-process SipHash keys (no RNG crate). Each `RandomState` gets fresh
/// keys, and the current time is mixed in so two clocks created together still differ.
pub fn random_u32() -> u32 {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(Instant::now().elapsed().as_nanos());
    hasher.write_u64(std::process::id() as u64);
    let h = hasher.finish();
    (h ^ (h >> 32)) as u32
}

/// `now + after`, or a deadline a century away for a wait that is meant to be endless (an
/// `after` too large to add).
pub fn deadline_after(now: Instant, after: Duration) -> Instant {
    const FAR: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
    now.checked_add(after).or_else(|| now.checked_add(FAR)).unwrap_or(now)
}

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    epoch: Instant,
    base: u32,
    last: u32,
}

impl Clock {
    pub fn new(base: u32, epoch: Instant) -> Self {
        Clock { epoch, base, last: base }
    }

    pub fn random(epoch: Instant) -> Self {
        Clock::new(random_u32(), epoch)
    }

    pub fn base(&self) -> u32 {
        self.base
    }

    /// Timestamp for `now`; if it would go backwards (an earlier `now`), the previous value is reused.
    pub fn at(&mut self, now: Instant) -> u32 {
        let elapsed = now.saturating_duration_since(self.epoch);
        let ts = self.base.wrapping_add(duration_to_ticks(elapsed) as u32);
        if is_before(ts, self.last) {
            self.last
        } else {
            self.last = ts;
            ts
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_round_like_the_reference() {
        assert_eq!(duration_to_ticks(Duration::from_millis(1)), 90);
        assert_eq!(duration_to_ticks(Duration::from_secs(1)), 90_000);
        assert_eq!(duration_to_ticks(Duration::from_nanos(5_556)), 1); // 0.50004 ticks
        assert_eq!(duration_to_ticks(Duration::from_nanos(5_555)), 0);
    }

    #[test]
    fn monotonic_and_wrapping() {
        let t0 = Instant::now();
        let mut c = Clock::new(u32::MAX - 10, t0);
        assert_eq!(c.at(t0), u32::MAX - 10);
        let later = c.at(t0 + Duration::from_millis(1));
        assert_eq!(later, 79); // wrapped
        // an earlier instant never moves the clock back
        assert_eq!(c.at(t0), 79);
        assert!(!is_before(c.at(t0 + Duration::from_millis(2)), later));
    }

    #[test]
    fn random_bases_differ() {
        let a = random_u32();
        let b = random_u32();
        let c = random_u32();
        assert!(a != b || b != c);
    }
}
