//! The publisher side of the signal protocol as plain Rust: the requests the `Publisher` asks to
//! send, what it takes from the answers, and how the SFU's refusals map to publish failures. The
//! binding converts between these and the protobuf messages; nothing else here knows protobuf.

use crate::metadata::TrackMetadata;

/// PublishDataTrackRequest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishRequest {
    pub handle: u16,
    pub name: String,
    /// Encryption GCM when true, NONE otherwise.
    pub uses_e2ee: bool,
    pub metadata: TrackMetadata,
}

/// PublishDataTrackResponse.info, or one entry of SyncState.publish_data_tracks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedTrack {
    pub handle: u16,
    pub sid: String,
    pub name: String,
    pub uses_e2ee: bool,
    pub metadata: TrackMetadata,
}

/// RequestResponse.Reason of a refused publish or unpublish.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectReason {
    NotFound,
    NotAllowed,
    LimitExceeded,
    Queued,
    UnsupportedType,
    UnclassifiedError,
    InvalidHandle,
    InvalidName,
    DuplicateHandle,
    DuplicateName,
    InvalidRequest,
    /// A code this SDK does not know (0 = OK included: it is no answer to a failed request).
    Other(i32),
}

impl RejectReason {
    pub fn from_code(code: i32) -> RejectReason {
        match code {
            1 => RejectReason::NotFound,
            2 => RejectReason::NotAllowed,
            3 => RejectReason::LimitExceeded,
            4 => RejectReason::Queued,
            5 => RejectReason::UnsupportedType,
            6 => RejectReason::UnclassifiedError,
            7 => RejectReason::InvalidHandle,
            8 => RejectReason::InvalidName,
            9 => RejectReason::DuplicateHandle,
            10 => RejectReason::DuplicateName,
            11 => RejectReason::InvalidRequest,
            other => RejectReason::Other(other),
        }
    }

    /// The protocol's name for it, as the SFU's logs and users' bug reports spell it.
    pub fn label(self) -> String {
        match self {
            RejectReason::NotFound => "NOT_FOUND".into(),
            RejectReason::NotAllowed => "NOT_ALLOWED".into(),
            RejectReason::LimitExceeded => "LIMIT_EXCEEDED".into(),
            RejectReason::Queued => "QUEUED".into(),
            RejectReason::UnsupportedType => "UNSUPPORTED_TYPE".into(),
            RejectReason::UnclassifiedError => "UNCLASSIFIED_ERROR".into(),
            RejectReason::InvalidHandle => "INVALID_HANDLE".into(),
            RejectReason::InvalidName => "INVALID_NAME".into(),
            RejectReason::DuplicateHandle => "DUPLICATE_HANDLE".into(),
            RejectReason::DuplicateName => "DUPLICATE_NAME".into(),
            RejectReason::InvalidRequest => "INVALID_REQUEST".into(),
            RejectReason::Other(code) => code.to_string(),
        }
    }
}

/// Why a publish failed, in the public API's terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PublishFailure {
    NotAllowed,
    DuplicateName,
    InvalidName,
    InvalidSchema,
    Timeout,
    LimitReached,
    Disconnected,
    Cancelled,
    Internal,
}

impl PublishFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            PublishFailure::NotAllowed => "notAllowed",
            PublishFailure::DuplicateName => "duplicateName",
            PublishFailure::InvalidName => "invalidName",
            PublishFailure::InvalidSchema => "invalidSchema",
            PublishFailure::Timeout => "timeout",
            PublishFailure::LimitReached => "limitReached",
            PublishFailure::Disconnected => "disconnected",
            PublishFailure::Cancelled => "cancelled",
            PublishFailure::Internal => "internal",
        }
    }

    /// The failure an SFU refusal of `request` means.
    pub fn from_rejection(reason: RejectReason, request: &PublishRequest) -> PublishFailure {
        match reason {
            RejectReason::NotAllowed => PublishFailure::NotAllowed,
            RejectReason::DuplicateName => PublishFailure::DuplicateName,
            RejectReason::InvalidName => PublishFailure::InvalidName,
            RejectReason::LimitExceeded => PublishFailure::LimitReached,
            // The only invalid-request check on publish is the custom encoding identifier.
            RejectReason::InvalidRequest if request.metadata != TrackMetadata::NONE => PublishFailure::InvalidSchema,
            _ => PublishFailure::Internal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metadata::{Encoding, TrackMetadata};

    fn request(metadata: TrackMetadata) -> PublishRequest {
        PublishRequest { handle: 1, name: "a".into(), uses_e2ee: false, metadata }
    }

    #[test]
    fn refusals_map_to_public_reasons() {
        let plain = request(TrackMetadata::NONE);
        let typed = request(TrackMetadata { frame_encoding: Some(Encoding::Custom("x".into())), schema: None });
        let cases = [
            (2, &plain, PublishFailure::NotAllowed),
            (10, &plain, PublishFailure::DuplicateName),
            (8, &plain, PublishFailure::InvalidName),
            (3, &plain, PublishFailure::LimitReached),
            (11, &plain, PublishFailure::Internal),
            (11, &typed, PublishFailure::InvalidSchema),
            (6, &plain, PublishFailure::Internal),
            (99, &plain, PublishFailure::Internal),
        ];
        for (code, req, want) in cases {
            assert_eq!(PublishFailure::from_rejection(RejectReason::from_code(code), req), want, "code {code}");
        }
        assert_eq!(RejectReason::from_code(10).label(), "DUPLICATE_NAME");
        assert_eq!(RejectReason::from_code(42).label(), "42");
    }
}
