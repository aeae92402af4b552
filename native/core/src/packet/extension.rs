//! The two extensions clients understand, and the size arithmetic of the extension block.

pub const E2EE_TAG: u8 = 1;
/// key index (1 byte) + IV (12 bytes).
pub const E2EE_LEN: usize = 13;
pub const E2EE_IV_LEN: usize = 12;
pub const USER_TIMESTAMP_TAG: u8 = 2;
pub const USER_TIMESTAMP_LEN: usize = 8;

/// Per-frame E2EE parameters: the frame payload is AES-GCM ciphertext under this key/IV.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct E2eeExt {
    pub key_index: u8,
    pub iv: [u8; E2EE_IV_LEN],
}

/// The known extensions of a packet. Unknown ones are skipped on read and never written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Extensions {
    pub e2ee: Option<E2eeExt>,
    /// Application-defined u64; `Some(0)` is a real value and is sent.
    pub user_timestamp: Option<u64>,
}

impl Extensions {
    pub const NONE: Extensions = Extensions { e2ee: None, user_timestamp: None };

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.e2ee.is_none() && self.user_timestamp.is_none()
    }

    /// Bytes taken by the TLVs alone (2 + LEN each).
    #[inline]
    fn tlv_len(&self) -> usize {
        let mut len = 0;
        if self.e2ee.is_some() {
            len += 2 + E2EE_LEN;
        }
        if self.user_timestamp.is_some() {
            len += 2 + USER_TIMESTAMP_LEN;
        }
        len
    }

    /// Size of the whole extension block (L field, TLVs, padding), 0 when X is clear.
    #[inline]
    pub fn block_len(&self) -> usize {
        if self.is_empty() {
            0
        } else {
            block_len_for_tlvs(self.tlv_len())
        }
    }

    /// Writes the block into `out`, which must be exactly `block_len()` bytes. E2EE comes first
    /// and all padding goes after the last TLV: a 0x00 byte before a TLV would misalign readers.
    pub(crate) fn write_block(&self, out: &mut [u8]) {
        let len = out.len();
        if len < 2 {
            return;
        }
        let words = len / 4;
        out[..2].copy_from_slice(&((words.wrapping_sub(1)) as u16).to_be_bytes());
        let mut at = 2;
        if let Some(e2ee) = &self.e2ee {
            if let Some(dst) = out.get_mut(at..at + 2 + E2EE_LEN) {
                dst[0] = E2EE_TAG;
                dst[1] = E2EE_LEN as u8;
                dst[2] = e2ee.key_index;
                dst[3..].copy_from_slice(&e2ee.iv);
                at += 2 + E2EE_LEN;
            }
        }
        if let Some(ts) = self.user_timestamp {
            if let Some(dst) = out.get_mut(at..at + 2 + USER_TIMESTAMP_LEN) {
                dst[0] = USER_TIMESTAMP_TAG;
                dst[1] = USER_TIMESTAMP_LEN as u8;
                dst[2..].copy_from_slice(&ts.to_be_bytes());
                at += 2 + USER_TIMESTAMP_LEN;
            }
        }
        if let Some(pad) = out.get_mut(at..) {
            pad.fill(0);
        }
    }
}

/// Block size for `tlv_len` bytes of TLVs: the L field plus TLVs rounded up to whole words.
#[inline]
pub(crate) fn block_len_for_tlvs(tlv_len: usize) -> usize {
    (2 + tlv_len).div_ceil(4) * 4
}
