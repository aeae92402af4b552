//! Ours against livekit-datatrack 0.1.13 on the same input. The first byte picks the check:
//! - codec: the rest as one packet; both accept with equal fields or reject with the same error;
//! - receive: the rest as a stream of length-prefixed packets fed to both subscribers (frames
//!   out equal after every packet);
//! - round trip: the rest as frame descriptions, packetized by both at their MTU (same packets
//!   but for the timestamp), then their packets, dropped/duplicated/swapped as the input says,
//!   depacketized by both (same frames out).
//!
//! Setting up their managers costs far more than one input, so the drivers live for the whole
//! run (one subscriber pair per max-partial-frames value, one publisher pair). Each input first
//! empties both depacketizers the same way (`reset`), so an input's outcome does not depend on
//! the ones before it; only the publishers' sequence and frame numbers carry over.
#![no_main]

#[path = "../../core/tests/reference/mod.rs"]
mod reference;

use std::cell::RefCell;
use std::time::Instant;

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use livekit_datatrack_core::local::Packetizer;
use livekit_datatrack_core::packet::{serialize, Extensions, FrameMarker, Header};
use livekit_datatrack_core::remote::RemoteManager;
use reference::codec::{parse_ours, parse_theirs};

/// Their publisher's handle (their allocator's first), also the subscribers' handle.
const HANDLE: u16 = 1;
/// Frame numbers only `reset` uses; input packets in this range are moved out of it.
const RESET_FRAMES: u16 = 0xff00;
const MAX_PARTIAL_FRAMES: usize = 4;
/// Packets per call into their subscriber.
const BATCH: usize = 8;
/// Bounds one input's frames: up to three packets each, and work per input (their receive path
/// copies a multi-packet frame byte by byte).
const MAX_FRAME_LEN: u16 = 3 * reference::MTU as u16;
const MAX_ROUND_TRIP_BYTES: usize = 1 << 16;

type Delivered = Vec<(Vec<u8>, Option<u64>)>;

struct Pair {
    ours: RemoteManager,
    theirs: reference::Subscriber,
    max_partial_frames: usize,
}

struct Drivers {
    subscribers: Vec<Pair>,
    publisher: reference::Publisher,
    packetizer: Packetizer,
}

thread_local! {
    static DRIVERS: RefCell<Drivers> = RefCell::new({
        let publisher = reference::Publisher::new();
        assert_eq!(publisher.handle(), HANDLE);
        Drivers {
            subscribers: (1..=MAX_PARTIAL_FRAMES)
                .map(|n| Pair { ours: reference::our_subscriber(HANDLE, n).0, theirs: reference::Subscriber::new(HANDLE, n), max_partial_frames: n })
                .collect(),
            packetizer: Packetizer::new(HANDLE, reference::MTU, Instant::now()),
            publisher,
        }
    });
}

impl Pair {
    /// Our frames come out per packet; theirs are collected per batch of packets (their
    /// managers cost a scheduler round trip per call), so the two lists are compared at
    /// `flush`, in order.
    fn deliver(&mut self, packet: &[u8], run: &mut Run) {
        let mut packet = packet.to_vec();
        if packet.len() >= 8 && u16::from_be_bytes([packet[6], packet[7]]) >= RESET_FRAMES {
            packet[6] ^= 0x01;
        }
        self.deliver_raw(packet, run);
    }

    /// `deliver` without moving frame numbers out of the reset range.
    fn deliver_raw(&mut self, packet: Vec<u8>, run: &mut Run) {
        if let Some(out) = self.ours.handle_packet(&packet) {
            run.ours.push((out.frame.payload.as_slice().to_vec(), out.frame.extensions.user_timestamp));
        }
        run.pending.push(packet.into());
        if run.pending.len() == BATCH {
            self.flush(run);
        }
    }

    fn flush(&mut self, run: &mut Run) {
        let frames = self.theirs.push_many(&run.pending);
        run.theirs.extend(frames.into_iter().map(|f| (f.payload.to_vec(), f.user_timestamp)));
        assert_eq!(run.ours, run.theirs, "frames out differ after packets {:02x?}", run.pending);
        run.pending.clear();
    }

    /// Empties both depacketizers: as many Starts of fresh frames as there are partial slots
    /// evict every older partial (oldest first, in both), then their Finals complete them.
    fn reset(&mut self) {
        let mut run = Run::default();
        let packet = |marker, sequence: u16, k: u16| {
            let h = Header { marker, handle: HANDLE, sequence, frame_number: RESET_FRAMES + k, timestamp: 0, extensions: Extensions::NONE };
            serialize(&h, &[])
        };
        let n = self.max_partial_frames as u16;
        for k in 0..n {
            self.deliver_raw(packet(FrameMarker::Start, 2 * k, k), &mut run);
        }
        for k in 0..n {
            self.deliver_raw(packet(FrameMarker::Final, 2 * k + 1, k), &mut run);
        }
        self.flush(&mut run);
        assert_eq!(run.ours.len(), usize::from(n), "reset frames");
    }
}

/// One input's frames out of both sides, and the packets not yet given to theirs.
#[derive(Default)]
struct Run {
    ours: Delivered,
    theirs: Delivered,
    pending: Vec<Bytes>,
}

fn receive(drivers: &mut Drivers, control: u8, rest: &[u8]) {
    let pair = &mut drivers.subscribers[usize::from(control >> 6)];
    pair.reset();
    let mut run = Run::default();
    let mut rest = rest;
    while let Some((&len, tail)) = rest.split_first() {
        // The top bit routes the packet to the subscribed handle, so that most packets reach
        // the depacketizers instead of stopping at routing.
        let n = usize::from(len & 0x7f).min(tail.len());
        let (chunk, next) = tail.split_at(n);
        let mut packet = chunk.to_vec();
        if len & 0x80 != 0 && packet.len() >= 4 {
            packet[2..4].copy_from_slice(&HANDLE.to_be_bytes());
        }
        pair.deliver(&packet, &mut run);
        rest = next;
    }
    pair.flush(&mut run);
}

fn round_trip(drivers: &mut Drivers, control: u8, rest: &[u8]) {
    let mut packets: Vec<Bytes> = Vec::new();
    let mut total = 0;
    for (i, d) in rest.chunks_exact(3).enumerate() {
        let len = usize::from(u16::from_be_bytes([d[0], d[1]]) % (MAX_FRAME_LEN + 1));
        total += len;
        if total > MAX_ROUND_TRIP_BYTES {
            break;
        }
        let payload: Vec<u8> = (0..len).map(|k| (k as u8) ^ d[2]).collect();
        let user_timestamp = (d[2] & 1 != 0).then_some(i as u64);
        let ext = Extensions { e2ee: None, user_timestamp };
        let ours = drivers.packetizer.packetize(&payload, &ext, Instant::now()).unwrap();
        let theirs = drivers.publisher.packetize(payload.into(), user_timestamp);
        assert_eq!(ours.len(), theirs.len());
        for (x, y) in ours.iter().zip(&theirs) {
            assert_eq!((&x[..8], &x[12..]), (&y[..8], &y[12..]), "packets differ beyond the timestamp");
        }
        packets.extend(theirs);
    }
    // Impairments from the same bytes, read backwards so they do not mirror the frame sizes.
    let mut bits = rest.iter().rev().cycle().copied();
    let pair = &mut drivers.subscribers[usize::from(control >> 6)];
    pair.reset();
    let mut run = Run::default();
    let mut i = 0;
    while i < packets.len() {
        let action = if control & 4 != 0 { bits.next().unwrap_or(0) % 8 } else { 7 };
        match action {
            0 => {}
            1 => {
                pair.deliver(&packets[i], &mut run);
                pair.deliver(&packets[i], &mut run);
            }
            2 if i + 1 < packets.len() => {
                pair.deliver(&packets[i + 1], &mut run);
                pair.deliver(&packets[i], &mut run);
                i += 1;
            }
            _ => pair.deliver(&packets[i], &mut run),
        }
        i += 1;
    }
    pair.flush(&mut run);
}

fuzz_target!(|data: &[u8]| {
    let Some((&control, rest)) = data.split_first() else { return };
    match control % 3 {
        0 => assert_eq!(parse_ours(rest), parse_theirs(rest), "codecs disagree"),
        1 => DRIVERS.with(|d| receive(&mut d.borrow_mut(), control, rest)),
        _ => DRIVERS.with(|d| round_trip(&mut d.borrow_mut(), control, rest)),
    }
});
