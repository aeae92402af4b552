//! Every case of the DTP test vectors (tests/vectors/dtp.json, a copy of shared/vectors/dtp.json)
//! against the Rust core.

mod common;

use std::time::{Duration, Instant};

use common::json::{parse, Json};
use common::{hex, to_hex};
use livekit_datatrack_core::local::Packetizer;
use livekit_datatrack_core::packet::{deserialize, forward, serialize, DeserializeError, E2eeExt, Extensions, FrameMarker, Header};
use livekit_datatrack_core::remote::{Depacketizer, DropReason};
use livekit_datatrack_core::time::Clock;

fn vectors() -> Json {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/dtp.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {path}: {e}"));
    parse(&text).expect("valid JSON")
}

fn marker(s: &str) -> FrameMarker {
    FrameMarker::parse(s).unwrap_or_else(|| panic!("marker {s}"))
}

fn header(j: &Json) -> Header {
    let e2ee = j.get("e2ee").filter(|e| !e.is_null()).map(|e| E2eeExt {
        key_index: e.at("keyIndex").u64() as u8,
        iv: hex(e.at("iv").str()).try_into().expect("12-byte iv"),
    });
    let user_timestamp = j.get("userTimestamp").filter(|u| !u.is_null()).map(|u| u.u64());
    Header {
        marker: marker(j.at("marker").str()),
        handle: j.at("handle").u64() as u16,
        sequence: j.at("sequence").u64() as u16,
        frame_number: j.at("frameNumber").u64() as u16,
        timestamp: j.at("timestamp").u64() as u32,
        extensions: Extensions { e2ee, user_timestamp },
    }
}

fn payload(case: &Json) -> Vec<u8> {
    if let Some(rep) = case.get("payloadRepeat") {
        vec![hex(rep.at("byte").str())[0]; rep.at("count").u64() as usize]
    } else {
        hex(case.at("payload").str())
    }
}

fn expected_error(case: &Json) -> (String, Option<u8>) {
    let tag = case.get("extTag").filter(|t| !t.is_null()).map(|t| t.u64() as u8);
    (case.at("error").str().to_owned(), tag)
}

fn check_error(name: &str, got: DeserializeError, case: &Json) {
    let (code, tag) = expected_error(case);
    assert_eq!(got.code(), code, "{name}");
    if let Some(tag) = tag {
        assert_eq!(got, DeserializeError::MalformedExt(tag), "{name}");
    }
    if code == "UnsupportedVersion" {
        assert!(matches!(got, DeserializeError::UnsupportedVersion(v) if v > 0), "{name}");
    }
}

fn check_decode(case: &Json) {
    let name = case.at("name").str();
    let bytes = hex(case.at("bytes").str());
    let packet = deserialize(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(packet.header, header(case.at("header")), "{name}");
    assert_eq!(to_hex(packet.payload), case.at("payload").str(), "{name}");
}

fn check_invalid(case: &Json) {
    let name = case.at("name").str();
    let bytes = hex(case.at("bytes").str());
    match deserialize(&bytes) {
        Ok(p) => panic!("{name}: decoded {p:?}"),
        Err(e) => check_error(name, e, case),
    }
}

#[test]
fn encode_vectors() {
    let v = vectors();
    let cases = v.at("encode").array();
    assert!(!cases.is_empty());
    for case in cases {
        let name = case.at("name").str();
        let bytes = serialize(&header(case.at("header")), &payload(case));
        assert_eq!(to_hex(&bytes), case.at("bytes").str(), "{name}");
        // and back
        let back = deserialize(&bytes).unwrap();
        assert_eq!(back.header, header(case.at("header")), "{name}");
        assert_eq!(back.payload, &payload(case)[..], "{name}");
    }
}

#[test]
fn decode_vectors() {
    let v = vectors();
    for case in v.at("decode").array().iter().chain(v.at("rustReferenceOnly").at("decode").array()) {
        check_decode(case);
    }
}

#[test]
fn invalid_vectors() {
    let v = vectors();
    for case in v.at("invalid").array().iter().chain(v.at("rustReferenceOnly").at("invalid").array()) {
        check_invalid(case);
    }
}

#[test]
fn forward_vectors() {
    let v = vectors();
    for case in v.at("forward").array() {
        let name = case.at("name").str();
        let out = forward(&hex(case.at("bytes").str()), case.at("newHandle").u64() as u16)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(to_hex(&out), case.at("out").str(), "{name}");
    }
}

fn drop_name(reason: &DropReason) -> &'static str {
    match reason {
        DropReason::Interrupted { .. } => "Interrupted",
        DropReason::UnknownFrame => "UnknownFrame",
        DropReason::BufferFull => "BufferFull",
        DropReason::Incomplete { .. } => "Incomplete",
    }
}

#[test]
fn depacketize_vectors() {
    let v = vectors();
    for case in v.at("depacketize").array() {
        let name = case.at("name").str();
        let mut d = Depacketizer::new(case.at("maxPartialFrames").u64() as usize);
        let mut frames = Vec::new();
        let mut drops = Vec::new();
        for p in case.at("packets").array() {
            let h = Header {
                marker: marker(p.at("marker").str()),
                handle: 1,
                sequence: p.at("sequence").u64() as u16,
                frame_number: p.at("frameNumber").u64() as u16,
                timestamp: 0,
                extensions: Extensions::NONE,
            };
            // through the wire format, as the addon does
            let bytes = serialize(&h, &hex(p.at("payload").str()));
            let packet = deserialize(&bytes).unwrap();
            let out = d.push(&packet);
            if let Some(drop) = out.drop {
                drops.push((drop_name(&drop.reason).to_string(), drop.frame_number as u64));
            }
            if let Some(f) = out.frame {
                frames.push(to_hex(f.payload.as_slice()));
            }
        }
        let want_frames: Vec<String> = case.at("frames").array().iter().map(|f| f.str().to_owned()).collect();
        let want_drops: Vec<(String, u64)> = case
            .at("drops")
            .array()
            .iter()
            .map(|d| (d.at("reason").str().to_owned(), d.at("frameNumber").u64()))
            .collect();
        assert_eq!(frames, want_frames, "{name}");
        assert_eq!(drops, want_drops, "{name}");
    }
}

#[test]
fn depacketize_vector_details() {
    // Numbers the vectors state in their notes.
    let mut d = Depacketizer::new(1);
    let mk = |m, s, f| Header { marker: m, handle: 1, sequence: s, frame_number: f, timestamp: 0, extensions: Extensions::NONE };
    let a = serialize(&mk(FrameMarker::Start, 65535, 2), &[1]);
    let b = serialize(&mk(FrameMarker::Final, 2, 2), &[3]);
    d.push(&deserialize(&a).unwrap());
    let out = d.push(&deserialize(&b).unwrap());
    assert_eq!(out.drop.unwrap().reason, DropReason::Incomplete { received: 2, expected: 4 });
    let s5 = serialize(&mk(FrameMarker::Start, 0, 5), &[1]);
    let s6 = serialize(&mk(FrameMarker::Single, 1, 6), &[7]);
    d.push(&deserialize(&s5).unwrap());
    let out = d.push(&deserialize(&s6).unwrap());
    assert_eq!(out.drop.unwrap().reason, DropReason::Interrupted { new_frame_number: 6 });
    assert_eq!(out.frame.unwrap().payload.as_slice(), &[7]);
}

#[test]
fn packetize_vectors() {
    let v = vectors();
    let e2ee = E2eeExt { key_index: 7, iv: [0x42; 12] };
    for case in v.at("packetize").array() {
        let name = case.at("name").str();
        let t0 = Instant::now();
        let mut p = Packetizer::with_clock(case.at("handle").u64() as u16, case.at("mtu").u64() as usize, Clock::new(123, t0));
        let ext = Extensions {
            e2ee: case.at("e2ee").bool().then_some(e2ee),
            user_timestamp: case.at("userTimestamp").bool().then_some(0x0102_0304_0506_0708),
        };
        if let Some(pre) = case.get("precedingFrames") {
            for group in pre.array() {
                let frame = vec![0u8; group.at("payloadLength").u64() as usize];
                for _ in 0..group.at("count").u64() {
                    p.packetize(&frame, &Extensions::NONE, t0).unwrap();
                }
            }
        }
        let frame = vec![hex(case.at("payloadByte").str())[0]; case.at("payloadLength").u64() as usize];
        let result = p.packetize(&frame, &ext, t0 + Duration::from_millis(3));
        if let Some(err) = case.get("error") {
            assert_eq!(err.str(), "MtuTooShort", "{name}");
            assert!(result.is_err(), "{name}");
            assert_eq!(p.next_frame_number(), 0, "{name}: MtuTooShort must not consume a frame number");
            continue;
        }
        let packets = result.unwrap_or_else(|e| panic!("{name}: {e}"));
        let want = case.at("packets").array();
        assert_eq!(packets.len(), want.len(), "{name}");
        let mut reassembled = Vec::new();
        for (bytes, w) in packets.iter().zip(want) {
            assert!(bytes.len() <= case.at("mtu").u64() as usize, "{name}");
            let packet = deserialize(bytes).unwrap();
            assert_eq!(packet.header.marker, marker(w.at("marker").str()), "{name}");
            assert_eq!(packet.header.sequence as u64, w.at("sequence").u64(), "{name}");
            assert_eq!(packet.header.frame_number as u64, w.at("frameNumber").u64(), "{name}");
            assert_eq!(packet.payload.len() as u64, w.at("payloadLength").u64(), "{name}");
            assert_eq!(packet.header.extensions, ext, "{name}");
            assert_eq!(packet.header.handle as u64, case.at("handle").u64(), "{name}");
            // one timestamp per frame: base + 3 ms
            assert_eq!(packet.header.timestamp, 123 + 270, "{name}");
            reassembled.extend_from_slice(packet.payload);
        }
        assert_eq!(reassembled, frame, "{name}");
    }
}

#[test]
fn mtu_too_short_does_not_consume_a_frame_number() {
    let t0 = Instant::now();
    let mut p = Packetizer::with_clock(1, 32, Clock::new(0, t0));
    let e2ee = Extensions { e2ee: Some(E2eeExt { key_index: 0, iv: [0; 12] }), user_timestamp: None };
    assert!(p.packetize(&[1], &e2ee, t0).is_err());
    let packets = p.packetize(&[1], &Extensions::NONE, t0).unwrap();
    assert_eq!(deserialize(&packets[0]).unwrap().header.frame_number, 0);
}
