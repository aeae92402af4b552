//! Randomized robustness and round-trip properties of the codec and the receive path, with a
//! seeded PRNG (no crates). Set DTP_SEED to replay a run.

mod common;

use std::time::Instant;

use common::random::{mutate, random_header, seed, Rng};

use livekit_datatrack_core::local::{LocalManager, LocalManagerOptions, Packetizer};
use livekit_datatrack_core::packet::{deserialize, forward, serialize, DeserializeError, Extensions, Header};
use livekit_datatrack_core::remote::{Depacketizer, RemoteManager, RemoteTrackDescriptor};

#[test]
fn serialize_deserialize_forward_round_trip() {
    let s = seed();
    let mut r = Rng(s);
    for _ in 0..20_000 {
        let h = random_header(&mut r);
        let payload: Vec<u8> = (0..r.below(64)).map(|_| r.byte()).collect();
        let bytes = serialize(&h, &payload);
        let back = deserialize(&bytes).unwrap_or_else(|e| panic!("seed {s}: {e} for {h:?}"));
        assert_eq!(back.header, h, "seed {s}");
        assert_eq!(back.payload, &payload[..], "seed {s}");
        // our writer's output is canonical for the SFU: forwarding only rewrites the handle
        let new_handle = 1 + r.below(65535) as u16;
        let fwd = forward(&bytes, new_handle).unwrap();
        assert_eq!(&fwd[4..], &bytes[4..], "seed {s}");
        assert_eq!(deserialize(&fwd).unwrap().header, Header { handle: new_handle, ..h }, "seed {s}");
    }
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let s = seed();
    let mut r = Rng(s);
    let mut pool: Vec<Vec<u8>> = (0..64)
        .map(|_| {
            let mut h = random_header(&mut r);
            h.handle = 1 + r.below(3) as u16;
            h.sequence = r.below(8) as u16;
            h.frame_number = r.below(4) as u16;
            serialize(&h, &(0..r.below(40)).map(|_| r.byte()).collect::<Vec<_>>())
        })
        .collect();
    pool.push(vec![]);
    let mut remote = RemoteManager::new();
    let changes = remote.update_participant(
        "p",
        &(1..=3)
            .map(|h| RemoteTrackDescriptor { sid: format!("TR_{h}"), pub_handle: h, name: format!("t{h}"), uses_e2ee: false })
            .collect::<Vec<_>>(),
    );
    for (id, _) in &changes.published {
        remote.subscribe(*id, 1 + (*id as usize % 3)).unwrap();
    }
    remote.set_subscriber_handles((1..=3u16).map(|h| (h, format!("TR_{h}"))));
    let mut depacketizer = Depacketizer::new(2);
    let (mut ok, mut rejected) = (0u64, 0u64);
    const N: u64 = 300_000;
    for _ in 0..N {
        let mut p = if r.below(4) == 0 {
            (0..r.below(48)).map(|_| r.byte()).collect()
        } else {
            pool[r.below(pool.len() as u64) as usize].clone()
        };
        mutate(&mut r, &mut p);
        match deserialize(&p) {
            Ok(packet) => {
                ok += 1;
                assert!(packet.header.handle != 0);
                assert!(packet.payload.len() <= p.len());
                depacketizer.push(&packet);
                // a valid packet re-encodes to something that parses to the same header
                let again = serialize(&packet.header, packet.payload);
                assert_eq!(deserialize(&again).unwrap().header, packet.header, "seed {s}");
            }
            Err(e) => {
                rejected += 1;
                assert!(e.kind() < DeserializeError::KINDS);
            }
        }
        let _ = forward(&p, 1 + r.below(65535) as u16);
        let _ = remote.handle_packet(&p);
    }
    let stats = remote.stats();
    let routed: u64 = changes.published.iter().map(|(id, _)| remote.track_stats(*id).unwrap().packets_received).sum();
    assert_eq!(stats.malformed.iter().sum::<u64>() + stats.unknown_handle + routed, N, "seed {s}");
    assert_eq!(stats.malformed.iter().sum::<u64>(), rejected, "seed {s}");
    assert!(ok > N / 10 && rejected > N / 10, "seed {s}: ok {ok} rejected {rejected}");
}

#[test]
fn packetizer_output_reassembles_under_random_sizes() {
    let s = seed();
    let mut r = Rng(s);
    let now = Instant::now();
    for _ in 0..300 {
        let mtu = 41 + r.below(2000) as usize;
        let mut p = Packetizer::new(7, mtu, now);
        let mut d = Depacketizer::new(1);
        for _ in 0..5 {
            let frame: Vec<u8> = (0..r.below(20_000)).map(|_| r.byte()).collect();
            let ext = Extensions { e2ee: None, user_timestamp: (r.below(2) == 0).then(|| r.next()) };
            let packets = p.packetize(&frame, &ext, now).unwrap();
            if frame.is_empty() {
                assert!(packets.is_empty());
                continue;
            }
            if packets.len() > 128 {
                continue; // beyond what a receiver reassembles
            }
            let mut out = None;
            for b in &packets {
                assert!(b.len() <= mtu, "seed {s}");
                if let Some(f) = d.push(&deserialize(b).unwrap()).frame {
                    out = Some((f.payload.into_vec(), f.extensions));
                }
            }
            assert_eq!(out, Some((frame, ext)), "seed {s} mtu {mtu}");
        }
    }
}

#[test]
fn local_manager_batches_match_packetizer_semantics() {
    let s = seed();
    let mut r = Rng(s);
    let mut m = LocalManager::new(LocalManagerOptions { mtu: 1200, queue_capacity: 4 }).unwrap();
    let handles: Vec<u16> = (0..3)
        .map(|i| {
            let h = m.allocate_handle().unwrap();
            m.begin_publish(h, &format!("t{i}"), false).unwrap();
            m.publish_succeeded(h, &format!("TR_{i}"), Instant::now()).unwrap();
            h
        })
        .collect();
    let mut remote = RemoteManager::new();
    let ch = remote.update_participant(
        "me",
        &handles
            .iter()
            .map(|&h| RemoteTrackDescriptor { sid: format!("TR_{}", h - 1), pub_handle: h, name: String::new(), uses_e2ee: false })
            .collect::<Vec<_>>(),
    );
    for (id, _) in &ch.published {
        remote.subscribe(*id, 1).unwrap();
    }
    remote.set_subscriber_handles(handles.iter().map(|&h| (h, format!("TR_{}", h - 1))));
    let mut sent = 0u64;
    let mut received = 0u64;
    for _ in 0..2_000 {
        let h = handles[r.below(3) as usize];
        let len = 1 + r.below(5000) as usize;
        if m.push_frame(h, &vec![h as u8; len], &Extensions::NONE, r.below(2) == 0).unwrap()
            != livekit_datatrack_core::local::PushResult::Full
        {
            sent += 1;
        }
        if r.below(3) == 0 {
            while let Some((data, ends, _)) = m.poll_transmit(r.below(10_000) as usize, Instant::now()) {
                let mut start = 0usize;
                for &end in &ends {
                    if let Some(out) = remote.handle_packet(&data[start..end as usize]) {
                        assert!(out.frame.payload.as_slice().iter().all(|&b| b == out.frame.payload.as_slice()[0]));
                        received += 1;
                    }
                    start = end as usize;
                }
            }
        }
    }
    while let Some((data, ends, _)) = m.poll_transmit(usize::MAX, Instant::now()) {
        let mut start = 0usize;
        for &end in &ends {
            received += remote.handle_packet(&data[start..end as usize]).is_some() as u64;
            start = end as usize;
        }
    }
    let dropped: u64 = handles.iter().map(|&h| m.stats(h).unwrap().frames_dropped_queue_full).sum();
    assert_eq!(received + dropped, sent, "seed {s}");
}
