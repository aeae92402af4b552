use super::header::{Header, BASE_HEADER_LEN, EXT_FLAG, MARKER_SHIFT};

impl Header {
    /// Bytes this header takes on the wire.
    #[inline]
    pub fn serialized_len(&self) -> usize {
        BASE_HEADER_LEN + self.extensions.block_len()
    }

    /// Writes the header at the start of `out` and returns its length, or `None` when `out` is
    /// too small. Version 0, reserved bits zero, X set iff an extension is present.
    pub fn write_to(&self, out: &mut [u8]) -> Option<usize> {
        let len = self.serialized_len();
        let dst = out.get_mut(..len)?;
        let (base, block) = dst.split_at_mut(BASE_HEADER_LEN);
        let ext_flag = if block.is_empty() { 0 } else { EXT_FLAG };
        base[0] = (self.marker.bits() << MARKER_SHIFT) | ext_flag;
        base[1] = 0;
        base[2..4].copy_from_slice(&self.handle.to_be_bytes());
        base[4..6].copy_from_slice(&self.sequence.to_be_bytes());
        base[6..8].copy_from_slice(&self.frame_number.to_be_bytes());
        base[8..12].copy_from_slice(&self.timestamp.to_be_bytes());
        if !block.is_empty() {
            self.extensions.write_block(block);
        }
        Some(len)
    }

    /// Writes header and payload into `out`; returns the packet length or `None` if it does not fit.
    pub fn write_packet(&self, payload: &[u8], out: &mut [u8]) -> Option<usize> {
        let header_len = self.write_to(out)?;
        let end = header_len.checked_add(payload.len())?;
        out.get_mut(header_len..end)?.copy_from_slice(payload);
        Some(end)
    }
}

/// One packet as a fresh vector (tests and cold paths; the hot paths write into JS buffers).
pub fn serialize(header: &Header, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; header.serialized_len() + payload.len()];
    let written = header.write_packet(payload, &mut out);
    debug_assert_eq!(written, Some(out.len()));
    out
}

#[cfg(test)]
mod tests {
    use super::super::*;

    #[test]
    fn header_sizes_match_the_table() {
        let e2ee = Some(E2eeExt { key_index: 1, iv: [2; 12] });
        let cases = [
            (Extensions { e2ee: None, user_timestamp: None }, 12),
            (Extensions { e2ee: None, user_timestamp: Some(0) }, 24),
            (Extensions { e2ee, user_timestamp: None }, 32),
            (Extensions { e2ee, user_timestamp: Some(5) }, 40),
        ];
        for (extensions, len) in cases {
            let h = Header { marker: FrameMarker::Single, handle: 1, sequence: 0, frame_number: 0, timestamp: 0, extensions };
            assert_eq!(h.serialized_len(), len);
            let bytes = serialize(&h, &[1, 2, 3]);
            assert_eq!(bytes.len(), len + 3);
            let back = deserialize(&bytes).unwrap();
            assert_eq!(back.header, h);
            assert_eq!(back.payload, &[1, 2, 3]);
        }
    }

    #[test]
    fn too_small_output_is_refused() {
        let h = Header { marker: FrameMarker::Start, handle: 9, sequence: 1, frame_number: 2, timestamp: 3, extensions: Extensions::NONE };
        let mut out = [0u8; 13];
        assert_eq!(h.write_packet(&[1, 2], &mut out), None);
        assert_eq!(h.write_packet(&[1], &mut out), Some(13));
    }
}
