//! Packetize + depacketize N frames of one size through ours or livekit-datatrack 0.1.13, for
//! counting instructions per frame under callgrind (`npm run bench:instructions`, which runs
//! this with `--toggle-collect` on `one_frame_*` so that setup is not counted).
//!
//! ours:   LocalManager push_frame → plan_transmit/write_transmit into a reused buffer (as the
//!         binding's pollTransmit does) → RemoteManager handle_packet per packet → frame out,
//!         its buffer given back with reuse_buffer.
//! theirs: LocalDataTrack::try_push → their track task packetizes and serializes → their remote
//!         manager deserializes, routes and depacketizes → the frame from the subscription
//!         stream; their async managers run on a current-thread tokio runtime (their public
//!         API; the packetizer and depacketizer themselves are private).
//! Both at MTU 16000 (theirs is fixed), no extensions.
//!
//! Usage: cargo run --release -- <ours|theirs> <payload bytes> <frames>   (in native/bench-instructions)

#[path = "../../core/tests/reference/mod.rs"]
mod reference;

use std::hint::black_box;
use std::time::Instant;

use bytes::Bytes;
use livekit_datatrack_core::local::{LocalManager, LocalManagerOptions};
use livekit_datatrack_core::packet::Extensions;
use livekit_datatrack_core::remote::{Payload, RemoteManager};

struct Ours {
    local: LocalManager,
    remote: RemoteManager,
    handle: u16,
    data: Vec<u8>,
    ends: Vec<u32>,
}

impl Ours {
    fn new() -> Self {
        let mut local = LocalManager::new(LocalManagerOptions { mtu: reference::MTU, ..Default::default() }).unwrap();
        let handle = local.allocate_handle().unwrap();
        local.begin_publish(handle, "bench", false).unwrap();
        local.publish_succeeded(handle, "DTR_bench", Instant::now()).unwrap();
        // Packets go straight from our publisher to our subscriber, whose handle is the
        // publisher's (no SFU in between to rewrite it), like theirs below.
        let (remote, _) = reference::our_subscriber(handle, 1);
        Ours { local, remote, handle, data: Vec::new(), ends: Vec::new() }
    }
}

#[inline(never)]
fn one_frame_ours(o: &mut Ours, payload: &[u8]) -> usize {
    o.local.push_frame(o.handle, payload, &Extensions::NONE, false).unwrap();
    let batch = o.local.plan_transmit(1, Instant::now()).unwrap();
    o.data.resize(batch.bytes, 0);
    o.ends.resize(batch.packets, 0);
    assert!(o.local.write_transmit(&mut o.data, &mut o.ends));
    let mut received = 0;
    let mut start = 0;
    for &end in &o.ends {
        let packet = &o.data[start..end as usize];
        start = end as usize;
        if let Some(out) = o.remote.handle_packet(packet) {
            received += out.frame.payload.len();
            if let Payload::Owned(buf) = out.frame.payload {
                o.remote.reuse_buffer(out.track_id, black_box(buf));
            }
        }
    }
    received
}

struct Theirs {
    publisher: reference::Publisher,
    subscriber: reference::Subscriber,
}

#[inline(never)]
fn one_frame_theirs(t: &mut Theirs, payload: &Bytes) -> usize {
    let packets = t.publisher.packetize(payload.clone(), None);
    let frames = t.subscriber.push_many(&packets);
    frames.iter().map(|f| black_box(&f.payload).len()).sum()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: instructions <ours|theirs> <payload bytes> <frames>";
    let (which, size, frames) = match &args[1..] {
        [w, s, n] => (w.as_str(), s.parse::<usize>().expect(usage), n.parse::<usize>().expect(usage)),
        _ => panic!("{usage}"),
    };
    let payload: Vec<u8> = (0..size).map(|i| (i * 31 + 7) as u8).collect();
    let received: usize = match which {
        "ours" => {
            let mut o = Ours::new();
            (0..frames).map(|_| one_frame_ours(&mut o, &payload)).sum()
        }
        "theirs" => {
            // Their publisher's handle is 1, so their subscriber routes on 1 too.
            let mut t = Theirs { publisher: reference::Publisher::new(), subscriber: reference::Subscriber::new(1, 1) };
            let payload = Bytes::from(payload);
            (0..frames).map(|_| one_frame_theirs(&mut t, &payload)).sum()
        }
        _ => panic!("{usage}"),
    };
    assert_eq!(received, size * frames, "every frame must arrive whole");
    println!("{which} {size} B × {frames}: ok");
}
