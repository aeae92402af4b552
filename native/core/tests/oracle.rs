//! Differential tests against LiveKit's own crate, livekit-datatrack 0.1.13 (a dev-dependency):
//! on seeded random input the two codecs, packetizers and depacketizers must agree. Set DTP_SEED
//! to replay a run.
//!
//! Intentional differences, so not compared:
//! - packet timestamps: both start from a random base and follow the wall clock (theirs cannot
//!   be seeded), so the timestamp bytes are only checked to be equal within a frame;
//! - the E2EE extension on receive: their subscriber without a decryption provider drops it from
//!   the frame, ours hands it up;
//! - drop reasons: their pipeline only logs them, so frames out are what is compared;
//! - lowering max_partial_frames on a live subscription: ours drops the excess partial frames at
//!   once, theirs only as later packets arrive (pinned by
//!   `lowered_max_partial_frames_applies_at_once_in_ours_and_lazily_in_theirs`).

mod common;
mod reference;

use std::time::Instant;

use bytes::Bytes;
use common::random::{mutate, random_header, seed, Rng};
use livekit_datatrack::__fuzz as lk;
use livekit_datatrack_core::local::Packetizer;
use livekit_datatrack_core::packet::{serialize, Extensions, FrameMarker, Header};
use livekit_datatrack_core::remote::RemoteManager;
use reference::codec::{parse_ours, parse_theirs, to_theirs, Parsed};

fn hex(b: &[u8]) -> String {
    common::to_hex(b)
}

#[test]
fn serialization_is_byte_equal_both_ways() {
    let s = seed();
    let mut r = Rng(s);
    for _ in 0..20_000 {
        let h = random_header(&mut r);
        let payload: Vec<u8> = (0..r.below(80)).map(|_| r.byte()).collect();
        let ours = serialize(&h, &payload);
        let theirs = lk::Packet { header: to_theirs(&h), payload: payload.clone().into() }.serialize();
        assert_eq!(hex(&ours), hex(&theirs), "seed {s}: {h:?}");
        assert_eq!(parse_theirs(&ours), Parsed::Ok(h, payload.clone()), "seed {s}");
        assert_eq!(parse_ours(&theirs), Parsed::Ok(h, payload), "seed {s}");
    }
}

/// Random bytes, and valid packets with bits flipped, bytes replaced, truncated, extended or the
/// L field rewritten: both accept with equal fields, or both reject with the same error.
#[test]
fn deserialization_agrees_on_random_and_mutated_bytes() {
    let s = seed();
    let mut r = Rng(s);
    let (mut accepted, mut rejected) = (0, 0);
    for i in 0..60_000 {
        let bytes = if i % 4 == 0 {
            (0..r.below(48)).map(|_| r.byte()).collect()
        } else {
            let mut h = random_header(&mut r);
            if r.below(8) == 0 {
                h.handle = 0;
            }
            let payload: Vec<u8> = (0..r.below(24)).map(|_| r.byte()).collect();
            let mut p = if h.handle == 0 { serialize(&Header { handle: 1, ..h }, &payload) } else { serialize(&h, &payload) };
            if h.handle == 0 {
                p[2..4].fill(0);
            }
            if i % 4 != 1 {
                mutate(&mut r, &mut p);
            }
            p
        };
        let ours = parse_ours(&bytes);
        assert_eq!(ours, parse_theirs(&bytes), "seed {s}: bytes {}", hex(&bytes));
        match ours {
            Parsed::Ok(..) => accepted += 1,
            Parsed::Err(_) => rejected += 1,
        }
    }
    // Both branches must have been exercised for the agreement to mean anything.
    assert!(accepted > 10_000 && rejected > 10_000, "accepted {accepted}, rejected {rejected}");
}

/// Bytes equal except the timestamp, which must be one value per frame on each side.
fn assert_same_packets(ours: &[Vec<u8>], theirs: &[Bytes], what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}: packet count");
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        assert_eq!(a.len(), b.len(), "{what}: packet {i} length");
        assert_eq!(hex(&a[..8]), hex(&b[..8]), "{what}: packet {i} header");
        assert_eq!(hex(&a[12..]), hex(&b[12..]), "{what}: packet {i} after the timestamp");
        assert_eq!(a[8..12], ours[0][8..12], "{what}: our timestamp changed within the frame");
        assert_eq!(b[8..12], theirs[0][8..12], "{what}: their timestamp changed within the frame");
    }
}

#[test]
fn packetization_matches() {
    let s = seed();
    let mut r = Rng(s);
    let mut theirs = reference::Publisher::new();
    let mut ours = Packetizer::new(theirs.handle(), reference::MTU, Instant::now());
    let mtu = reference::MTU;
    // Sizes around the packet boundaries with and without the user-timestamp extension (their
    // header is 12 or 24 bytes), plus empty, tiny and random frames.
    let edges = [0, 1, mtu - 24, mtu - 23, mtu - 12, mtu - 11, 2 * (mtu - 24), 2 * (mtu - 12) + 1, 7 * (mtu - 12)];
    for i in 0..400 {
        let len = match i % 3 {
            0 => edges[r.below(edges.len() as u64) as usize],
            1 => r.below(100) as usize,
            _ => r.below(200_000) as usize,
        };
        let payload: Vec<u8> = (0..len).map(|_| r.byte()).collect();
        let user_timestamp = (r.below(2) == 0).then(|| r.next());
        let ext = Extensions { e2ee: None, user_timestamp };
        let a = ours.packetize(&payload, &ext, Instant::now()).unwrap();
        let b = theirs.packetize(payload.into(), user_timestamp);
        assert_same_packets(&a, &b, &format!("seed {s}, frame {i} of {len} bytes"));
    }
    // Past the u16 wrap of sequence and frame numbers.
    for i in 0..66_000u32 {
        let payload = i.to_be_bytes().to_vec();
        let a = ours.packetize(&payload, &Extensions::NONE, Instant::now()).unwrap();
        let b = theirs.packetize(payload.into(), None);
        assert_same_packets(&a, &b, &format!("tiny frame {i}"));
    }
}

/// What a receive path delivered, in order: (payload, user timestamp).
type Delivered = Vec<(Vec<u8>, Option<u64>)>;

const SUB_HANDLE: u16 = 7;

/// A publisher's packet stream under loss, duplication, reordering (nearby swaps and late
/// packets), interleaved frames and the odd corrupted or foreign packet.
fn impaired_stream(r: &mut Rng) -> Vec<Vec<u8>> {
    let mtu = 41 + r.below(120) as usize;
    let mut packetizer = Packetizer::new(SUB_HANDLE, mtu, Instant::now());
    let mut frames: Vec<Vec<Vec<u8>>> = (0..300)
        .map(|i| {
            let len = if r.below(5) == 0 { r.below(mtu as u64) } else { r.below(12 * mtu as u64) } as usize;
            let payload: Vec<u8> = (0..len).map(|_| r.byte()).collect();
            let ext = Extensions { e2ee: None, user_timestamp: (r.below(2) == 0).then_some(i) };
            packetizer.packetize(&payload, &ext, Instant::now()).unwrap()
        })
        .collect();
    // Interleave some neighbouring frames packet by packet.
    for i in 1..frames.len() {
        if r.below(6) == 0 {
            let (a, b) = frames.split_at_mut(i);
            let (prev, cur) = (&mut a[i - 1], &mut b[0]);
            let mut merged = Vec::new();
            let (mut x, mut y) = (prev.drain(..).peekable(), cur.drain(..).peekable());
            while x.peek().is_some() || y.peek().is_some() {
                let take_x = y.peek().is_none() || (x.peek().is_some() && r.below(2) == 0);
                merged.push(if take_x { x.next() } else { y.next() }.unwrap());
            }
            drop((x, y));
            *cur = merged;
        }
    }
    let (loss, dup, swap, late) = (r.below(10), r.below(10), r.below(10), r.below(10));
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut held: Vec<(usize, Vec<u8>)> = Vec::new();
    for p in frames.into_iter().flatten() {
        if r.below(100) < loss {
            continue;
        }
        if r.below(100) < late {
            held.push((out.len() + 1 + r.below(40) as usize, p));
            continue;
        }
        if r.below(100) < dup {
            out.push(p.clone());
        }
        match r.below(200) {
            0 => {
                let mut bad = p.clone();
                mutate(r, &mut bad);
                out.push(bad);
            }
            1 => {
                let mut foreign = p.clone();
                foreign[2..4].copy_from_slice(&(SUB_HANDLE + 1).to_be_bytes());
                out.push(foreign);
            }
            _ => {}
        }
        out.push(p);
        if r.below(100) < swap && out.len() >= 2 {
            let n = out.len();
            out.swap(n - 1, n - 2);
        }
        while let Some(i) = held.iter().position(|(at, _)| *at <= out.len()) {
            out.push(held.remove(i).1);
        }
    }
    out.extend(held.into_iter().map(|(_, p)| p));
    out
}

#[test]
fn depacketization_matches_under_loss_reordering_and_duplication() {
    let s = seed();
    let mut r = Rng(s);
    let mut delivered_total = 0;
    for round in 0..12 {
        let max_partial_frames = [1, 1, 2, 3, 8][round % 5];
        let stream = impaired_stream(&mut r);
        let (mut ours, _) = reference::our_subscriber(SUB_HANDLE, max_partial_frames);
        let mut theirs = reference::Subscriber::new(SUB_HANDLE, max_partial_frames);
        let (mut a, mut b): (Delivered, Delivered) = (Vec::new(), Vec::new());
        for (i, packet) in stream.iter().enumerate() {
            if let Some(out) = ours.handle_packet(packet) {
                a.push((out.frame.payload.as_slice().to_vec(), out.frame.extensions.user_timestamp));
            }
            b.extend(theirs.push(Bytes::copy_from_slice(packet)).into_iter().map(|f| (f.payload.to_vec(), f.user_timestamp)));
            assert_eq!(a.len(), b.len(), "seed {s}, round {round} (max partial {max_partial_frames}): frame count after packet {i} ({})", hex(&packet[..packet.len().min(16)]));
        }
        for (k, (x, y)) in a.iter().zip(&b).enumerate() {
            assert!(x == y, "seed {s}, round {round}: frame {k} differs (ours {} bytes ts {:?}, theirs {} bytes ts {:?})", x.0.len(), x.1, y.0.len(), y.1);
        }
        delivered_total += a.len();
    }
    assert!(delivered_total > 500, "too few frames survived to compare: {delivered_total}");
}

/// A lowered max_partial_frames bounds our partial frames at once (RemoteManager::subscribe →
/// Depacketizer::set_max_partial_frames evicts the oldest); their depacketizer keeps the excess
/// until a Start evicts down to the new bound, and a Single evicts only one. So frames that ours
/// has dropped can still complete in theirs. Ours is the intended behaviour (the bound is what
/// limits the memory a sender can pin); this pins the difference so a change on either side shows.
#[test]
fn lowered_max_partial_frames_applies_at_once_in_ours_and_lazily_in_theirs() {
    let packet = |marker, sequence: u16, frame_number: u16| {
        let h = Header { marker, handle: SUB_HANDLE, sequence, frame_number, timestamp: 0, extensions: Extensions::NONE };
        serialize(&h, &[frame_number as u8])
    };
    let (mut ours, track_id) = reference::our_subscriber(SUB_HANDLE, 3);
    let mut theirs = reference::Subscriber::new(SUB_HANDLE, 3);
    let both = |p: Vec<u8>, ours: &mut RemoteManager, theirs: &mut reference::Subscriber| {
        let a = ours.handle_packet(&p).map(|o| o.frame.payload.as_slice().to_vec());
        let b: Vec<Vec<u8>> = theirs.push(Bytes::from(p)).into_iter().map(|f| f.payload.to_vec()).collect();
        (a, b)
    };
    for f in 1..=3 {
        assert_eq!(both(packet(FrameMarker::Start, 10 * f, f), &mut ours, &mut theirs), (None, vec![]));
    }
    ours.subscribe(track_id, 1).unwrap(); // keeps frame 3, the newest
    theirs.set_max_partial_frames(1);
    // A Single: delivered by both; theirs evicts one partial (frame 1), ours has frame 3 at the bound.
    assert_eq!(both(packet(FrameMarker::Single, 40, 4), &mut ours, &mut theirs), (Some(vec![4]), vec![vec![4]]));
    // Frames 3 and 2 complete in theirs only.
    assert_eq!(both(packet(FrameMarker::Final, 31, 3), &mut ours, &mut theirs), (None, vec![vec![3, 3]]));
    assert_eq!(both(packet(FrameMarker::Final, 21, 2), &mut ours, &mut theirs), (None, vec![vec![2, 2]]));
}
