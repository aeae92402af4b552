//! Conversions between our packet types and theirs, and parsing through either codec into one
//! comparable outcome.

use std::sync::OnceLock;

use bytes::Bytes;
use livekit_datatrack::__fuzz as lk;
use livekit_datatrack_core::packet::{deserialize, E2eeExt, Extensions, FrameMarker, Header};

pub fn to_theirs(h: &Header) -> lk::Header {
    lk::Header {
        marker: match h.marker {
            FrameMarker::Start => lk::FrameMarker::Start,
            FrameMarker::Inter => lk::FrameMarker::Inter,
            FrameMarker::Final => lk::FrameMarker::Final,
            FrameMarker::Single => lk::FrameMarker::Single,
        },
        track_handle: lk::Handle::try_from(h.handle).expect("non-zero handle"),
        sequence: h.sequence,
        frame_number: h.frame_number,
        timestamp: lk::Timestamp::from_ticks(h.timestamp),
        extensions: their_extensions(&h.extensions),
    }
}

/// Their extension value types are not exported (only `Extensions`, whose fields are public), so
/// values are made by editing copies of ones their parser produced from a fixed packet.
fn their_extensions(ext: &Extensions) -> lk::Extensions {
    static TEMPLATE: OnceLock<lk::Extensions> = OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        // Single, X=1, handle 1, L=6: E2EE (ID 1, 13 bytes), user timestamp (ID 2, 8 bytes), 1 pad.
        let mut bytes = vec![0u8; 40];
        bytes[..4].copy_from_slice(&[0x1c, 0, 0, 1]);
        bytes[12..16].copy_from_slice(&[0, 6, 1, 13]);
        bytes[29..31].copy_from_slice(&[2, 8]);
        lk::Packet::deserialize(bytes.into()).expect("template packet").header.extensions
    });
    let mut theirs = template.clone();
    theirs.e2ee = ext.e2ee.and_then(|e| {
        let mut t = template.e2ee?;
        t.key_index = e.key_index;
        t.iv = e.iv;
        Some(t)
    });
    theirs.user_timestamp = ext.user_timestamp.and_then(|v| {
        let mut t = template.user_timestamp?;
        t.0 = v;
        Some(t)
    });
    theirs
}

pub fn to_ours(h: &lk::Header) -> Header {
    Header {
        marker: match h.marker {
            lk::FrameMarker::Start => FrameMarker::Start,
            lk::FrameMarker::Inter => FrameMarker::Inter,
            lk::FrameMarker::Final => FrameMarker::Final,
            lk::FrameMarker::Single => FrameMarker::Single,
        },
        handle: h.track_handle.into(),
        sequence: h.sequence,
        frame_number: h.frame_number,
        timestamp: h.timestamp.as_ticks(),
        extensions: Extensions {
            e2ee: h.extensions.e2ee.map(|e| E2eeExt { key_index: e.key_index, iv: e.iv }),
            user_timestamp: h.extensions.user_timestamp.map(|u| u.0),
        },
    }
}

/// The outcome of parsing, comparable across the two implementations: their error type is not
/// exported, so errors are compared by kind through its Debug form.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    Ok(Header, Vec<u8>),
    Err(String),
}

pub fn parse_ours(bytes: &[u8]) -> Parsed {
    match deserialize(bytes) {
        Ok(p) => Parsed::Ok(p.header, p.payload.to_vec()),
        Err(e) => Parsed::Err(format!("{e:?}")),
    }
}

pub fn parse_theirs(bytes: &[u8]) -> Parsed {
    match lk::Packet::deserialize(Bytes::copy_from_slice(bytes)) {
        Ok(p) => Parsed::Ok(to_ours(&p.header), p.payload.to_vec()),
        // Their handle error nests the reason (`InvalidHandle(Reserved(0))`); 0 is the only invalid u16.
        Err(e) => Parsed::Err(format!("{e:?}").replace("InvalidHandle(Reserved(0))", "InvalidHandle")),
    }
}
