use super::extension::Extensions;

/// Fixed part of every packet: flags, reserved byte, handle, sequence, frame number, timestamp.
pub const BASE_HEADER_LEN: usize = 12;

/// Largest header our writers produce (both known extensions): 12 + 4·7.
pub const MAX_HEADER_LEN: usize = 40;

pub(crate) const SUPPORTED_VERSION: u8 = 0;
pub(crate) const VERSION_SHIFT: u8 = 5;
pub(crate) const VERSION_MASK: u8 = 0x07;
pub(crate) const MARKER_SHIFT: u8 = 3;
pub(crate) const MARKER_MASK: u8 = 0x03;
pub(crate) const EXT_FLAG: u8 = 0x04;

/// Position of a packet inside its frame. The discriminants are the 2-bit wire value (S,F),
/// not the numbering some SDKs use in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FrameMarker {
    Inter = 0b00,
    Final = 0b01,
    Start = 0b10,
    Single = 0b11,
}

impl FrameMarker {
    #[inline]
    pub(crate) fn from_bits(bits: u8) -> Self {
        match bits & MARKER_MASK {
            0b00 => FrameMarker::Inter,
            0b01 => FrameMarker::Final,
            0b10 => FrameMarker::Start,
            _ => FrameMarker::Single,
        }
    }

    #[inline]
    pub(crate) fn bits(self) -> u8 {
        self as u8
    }

    /// Marker of packet `index` in a frame split into `count` packets.
    #[inline]
    pub fn for_packet(index: usize, count: usize) -> Self {
        if count <= 1 {
            FrameMarker::Single
        } else if index == 0 {
            FrameMarker::Start
        } else if index + 1 >= count {
            FrameMarker::Final
        } else {
            FrameMarker::Inter
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FrameMarker::Inter => "inter",
            FrameMarker::Final => "final",
            FrameMarker::Start => "start",
            FrameMarker::Single => "single",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "inter" => Some(FrameMarker::Inter),
            "final" => Some(FrameMarker::Final),
            "start" => Some(FrameMarker::Start),
            "single" => Some(FrameMarker::Single),
            _ => None,
        }
    }
}

/// A decoded (or to-be-encoded) packet header. Version is always 0 and the reserved bits are
/// not represented: readers ignore them and writers emit zeros.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    pub marker: FrameMarker,
    /// Track handle, 1..=65535 on the wire (0 is reserved).
    pub handle: u16,
    pub sequence: u16,
    pub frame_number: u16,
    /// 90 kHz ticks; receivers do not interpret it.
    pub timestamp: u32,
    pub extensions: Extensions,
}
