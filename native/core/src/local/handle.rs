/// Publisher handles: 1, 2, ... 65535, each handed out once per allocator (a cancelled or failed
/// publish still uses its handle up), then exhausted.
#[derive(Debug, Clone)]
pub struct HandleAllocator {
    next: u32,
}

impl Default for HandleAllocator {
    fn default() -> Self {
        HandleAllocator { next: 1 }
    }
}

impl HandleAllocator {
    pub fn allocate(&mut self) -> Option<u16> {
        let handle = u16::try_from(self.next).ok()?;
        self.next += 1;
        Some(handle)
    }

    /// Whether `handle` has been handed out by this allocator.
    pub fn was_allocated(&self, handle: u16) -> bool {
        handle != 0 && u32::from(handle) < self.next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exhausts_after_65535() {
        let mut a = HandleAllocator::default();
        assert_eq!(a.allocate(), Some(1));
        for expected in 2..=65535u16 {
            assert_eq!(a.allocate(), Some(expected));
        }
        assert_eq!(a.allocate(), None);
        assert_eq!(a.allocate(), None);
        assert!(a.was_allocated(65535));
        assert!(!a.was_allocated(0));
    }
}
