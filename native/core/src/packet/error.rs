use std::fmt;

/// Why a packet was rejected, in the order the checks run (a packet with several defects
/// reports the first one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeserializeError {
    /// Fewer than 12 bytes.
    TooShort,
    /// Version field above 0.
    UnsupportedVersion(u8),
    /// Handle 0.
    InvalidHandle,
    /// X set but the 2-byte L field is missing.
    MissingExtWords,
    /// The extension block announced by L does not fit in the packet.
    HeaderOverrun,
    /// A TLV runs past the end of the block; carries its ID.
    MalformedExt(u8),
}

impl DeserializeError {
    /// Number of distinct kinds, for per-kind counters.
    pub const KINDS: usize = 6;

    /// The JS error code (NativeErrorCode in lib/native/binding.ts).
    pub fn code(&self) -> &'static str {
        Self::code_of_kind(self.kind())
    }

    /// Dense index of the kind, 0..KINDS.
    pub fn kind(&self) -> usize {
        match self {
            DeserializeError::TooShort => 0,
            DeserializeError::UnsupportedVersion(_) => 1,
            DeserializeError::InvalidHandle => 2,
            DeserializeError::MissingExtWords => 3,
            DeserializeError::HeaderOverrun => 4,
            DeserializeError::MalformedExt(_) => 5,
        }
    }

    pub fn code_of_kind(kind: usize) -> &'static str {
        match kind {
            0 => "TooShort",
            1 => "UnsupportedVersion",
            2 => "InvalidHandle",
            3 => "MissingExtWords",
            4 => "HeaderOverrun",
            _ => "MalformedExt",
        }
    }
}

impl fmt::Display for DeserializeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeserializeError::TooShort => f.write_str("packet too short to contain a header"),
            DeserializeError::UnsupportedVersion(v) => write!(f, "unsupported packet version {v}"),
            DeserializeError::InvalidHandle => f.write_str("invalid track handle 0"),
            DeserializeError::MissingExtWords => f.write_str("extension flag set but extension length missing"),
            DeserializeError::HeaderOverrun => f.write_str("extension block exceeds packet length"),
            DeserializeError::MalformedExt(tag) => write!(f, "extension with id {tag} is malformed"),
        }
    }
}

impl std::error::Error for DeserializeError {}
