//! Seeded randomness for the property tests (no crates): the PRNG, the run's seed, random
//! headers and byte-level mutations of packets.

#![allow(dead_code)]

use livekit_datatrack_core::packet::{E2eeExt, Extensions, FrameMarker, Header};

/// xorshift64*
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    pub fn byte(&mut self) -> u8 {
        self.next() as u8
    }
}

/// The run's seed, printed so that a failure (whose output the harness shows) can be replayed.
pub fn seed() -> u64 {
    let s = std::env::var("DTP_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        let t = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
        0x9e37_79b9_7f4a_7c15 ^ t ^ (std::process::id() as u64) << 32
    }) | 1;
    eprintln!("DTP_SEED={s}");
    s
}

pub fn random_header(r: &mut Rng) -> Header {
    let markers = [FrameMarker::Inter, FrameMarker::Final, FrameMarker::Start, FrameMarker::Single];
    Header {
        marker: markers[r.below(4) as usize],
        handle: 1 + r.below(65535) as u16,
        sequence: r.next() as u16,
        frame_number: r.next() as u16,
        timestamp: r.next() as u32,
        extensions: Extensions {
            e2ee: (r.below(2) == 0).then(|| E2eeExt { key_index: r.byte(), iv: std::array::from_fn(|_| r.byte()) }),
            user_timestamp: (r.below(2) == 0).then(|| r.next()),
        },
    }
}

pub fn mutate(r: &mut Rng, p: &mut Vec<u8>) {
    for _ in 0..1 + r.below(3) {
        match r.below(6) {
            0 if !p.is_empty() => {
                let i = r.below(p.len() as u64) as usize;
                p[i] ^= 1 << r.below(8);
            }
            1 if !p.is_empty() => {
                let i = r.below(p.len() as u64) as usize;
                p[i] = r.byte();
            }
            2 => p.truncate(r.below(p.len() as u64 + 1) as usize),
            3 => (0..r.below(8)).for_each(|_| p.push(r.byte())),
            4 if p.len() >= 14 => {
                let l = if r.below(2) == 0 { r.below(8) as u16 } else { r.next() as u16 };
                p[12..14].copy_from_slice(&l.to_be_bytes());
            }
            _ if !p.is_empty() => p[0] = r.byte(),
            _ => {}
        }
    }
}
