use std::fmt;
use std::time::Instant;

use crate::packet::{Extensions, FrameMarker, Header, BASE_HEADER_LEN, MAX_HEADER_LEN};
use crate::time::Clock;

/// Splits frames into packets for one published track. Sequence and frame numbers start at 0 and
/// wrap; the timestamp is sampled once per frame so every packet of a frame carries the same one.
#[derive(Debug)]
pub struct Packetizer {
    handle: u16,
    mtu: usize,
    sequence: u16,
    frame_number: u16,
    clock: Clock,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PacketizeError {
    /// The header alone does not leave room for a payload byte.
    MtuTooShort { header_len: usize, mtu: usize },
}

impl fmt::Display for PacketizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PacketizeError::MtuTooShort { header_len, mtu } => {
                write!(f, "MTU {mtu} too short for a {header_len}-byte header")
            }
        }
    }
}

impl std::error::Error for PacketizeError {}

/// One frame's split, decided up front so the caller can size a single output buffer and then
/// write every packet straight into it.
#[derive(Clone, Copy, Debug)]
pub struct FramePlan {
    header: [u8; MAX_HEADER_LEN],
    header_len: usize,
    max_payload: usize,
    payload_len: usize,
    count: usize,
    first_sequence: u16,
    frame_number: u16,
    timestamp: u32,
}

impl Packetizer {
    pub fn new(handle: u16, mtu: usize, now: Instant) -> Self {
        Packetizer::with_clock(handle, mtu, Clock::random(now))
    }

    pub fn with_clock(handle: u16, mtu: usize, clock: Clock) -> Self {
        Packetizer { handle, mtu, sequence: 0, frame_number: 0, clock }
    }

    pub fn handle(&self) -> u16 {
        self.handle
    }

    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Next sequence number to be used.
    pub fn next_sequence(&self) -> u16 {
        self.sequence
    }

    /// Next frame number to be used.
    pub fn next_frame_number(&self) -> u16 {
        self.frame_number
    }

    /// Reserves the frame number and sequence numbers for a frame of `payload_len` bytes. An empty
    /// frame consumes a frame number and yields no packet; MtuTooShort consumes nothing.
    pub fn plan(&mut self, payload_len: usize, extensions: &Extensions, now: Instant) -> Result<FramePlan, PacketizeError> {
        let header = Header {
            marker: FrameMarker::Inter,
            handle: self.handle,
            sequence: 0,
            frame_number: self.frame_number,
            timestamp: 0,
            extensions: *extensions,
        };
        let header_len = header.serialized_len();
        if header_len >= self.mtu {
            return Err(PacketizeError::MtuTooShort { header_len, mtu: self.mtu });
        }
        let max_payload = self.mtu - header_len;
        let count = payload_len.div_ceil(max_payload);
        let timestamp = self.clock.at(now);

        let mut bytes = [0u8; MAX_HEADER_LEN];
        let written = Header { timestamp, ..header }.write_to(&mut bytes);
        debug_assert_eq!(written, Some(header_len));

        let plan = FramePlan {
            header: bytes,
            header_len,
            max_payload,
            payload_len,
            count,
            first_sequence: self.sequence,
            frame_number: self.frame_number,
            timestamp,
        };
        self.frame_number = self.frame_number.wrapping_add(1);
        // Only the low 16 bits of the count matter for a wrapping u16 counter.
        self.sequence = self.sequence.wrapping_add(count as u16);
        Ok(plan)
    }

    /// Packetizes into fresh vectors (tests and cold paths).
    pub fn packetize(&mut self, payload: &[u8], extensions: &Extensions, now: Instant) -> Result<Vec<Vec<u8>>, PacketizeError> {
        let plan = self.plan(payload.len(), extensions, now)?;
        Ok((0..plan.packet_count())
            .map(|i| {
                let mut out = vec![0u8; plan.packet_len(i)];
                plan.write_packet(i, payload, &mut out);
                out
            })
            .collect())
    }
}

impl FramePlan {
    #[inline]
    pub fn packet_count(&self) -> usize {
        self.count
    }

    #[inline]
    pub fn header_len(&self) -> usize {
        self.header_len
    }

    #[inline]
    pub fn frame_number(&self) -> u16 {
        self.frame_number
    }

    #[inline]
    pub fn timestamp(&self) -> u32 {
        self.timestamp
    }

    #[inline]
    pub fn payload_len(&self) -> usize {
        self.payload_len
    }

    /// Sum of all packet lengths.
    #[inline]
    pub fn total_len(&self) -> usize {
        self.payload_len + self.count * self.header_len
    }

    #[inline]
    fn chunk(&self, index: usize) -> (usize, usize) {
        let start = index.saturating_mul(self.max_payload).min(self.payload_len);
        let end = start.saturating_add(self.max_payload).min(self.payload_len);
        (start, end)
    }

    #[inline]
    pub fn packet_len(&self, index: usize) -> usize {
        let (start, end) = self.chunk(index);
        self.header_len + (end - start)
    }

    /// Writes packet `index` into the start of `out` and returns its length (0 if `out` is too
    /// small or `payload` is not the planned frame).
    pub fn write_packet(&self, index: usize, payload: &[u8], out: &mut [u8]) -> usize {
        let (start, end) = self.chunk(index);
        let len = self.header_len + (end - start);
        let (Some(dst), Some(src)) = (out.get_mut(..len), payload.get(start..end)) else {
            return 0;
        };
        if payload.len() != self.payload_len {
            return 0;
        }
        let (head, body) = dst.split_at_mut(self.header_len);
        head.copy_from_slice(&self.header[..self.header_len]);
        head[0] |= FrameMarker::for_packet(index, self.count).bits() << 3;
        let seq = self.first_sequence.wrapping_add(index as u16);
        head[4..6].copy_from_slice(&seq.to_be_bytes());
        body.copy_from_slice(src);
        len
    }

    /// Writes every packet back to back into `out` (at least `total_len()` bytes), calling
    /// `on_end` with the end offset of each packet relative to `out`.
    pub fn write_all(&self, payload: &[u8], out: &mut [u8], mut on_end: impl FnMut(usize)) -> usize {
        let mut at = 0;
        for i in 0..self.count {
            let Some(dst) = out.get_mut(at..) else { break };
            let n = self.write_packet(i, payload, dst);
            if n == 0 {
                break;
            }
            at += n;
            on_end(at);
        }
        at
    }
}

const _: () = assert!(BASE_HEADER_LEN <= MAX_HEADER_LEN);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{deserialize, E2eeExt};
    use std::time::Duration;

    fn packetizer(mtu: usize) -> (Packetizer, Instant) {
        let t0 = Instant::now();
        (Packetizer::with_clock(1, mtu, Clock::new(0x6b8f38ca, t0)), t0)
    }

    #[test]
    fn worked_example() {
        let (mut p, t0) = packetizer(100);
        let packets = p.packetize(&[0xbe; 300], &Extensions::NONE, t0).unwrap();
        let lens: Vec<_> = packets.iter().map(|p| p.len() - 12).collect();
        assert_eq!(lens, [88, 88, 88, 36]);
        assert_eq!(&packets[0][..12], &[0x10, 0, 0, 1, 0, 0, 0, 0, 0x6b, 0x8f, 0x38, 0xca]);
        let markers: Vec<_> = packets.iter().map(|b| deserialize(b).unwrap().header.marker).collect();
        assert_eq!(markers, [FrameMarker::Start, FrameMarker::Inter, FrameMarker::Inter, FrameMarker::Final]);
        assert_eq!(p.next_sequence(), 4);
        assert_eq!(p.next_frame_number(), 1);
    }

    #[test]
    fn extensions_and_timestamp_on_every_packet() {
        let (mut p, t0) = packetizer(60);
        let ext = Extensions { e2ee: Some(E2eeExt { key_index: 3, iv: [9; 12] }), user_timestamp: Some(0) };
        let packets = p.packetize(&[1; 50], &ext, t0 + Duration::from_millis(10)).unwrap();
        assert_eq!(packets.len(), 3); // 20 bytes per packet after a 40-byte header
        for b in &packets {
            let h = deserialize(b).unwrap().header;
            assert_eq!(h.extensions, ext);
            assert_eq!(h.timestamp, 0x6b8f38ca + 900);
            assert_eq!(h.frame_number, 0);
        }
    }

    #[test]
    fn empty_frame_and_mtu_errors() {
        let (mut p, t0) = packetizer(12);
        assert_eq!(
            p.packetize(&[1], &Extensions::NONE, t0),
            Err(PacketizeError::MtuTooShort { header_len: 12, mtu: 12 })
        );
        assert_eq!(p.next_frame_number(), 0);
        let (mut p, t0) = packetizer(100);
        assert!(p.packetize(&[], &Extensions::NONE, t0).unwrap().is_empty());
        assert_eq!(p.next_frame_number(), 1);
        assert_eq!(p.next_sequence(), 0);
    }

    #[test]
    fn write_all_matches_individual_packets() {
        let (mut a, t0) = packetizer(16000);
        let (mut b, _) = packetizer(16000);
        let payload: Vec<u8> = (0..40_000u32).map(|i| i as u8).collect();
        let plan = a.plan(payload.len(), &Extensions::NONE, t0).unwrap();
        let mut out = vec![0u8; plan.total_len()];
        let mut ends = Vec::new();
        assert_eq!(plan.write_all(&payload, &mut out, |e| ends.push(e)), out.len());
        let packets = b.packetize(&payload, &Extensions::NONE, t0).unwrap();
        assert_eq!(out, packets.concat());
        assert_eq!(ends, [16000, 32000, 40036]);
    }
}
