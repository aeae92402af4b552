use super::error::DeserializeError;
use super::extension::{E2eeExt, Extensions, E2EE_IV_LEN, E2EE_LEN, E2EE_TAG, USER_TIMESTAMP_LEN, USER_TIMESTAMP_TAG};
use super::header::{FrameMarker, Header, BASE_HEADER_LEN, EXT_FLAG, MARKER_SHIFT, SUPPORTED_VERSION, VERSION_MASK, VERSION_SHIFT};

/// A parsed packet whose payload still lives in the caller's buffer (no copy on the receive path).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketRef<'a> {
    pub header: Header,
    pub payload: &'a [u8],
}

/// Parses one packet with the reference client rules. Checks run in a fixed order so that every
/// implementation reports the same error for the same bytes: length, version, handle, L field,
/// block size, then the TLVs.
pub fn deserialize(buf: &[u8]) -> Result<PacketRef<'_>, DeserializeError> {
    let Some(base) = buf.first_chunk::<BASE_HEADER_LEN>() else {
        return Err(DeserializeError::TooShort);
    };
    let flags = base[0];
    let version = (flags >> VERSION_SHIFT) & VERSION_MASK;
    if version > SUPPORTED_VERSION {
        return Err(DeserializeError::UnsupportedVersion(version));
    }
    let handle = u16::from_be_bytes([base[2], base[3]]);
    if handle == 0 {
        return Err(DeserializeError::InvalidHandle);
    }
    let sequence = u16::from_be_bytes([base[4], base[5]]);
    let frame_number = u16::from_be_bytes([base[6], base[7]]);
    let timestamp = u32::from_be_bytes([base[8], base[9], base[10], base[11]]);

    let rest = &buf[BASE_HEADER_LEN..];
    let (extensions, payload) = if flags & EXT_FLAG != 0 {
        let Some((l_field, after_l)) = rest.split_first_chunk::<2>() else {
            return Err(DeserializeError::MissingExtWords);
        };
        // L counts 32-bit words of the whole block including the L field itself, minus one.
        let area_len = 4 * (u16::from_be_bytes(*l_field) as usize + 1) - 2;
        if area_len > after_l.len() {
            return Err(DeserializeError::HeaderOverrun);
        }
        let (area, payload) = after_l.split_at(area_len);
        (parse_tlvs(area)?, payload)
    } else {
        (Extensions::NONE, rest)
    };

    Ok(PacketRef {
        header: Header {
            marker: FrameMarker::from_bits(flags >> MARKER_SHIFT),
            handle,
            sequence,
            frame_number,
            timestamp,
            extensions,
        },
        payload,
    })
}

/// TLV loop over the block after L. A 0x00 ID is a 2-byte padding unit; a known ID shorter than
/// its known length is skipped like an unknown one; a longer one is read and the excess skipped;
/// any TLV running past the block is an error; 0 or 1 trailing bytes are ignored. A repeated ID
/// overwrites the earlier value.
fn parse_tlvs(area: &[u8]) -> Result<Extensions, DeserializeError> {
    let mut ext = Extensions::NONE;
    let mut rest = area;
    while let Some((&[id, len], after)) = rest.split_first_chunk::<2>() {
        if id == 0 {
            rest = after;
            continue;
        }
        let len = len as usize;
        if len > after.len() {
            return Err(DeserializeError::MalformedExt(id));
        }
        let (value, next) = after.split_at(len);
        match id {
            E2EE_TAG if len >= E2EE_LEN => {
                let mut iv = [0u8; E2EE_IV_LEN];
                iv.copy_from_slice(&value[1..E2EE_LEN]);
                ext.e2ee = Some(E2eeExt { key_index: value[0], iv });
            }
            USER_TIMESTAMP_TAG if len >= USER_TIMESTAMP_LEN => {
                let mut ts = [0u8; USER_TIMESTAMP_LEN];
                ts.copy_from_slice(&value[..USER_TIMESTAMP_LEN]);
                ext.user_timestamp = Some(u64::from_be_bytes(ts));
            }
            _ => {}
        }
        rest = next;
    }
    Ok(ext)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(flags: u8) -> Vec<u8> {
        let mut v = vec![0u8; 12];
        v[0] = flags;
        v[3] = 1;
        v
    }

    #[test]
    fn error_order() {
        assert_eq!(deserialize(&[0x20; 11]), Err(DeserializeError::TooShort));
        // version checked before handle
        assert_eq!(deserialize(&[0x24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), Err(DeserializeError::UnsupportedVersion(1)));
        // handle checked before the extension words
        assert_eq!(deserialize(&[0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]), Err(DeserializeError::InvalidHandle));
        assert_eq!(deserialize(&base(0x04)), Err(DeserializeError::MissingExtWords));
        let mut v = base(0x04);
        v.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0]);
        assert_eq!(deserialize(&v), Err(DeserializeError::HeaderOverrun));
        v.push(0);
        assert!(deserialize(&v).is_ok());
        assert_eq!(deserialize(&[0xe0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]), Err(DeserializeError::UnsupportedVersion(7)));
    }

    #[test]
    fn max_l_field_does_not_overflow() {
        let mut v = base(0x04);
        v.extend_from_slice(&[0xff, 0xff]);
        assert_eq!(deserialize(&v), Err(DeserializeError::HeaderOverrun));
    }

    #[test]
    fn trailing_single_byte_ignored() {
        // L=1, area of 6 bytes: unknown ID 9 with 1 value byte, a padding unit, one stray byte.
        let mut v = base(0x04);
        v.extend_from_slice(&[0, 1, 9, 1, 0x77, 0, 0, 0x55]);
        let p = deserialize(&v).unwrap();
        assert!(p.payload.is_empty());
        assert!(p.header.extensions.is_empty());
        // a non-zero ID in the last pair whose LEN overruns is malformed
        let mut w = base(0x04);
        w.extend_from_slice(&[0, 1, 9, 0, 0, 0, 0x33, 0xaa]);
        assert_eq!(deserialize(&w), Err(DeserializeError::MalformedExt(0x33)));
    }

    #[test]
    fn payload_follows_block() {
        let mut v = base(0x1c);
        v.extend_from_slice(&[0, 2, 2, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0xde, 0xad]);
        let p = deserialize(&v).unwrap();
        assert_eq!(p.header.marker, FrameMarker::Single);
        assert_eq!(p.header.extensions.user_timestamp, Some(0));
        assert_eq!(p.payload, &[0xde, 0xad]);
    }
}
