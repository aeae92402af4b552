//! The subscriber side of the signal protocol as plain Rust: what a remote participant's
//! DataTrackInfo list, the subscriber-handle map and our subscription updates carry, and which
//! of their entries the core can take. The binding converts between these and the protobuf
//! messages; nothing else here knows protobuf.

use super::publications::RemoteTrackDescriptor;
use crate::metadata::TrackMetadata;

/// Encryption.Type values.
pub const ENCRYPTION_NONE: i32 = 0;
pub const ENCRYPTION_GCM: i32 = 1;

/// One DataTrackInfo of a remote participant, unvalidated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteTrackInfo {
    pub sid: String,
    pub pub_handle: u32,
    pub name: String,
    pub encryption: i32,
    pub metadata: TrackMetadata,
}

impl RemoteTrackInfo {
    /// The entry as the core tracks it, if usable: a SID, a publisher handle in 1..=65535, and an
    /// encryption this SDK knows (only GCM is E2EE; anything else is skipped rather than misread).
    pub fn descriptor(&self) -> Option<RemoteTrackDescriptor> {
        let known_encryption = self.encryption == ENCRYPTION_NONE || self.encryption == ENCRYPTION_GCM;
        let pub_handle = u16::try_from(self.pub_handle).ok().filter(|&h| h != 0)?;
        (known_encryption && !self.sid.is_empty()).then(|| RemoteTrackDescriptor {
            sid: self.sid.clone(),
            pub_handle,
            name: self.name.clone(),
            uses_e2ee: self.encryption == ENCRYPTION_GCM,
        })
    }
}

/// One UpdateDataSubscription.Update.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubscriptionUpdate {
    pub sid: String,
    pub subscribe: bool,
}

/// DataTrackSubscriberHandles.sub_handles: the usable entries (handle 1..=65535, a SID).
pub fn subscriber_handles(entries: &[(u32, String)]) -> Vec<(u16, String)> {
    entries
        .iter()
        .filter_map(|(h, sid)| {
            let h = u16::try_from(*h).ok().filter(|&h| h != 0)?;
            (!sid.is_empty()).then(|| (h, sid.clone()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(sid: &str, pub_handle: u32, encryption: i32) -> RemoteTrackInfo {
        RemoteTrackInfo { sid: sid.into(), pub_handle, name: "n".into(), encryption, metadata: TrackMetadata::NONE }
    }

    #[test]
    fn only_usable_entries_are_taken() {
        assert!(info("DTR_1", 1, ENCRYPTION_NONE).descriptor().is_some());
        assert!(info("DTR_1", 65535, ENCRYPTION_GCM).descriptor().is_some_and(|d| d.uses_e2ee));
        for bad in [info("", 1, 0), info("DTR_1", 0, 0), info("DTR_1", 65536, 0), info("DTR_1", 1, 2), info("DTR_1", 1, -1)] {
            assert_eq!(bad.descriptor(), None, "{bad:?}");
        }
        let handles = subscriber_handles(&[(0, "a".into()), (1, "b".into()), (70000, "c".into()), (2, String::new())]);
        assert_eq!(handles, [(1, "b".to_string())]);
    }
}
