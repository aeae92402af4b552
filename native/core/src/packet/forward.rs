//! SFU forwarding: the packet as LiveKit's SFU re-serializes it after swapping in the
//! subscriber's handle. The SFU parses with its own rules, which differ from the client reader:
//! it does not check the version or the handle, it keeps every TLV (unknown IDs included) in
//! order, it treats the first 0x00 ID as the start of padding and drops everything after it,
//! and on output it recomputes L and the trailing padding, clears the reserved bits, and keeps X
//! even when no TLV is left (giving L=0 plus two zero bytes).

use super::error::DeserializeError;
use super::extension::block_len_for_tlvs;
use super::header::{BASE_HEADER_LEN, EXT_FLAG};

/// Bits of byte 0 the SFU keeps: version, S, F, X (the two reserved bits are cleared).
const KEPT_FLAG_BITS: u8 = 0xfc;

/// The result of parsing a packet for forwarding; `write` then produces the output in one pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ForwardPlan {
    /// Header length of the input (where its payload starts).
    input_header_len: usize,
    /// Bytes of TLVs kept, measured from the start of the TLV area.
    tlv_len: usize,
    has_ext: bool,
    /// The re-emitted block is byte-identical to the input block, so only bytes 0..4 change.
    canonical: bool,
    output_len: usize,
}

impl ForwardPlan {
    pub fn parse(packet: &[u8]) -> Result<Self, DeserializeError> {
        if packet.len() < BASE_HEADER_LEN {
            return Err(DeserializeError::TooShort);
        }
        if packet[0] & EXT_FLAG == 0 {
            return Ok(ForwardPlan {
                input_header_len: BASE_HEADER_LEN,
                tlv_len: 0,
                has_ext: false,
                canonical: true,
                output_len: packet.len(),
            });
        }
        let rest = &packet[BASE_HEADER_LEN..];
        let Some((l_field, after_l)) = rest.split_first_chunk::<2>() else {
            return Err(DeserializeError::MissingExtWords);
        };
        let area_len = 4 * (u16::from_be_bytes(*l_field) as usize + 1) - 2;
        let Some(area) = after_l.get(..area_len) else {
            return Err(DeserializeError::HeaderOverrun);
        };

        let mut pos = 0usize;
        while let Some(&id) = area.get(pos) {
            if id == 0 {
                break;
            }
            let Some(&len) = area.get(pos + 1) else {
                return Err(DeserializeError::MalformedExt(id));
            };
            let end = pos + 2 + len as usize;
            if end > area.len() {
                return Err(DeserializeError::MalformedExt(id));
            }
            pos = end;
        }
        let tlv_len = pos;
        let block_len = block_len_for_tlvs(tlv_len);
        let canonical = block_len == 2 + area_len && area[tlv_len..].iter().all(|&b| b == 0);
        let input_header_len = BASE_HEADER_LEN + 2 + area_len;
        let payload_len = packet.len() - input_header_len;
        Ok(ForwardPlan {
            input_header_len,
            tlv_len,
            has_ext: true,
            canonical,
            output_len: BASE_HEADER_LEN + block_len + payload_len,
        })
    }

    #[inline]
    pub fn output_len(&self) -> usize {
        self.output_len
    }

    /// True when the output is the input with only bytes 0..4 rewritten.
    #[inline]
    pub fn is_canonical(&self) -> bool {
        self.canonical
    }

    /// Writes the forwarded packet into `out` (exactly `output_len()` bytes). `packet` must be the
    /// buffer the plan was parsed from; returns `None` on a length mismatch.
    pub fn write(&self, packet: &[u8], new_handle: u16, out: &mut [u8]) -> Option<()> {
        if out.len() != self.output_len || packet.len() < self.input_header_len {
            return None;
        }
        if self.canonical {
            out.copy_from_slice(packet.get(..self.output_len)?);
        } else {
            out[..BASE_HEADER_LEN].copy_from_slice(&packet[..BASE_HEADER_LEN]);
            let block_len = block_len_for_tlvs(self.tlv_len);
            let block = out.get_mut(BASE_HEADER_LEN..BASE_HEADER_LEN + block_len)?;
            let words = (block_len / 4) as u16;
            block[..2].copy_from_slice(&words.wrapping_sub(1).to_be_bytes());
            let tlv_src = packet.get(BASE_HEADER_LEN + 2..BASE_HEADER_LEN + 2 + self.tlv_len)?;
            block[2..2 + self.tlv_len].copy_from_slice(tlv_src);
            block[2 + self.tlv_len..].fill(0);
            out.get_mut(BASE_HEADER_LEN + block_len..)?
                .copy_from_slice(&packet[self.input_header_len..]);
        }
        debug_assert!(self.has_ext || self.canonical);
        out[0] = packet[0] & KEPT_FLAG_BITS;
        out[1] = 0;
        out[2..4].copy_from_slice(&new_handle.to_be_bytes());
        Some(())
    }
}

/// Convenience wrapper returning a fresh vector.
pub fn forward(packet: &[u8], new_handle: u16) -> Result<Vec<u8>, DeserializeError> {
    let plan = ForwardPlan::parse(packet)?;
    let mut out = vec![0u8; plan.output_len()];
    plan.write(packet, new_handle, &mut out).ok_or(DeserializeError::HeaderOverrun)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    #[test]
    fn canonical_block_is_patched_in_place() {
        let input = hex("0c00881144224411442211880006010dfa3c3c3c3c3c3c3c3c3c3c3c3c0208441122111111881100fafafafa");
        let plan = ForwardPlan::parse(&input).unwrap();
        assert!(plan.is_canonical());
        let out = forward(&input, 7).unwrap();
        assert_eq!(&out[..4], &[0x0c, 0, 0, 7]);
        assert_eq!(&out[4..], &input[4..]);
    }

    #[test]
    fn padding_before_tlv_drops_the_rest() {
        // X6 pattern: 2 padding bytes, then a user timestamp the SFU never sees.
        let input = hex("04000001000000000000000000030000020844112211111188110000ee");
        let out = forward(&input, 3).unwrap();
        assert_eq!(out, hex("04000003000000000000000000000000ee"));
    }

    #[test]
    fn sfu_errors() {
        assert_eq!(forward(&hex("0400000100000000000000"), 1), Err(DeserializeError::TooShort));
        assert_eq!(forward(&hex("040000010000000000000000"), 1), Err(DeserializeError::MissingExtWords));
        assert_eq!(forward(&hex("0400000100000000000000000001"), 1), Err(DeserializeError::HeaderOverrun));
        // a lone non-zero ID in the last byte of the block
        assert_eq!(forward(&hex("04000001000000000000000000010803aabbcc09"), 1), Err(DeserializeError::MalformedExt(9)));
        // a TLV running past the block
        assert_eq!(forward(&hex("0400000100000000000000000001020500000000"), 1), Err(DeserializeError::MalformedExt(2)));
        // version and handle are not checked
        assert!(forward(&hex("e00000000000000000000000"), 1).is_ok());
    }

    #[test]
    fn shorter_block_after_reencoding() {
        // L=3 holding one 4-byte TLV and 10 zero bytes is re-emitted as L=1 with 2 padding bytes.
        let input = hex("04000001000000000000000000030902abcd0000000000000000000011");
        let out = forward(&input, 2).unwrap();
        assert_eq!(out, hex("04000002000000000000000000010902abcd000011"));
    }
}
