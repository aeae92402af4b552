//! Frame reassembly for one subscribed track.
//!
//! Payloads of a partial frame are appended to one growing buffer as they arrive, with a small
//! index of (sequence, offset, length). In the usual case (packets in order, no duplicates) that
//! buffer already is the frame when the Final packet arrives and is handed out without another
//! copy; otherwise the frame is gathered from the index.

use std::collections::VecDeque;

use crate::packet::{Extensions, FrameMarker, PacketRef};

/// Packets buffered per frame; the next Inter/Final packet discards the frame (BufferFull).
pub const MAX_BUFFER_PACKETS: usize = 128;
pub const DEFAULT_MAX_PARTIAL_FRAMES: usize = 1;
/// Upper clamp for the partial-frame capacity: each partial can hold up to 128 packets, so this
/// bounds the memory a misbehaving sender can pin.
pub const MAX_PARTIAL_FRAMES: usize = 256;
/// Frame-size hint cap for pre-sizing the reassembly buffer.
const MAX_SIZE_HINT: usize = 4 << 20;
/// Bytes left behind by replaced duplicates before the buffer is compacted.
const MIN_COMPACT_WASTE: usize = 1 << 20;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropReason {
    /// Evicted by a Start or Single packet of `new_frame_number` while at capacity.
    Interrupted { new_frame_number: u16 },
    /// Inter/Final packet for a frame that is not being assembled.
    UnknownFrame,
    /// The frame already held MAX_BUFFER_PACKETS payloads.
    BufferFull,
    /// Final arrived with sequences missing between Start and Final.
    Incomplete { received: u32, expected: u32 },
}

impl DropReason {
    pub fn as_str(&self) -> &'static str {
        match self {
            DropReason::Interrupted { .. } => "interrupted",
            DropReason::UnknownFrame => "unknownFrame",
            DropReason::BufferFull => "bufferFull",
            DropReason::Incomplete { .. } => "incomplete",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameDrop {
    pub frame_number: u16,
    pub reason: DropReason,
}

/// A frame's bytes: a Single packet's payload is still the caller's packet buffer.
#[derive(Debug, PartialEq, Eq)]
pub enum Payload<'a> {
    Borrowed(&'a [u8]),
    Owned(Vec<u8>),
}

impl Payload<'_> {
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Payload::Borrowed(b) => b,
            Payload::Owned(v) => v,
        }
    }

    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn into_vec(self) -> Vec<u8> {
        match self {
            Payload::Borrowed(b) => b.to_vec(),
            Payload::Owned(v) => v,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    pub frame_number: u16,
    pub payload: Payload<'a>,
    /// From the Start (or Single) packet.
    pub extensions: Extensions,
}

/// What one packet caused: at most one completed frame and at most one reported drop.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PushOutcome<'a> {
    pub frame: Option<Frame<'a>>,
    pub drop: Option<FrameDrop>,
}

#[derive(Clone, Copy, Debug)]
struct Part {
    sequence: u16,
    offset: usize,
    len: usize,
}

/// Ok: (frame bytes, index to recycle, extensions); Err: (drop, buffers to recycle).
type Finalized = Result<(Vec<u8>, Vec<Part>, Extensions), (FrameDrop, Vec<u8>, Vec<Part>)>;

#[derive(Debug)]
struct PartialFrame {
    frame_number: u16,
    start_sequence: u16,
    extensions: Extensions,
    data: Vec<u8>,
    parts: Vec<Part>,
    /// parts index + 1 for sequence start+k, k < 128 (0 = absent).
    slots: [u8; MAX_BUFFER_PACKETS],
    /// Parts whose sequence lies 128 or more after the start (never part of a complete frame).
    far: usize,
    /// Part i has sequence start+i.
    ordered: bool,
    /// `data` is exactly the parts' bytes in index order.
    contiguous: bool,
    wasted: usize,
}

impl PartialFrame {
    fn insert(&mut self, sequence: u16, payload: &[u8]) {
        let k = sequence.wrapping_sub(self.start_sequence) as usize;
        let existing = if k < MAX_BUFFER_PACKETS {
            self.slots[k].checked_sub(1).map(usize::from)
        } else if self.far > 0 {
            self.parts.iter().position(|p| p.sequence == sequence)
        } else {
            None
        };
        if let Some(i) = existing {
            self.replace(i, payload);
            return;
        }
        if k != self.parts.len() {
            self.ordered = false;
        }
        let offset = self.data.len();
        self.data.extend_from_slice(payload);
        self.parts.push(Part { sequence, offset, len: payload.len() });
        if k < MAX_BUFFER_PACKETS {
            // parts.len() <= MAX_BUFFER_PACKETS (checked by the caller), so it fits in a u8.
            self.slots[k] = self.parts.len() as u8;
        } else {
            self.far += 1;
        }
    }

    /// A duplicate sequence: the last payload wins.
    fn replace(&mut self, i: usize, payload: &[u8]) {
        let Some(part) = self.parts.get_mut(i) else { return };
        if payload.len() <= part.len {
            if let Some(dst) = self.data.get_mut(part.offset..part.offset + payload.len()) {
                dst.copy_from_slice(payload);
            }
            if payload.len() != part.len {
                self.contiguous = false;
                self.wasted += part.len - payload.len();
            }
        } else {
            self.contiguous = false;
            self.wasted += part.len;
            part.offset = self.data.len();
            self.data.extend_from_slice(payload);
        }
        part.len = payload.len();
        if self.wasted > MIN_COMPACT_WASTE.max(self.data.len() / 2) {
            self.compact();
        }
    }

    fn compact(&mut self) {
        let live: usize = self.parts.iter().map(|p| p.len).sum();
        let mut data = Vec::with_capacity(live);
        for part in &mut self.parts {
            let src = self.data.get(part.offset..part.offset + part.len).unwrap_or(&[]);
            part.offset = data.len();
            data.extend_from_slice(src);
        }
        self.data = data;
        self.contiguous = true;
        self.wasted = 0;
    }

    /// The frame from start to `end`, or Incomplete; both hand back the buffers for reuse.
    fn finalize(mut self, end: u16) -> Finalized {
        let expected = end.wrapping_sub(self.start_sequence) as usize + 1;
        let received = self.parts.len();
        let incomplete = FrameDrop {
            frame_number: self.frame_number,
            reason: DropReason::Incomplete { received: received as u32, expected: expected as u32 },
        };
        if expected > received {
            return Err((incomplete, self.data, self.parts));
        }
        if self.ordered && self.contiguous && expected == received {
            return Ok((self.data, self.parts, self.extensions));
        }
        let mut total = 0;
        for k in 0..expected {
            match self.slots[k].checked_sub(1).and_then(|i| self.parts.get(usize::from(i))) {
                Some(part) => total += part.len,
                None => return Err((incomplete, self.data, self.parts)),
            }
        }
        let mut frame = Vec::with_capacity(total);
        for k in 0..expected {
            if let Some(part) = self.slots[k].checked_sub(1).and_then(|i| self.parts.get(usize::from(i))) {
                frame.extend_from_slice(self.data.get(part.offset..part.offset + part.len).unwrap_or(&[]));
            }
        }
        std::mem::swap(&mut frame, &mut self.data);
        Ok((self.data, self.parts, self.extensions))
    }
}

/// Reassembles packets into frames, following the reference algorithm: Start opens a frame,
/// Inter adds to it in any order, Final closes it and must arrive last, Single is a frame by
/// itself; no timers.
#[derive(Debug)]
pub struct Depacketizer {
    /// Partial frames in insertion order (eviction takes the front).
    partials: VecDeque<PartialFrame>,
    capacity: usize,
    /// Size of the last reassembled frame, to pre-size the next one's buffer.
    size_hint: usize,
    spare_parts: Vec<Vec<Part>>,
    spare_data: Option<Vec<u8>>,
}

impl Default for Depacketizer {
    fn default() -> Self {
        Depacketizer::new(DEFAULT_MAX_PARTIAL_FRAMES)
    }
}

impl Depacketizer {
    /// `max_partial_frames` is clamped to 1..=MAX_PARTIAL_FRAMES.
    pub fn new(max_partial_frames: usize) -> Self {
        Depacketizer {
            partials: VecDeque::new(),
            capacity: max_partial_frames.clamp(1, MAX_PARTIAL_FRAMES),
            size_hint: 0,
            spare_parts: Vec::new(),
            spare_data: None,
        }
    }

    pub fn max_partial_frames(&self) -> usize {
        self.capacity
    }

    /// Changes the capacity; partial frames beyond it are discarded at once (oldest first) and
    /// their count is returned.
    pub fn set_max_partial_frames(&mut self, max_partial_frames: usize) -> usize {
        self.capacity = max_partial_frames.clamp(1, MAX_PARTIAL_FRAMES);
        let mut evicted = 0;
        while self.partials.len() > self.capacity {
            if let Some(p) = self.partials.pop_front() {
                self.stash(p.data, p.parts);
                evicted += 1;
            }
        }
        evicted
    }

    /// Gives back the buffer of a frame returned as `Payload::Owned` once its bytes have been
    /// copied out, so the next frame is assembled in memory that is already mapped.
    pub fn reuse_buffer(&mut self, mut buf: Vec<u8>) {
        let larger = self.spare_data.as_ref().is_none_or(|spare| spare.capacity() < buf.capacity());
        if larger && buf.capacity() > 0 && buf.capacity() <= MAX_SIZE_HINT {
            buf.clear();
            self.spare_data = Some(buf);
        }
    }

    /// Frames currently being assembled.
    pub fn partial_frames(&self) -> usize {
        self.partials.len()
    }

    pub fn push<'a>(&mut self, packet: &PacketRef<'a>) -> PushOutcome<'a> {
        let h = &packet.header;
        match h.marker {
            FrameMarker::Single => {
                let drop = if self.partials.len() >= self.capacity { self.evict_oldest(h.frame_number) } else { None };
                PushOutcome {
                    frame: Some(Frame {
                        frame_number: h.frame_number,
                        payload: Payload::Borrowed(packet.payload),
                        extensions: h.extensions,
                    }),
                    drop,
                }
            }
            FrameMarker::Start => {
                let mut drop = None;
                while self.partials.len() >= self.capacity {
                    let evicted = self.evict_oldest(h.frame_number);
                    drop = drop.or(evicted);
                }
                let partial = self.open(h.frame_number, h.sequence, h.extensions, packet.payload);
                // An in-flight frame with the same number is replaced in place, keeping its age.
                match self.partials.iter_mut().find(|p| p.frame_number == h.frame_number) {
                    Some(slot) => {
                        let old = std::mem::replace(slot, partial);
                        self.stash(old.data, old.parts);
                    }
                    None => self.partials.push_back(partial),
                }
                PushOutcome { frame: None, drop }
            }
            FrameMarker::Inter | FrameMarker::Final => {
                let dropped = |reason| PushOutcome { frame: None, drop: Some(FrameDrop { frame_number: h.frame_number, reason }) };
                let Some(i) = self.partials.iter().position(|p| p.frame_number == h.frame_number) else {
                    return dropped(DropReason::UnknownFrame);
                };
                if self.partials[i].parts.len() >= MAX_BUFFER_PACKETS {
                    if let Some(p) = self.partials.remove(i) {
                        self.stash(p.data, p.parts);
                    }
                    return dropped(DropReason::BufferFull);
                }
                self.partials[i].insert(h.sequence, packet.payload);
                if h.marker == FrameMarker::Inter {
                    return PushOutcome::default();
                }
                let Some(partial) = self.partials.remove(i) else { return PushOutcome::default() };
                let frame_number = partial.frame_number;
                match partial.finalize(h.sequence) {
                    Ok((data, parts, extensions)) => {
                        self.size_hint = data.len().min(MAX_SIZE_HINT);
                        self.stash(Vec::new(), parts);
                        PushOutcome { frame: Some(Frame { frame_number, payload: Payload::Owned(data), extensions }), drop: None }
                    }
                    Err((drop, data, parts)) => {
                        self.stash(data, parts);
                        PushOutcome { frame: None, drop: Some(drop) }
                    }
                }
            }
        }
    }

    fn open(&mut self, frame_number: u16, start_sequence: u16, extensions: Extensions, payload: &[u8]) -> PartialFrame {
        let want = self.size_hint.max(payload.len());
        let mut data = match self.spare_data.take() {
            Some(buf) if buf.capacity() >= want => buf,
            _ => Vec::with_capacity(want),
        };
        data.extend_from_slice(payload);
        let mut parts = self.spare_parts.pop().unwrap_or_else(|| Vec::with_capacity(MAX_BUFFER_PACKETS));
        parts.push(Part { sequence: start_sequence, offset: 0, len: payload.len() });
        let mut slots = [0u8; MAX_BUFFER_PACKETS];
        slots[0] = 1;
        PartialFrame {
            frame_number,
            start_sequence,
            extensions,
            data,
            parts,
            slots,
            far: 0,
            ordered: true,
            contiguous: true,
            wasted: 0,
        }
    }

    fn evict_oldest(&mut self, new_frame_number: u16) -> Option<FrameDrop> {
        let p = self.partials.pop_front()?;
        let drop = FrameDrop { frame_number: p.frame_number, reason: DropReason::Interrupted { new_frame_number } };
        self.stash(p.data, p.parts);
        Some(drop)
    }

    fn stash(&mut self, mut data: Vec<u8>, mut parts: Vec<Part>) {
        if self.spare_parts.len() < 2 {
            parts.clear();
            self.spare_parts.push(parts);
        }
        if data.capacity() > 0 && data.capacity() <= MAX_SIZE_HINT {
            data.clear();
            self.spare_data = Some(data);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{Header, E2eeExt};

    fn pkt(marker: FrameMarker, sequence: u16, frame_number: u16, payload: &[u8]) -> PacketRef<'_> {
        PacketRef {
            header: Header { marker, handle: 1, sequence, frame_number, timestamp: 0, extensions: Extensions::NONE },
            payload,
        }
    }

    use FrameMarker::*;

    #[test]
    fn in_order_frame_is_handed_over() {
        let mut d = Depacketizer::default();
        assert_eq!(d.push(&pkt(Start, 65534, 9, &[1])), PushOutcome::default());
        assert_eq!(d.push(&pkt(Inter, 65535, 9, &[2])), PushOutcome::default());
        let out = d.push(&pkt(Final, 0, 9, &[3]));
        assert_eq!(out.frame.unwrap().payload.as_slice(), &[1, 2, 3]);
        assert_eq!(d.partial_frames(), 0);
    }

    #[test]
    fn extensions_come_from_start() {
        let mut d = Depacketizer::default();
        let ext = Extensions { e2ee: Some(E2eeExt { key_index: 1, iv: [7; 12] }), user_timestamp: Some(5) };
        let mut start = pkt(Start, 0, 1, &[1]);
        start.header.extensions = ext;
        d.push(&start);
        let mut fin = pkt(Final, 1, 1, &[2]);
        fin.header.extensions.user_timestamp = Some(99);
        assert_eq!(d.push(&fin).frame.unwrap().extensions, ext);
    }

    #[test]
    fn duplicates_of_other_lengths_and_compaction() {
        let mut d = Depacketizer::default();
        d.push(&pkt(Start, 10, 1, &[1, 1]));
        d.push(&pkt(Inter, 11, 1, &[2, 2, 2]));
        d.push(&pkt(Inter, 11, 1, &[3]));
        d.push(&pkt(Inter, 12, 1, &[4; 5]));
        let big = vec![9u8; 700_000];
        for _ in 0..4 {
            d.push(&pkt(Inter, 12, 1, &big));
        }
        d.push(&pkt(Inter, 12, 1, &[5, 5]));
        let out = d.push(&pkt(Final, 13, 1, &[6]));
        assert_eq!(out.frame.unwrap().payload.as_slice(), &[1, 1, 3, 5, 5, 6]);
    }

    #[test]
    fn far_sequences_are_counted_but_ignored() {
        let mut d = Depacketizer::default();
        d.push(&pkt(Start, 0, 1, &[1]));
        d.push(&pkt(Inter, 500, 1, &[8]));
        d.push(&pkt(Inter, 500, 1, &[9]));
        d.push(&pkt(Inter, 1, 1, &[2]));
        let out = d.push(&pkt(Final, 2, 1, &[3]));
        assert_eq!(out.frame.unwrap().payload.as_slice(), &[1, 2, 3]);
        d.push(&pkt(Start, 0, 2, &[1]));
        d.push(&pkt(Inter, 500, 2, &[8]));
        let out = d.push(&pkt(Final, 2, 2, &[3]));
        assert_eq!(
            out.drop,
            Some(FrameDrop { frame_number: 2, reason: DropReason::Incomplete { received: 3, expected: 3 } })
        );
    }

    #[test]
    fn start_at_capacity_two_replaces_same_number_in_place() {
        let mut d = Depacketizer::new(2);
        d.push(&pkt(Start, 0, 1, &[1]));
        d.push(&pkt(Start, 10, 2, &[2]));
        // capacity reached: evicts frame 1 (oldest), then replaces nothing, appends 3
        let out = d.push(&pkt(Start, 20, 3, &[3]));
        assert_eq!(out.drop, Some(FrameDrop { frame_number: 1, reason: DropReason::Interrupted { new_frame_number: 3 } }));
        // below capacity after Final of 2; a restart of 3 replaces it silently
        assert!(d.push(&pkt(Final, 11, 2, &[2])).frame.is_some());
        assert_eq!(d.push(&pkt(Start, 30, 3, &[7])).drop, None);
        assert_eq!(d.push(&pkt(Final, 31, 3, &[8])).frame.unwrap().payload.as_slice(), &[7, 8]);
    }

    #[test]
    fn shrinking_capacity_evicts() {
        let mut d = Depacketizer::new(0);
        assert_eq!(d.max_partial_frames(), 1);
        d.set_max_partial_frames(3);
        for f in 0..3 {
            d.push(&pkt(Start, f * 10, f, &[1]));
        }
        assert_eq!(d.set_max_partial_frames(1), 2);
        assert_eq!(d.partial_frames(), 1);
        assert_eq!(d.push(&pkt(Final, 21, 2, &[2])).frame.unwrap().payload.as_slice(), &[1, 2]);
    }

    #[test]
    fn max_frame_and_buffer_full() {
        let mut d = Depacketizer::default();
        d.push(&pkt(Start, 0, 3, &[0]));
        for s in 1..127 {
            d.push(&pkt(Inter, s, 3, &[s as u8]));
        }
        let f = d.push(&pkt(Final, 127, 3, &[127])).frame.unwrap();
        assert_eq!(f.payload.len(), 128);
        d.push(&pkt(Start, 0, 4, &[0]));
        for s in 1..128 {
            d.push(&pkt(Inter, s, 4, &[0]));
        }
        let out = d.push(&pkt(Final, 128, 4, &[0]));
        assert_eq!(out.drop, Some(FrameDrop { frame_number: 4, reason: DropReason::BufferFull }));
        assert_eq!(d.partial_frames(), 0);
    }
}
