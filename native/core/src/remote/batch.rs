//! Many packets in one call: the batch form of `RemoteManager::handle_packet`, with the frames
//! it completes gathered back to back so a caller crossing a language boundary copies them out
//! once.

use super::manager::RemoteManager;
use crate::local::frame_ranges;
use crate::packet::Extensions;

/// Frames completed by a batch of packets: frame `i` is `data[ends[i - 1] .. ends[i]]` (from 0
/// for the first) of track `track_ids[i]`. Reused across calls to keep its allocations.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ReceivedFrames {
    pub data: Vec<u8>,
    pub ends: Vec<u32>,
    pub track_ids: Vec<u32>,
    /// `(frame index, extensions)` of the frames that carry any, in order.
    pub extensions: Vec<(usize, Extensions)>,
}

impl ReceivedFrames {
    pub fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
        self.track_ids.clear();
        self.extensions.clear();
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }
}

impl RemoteManager {
    /// `handle_packet` for every packet of `data`/`ends` (the layout of a transmit batch),
    /// appending completed frames to `out`. Returns false, handling nothing, when `ends` is out
    /// of order or points past `data`; bad packets are only counted, as with `handle_packet`.
    /// Frame ends are u32, so `out.data` stays below 4 GiB: packets after that are handled
    /// by a later call (the return is the number of packets handled).
    pub fn handle_packets(&mut self, data: &[u8], ends: &[u32], out: &mut ReceivedFrames) -> Option<usize> {
        if frame_ranges(data, ends).any(|p| p.is_none()) {
            return None;
        }
        for (handled, packet) in frame_ranges(data, ends).flatten().enumerate() {
            if out.data.len() + packet.len() > u32::MAX as usize {
                return Some(handled);
            }
            let Some(outcome) = self.handle_packet(packet) else { continue };
            let (track_id, frame) = (outcome.track_id, outcome.frame);
            if out.data.len() + frame.payload.len() > u32::MAX as usize {
                // Only a frame near 4 GiB gets here; the frame is lost rather than mis-framed.
                continue;
            }
            if !frame.extensions.is_empty() {
                out.extensions.push((out.ends.len(), frame.extensions));
            }
            out.data.extend_from_slice(frame.payload.as_slice());
            out.ends.push(out.data.len() as u32);
            out.track_ids.push(track_id);
            if let super::Payload::Owned(buf) = frame.payload {
                self.reuse_buffer(track_id, buf);
            }
        }
        Some(ends.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{serialize, FrameMarker, Header};
    use crate::remote::RemoteTrackDescriptor;

    fn packet(marker: FrameMarker, sequence: u16, frame_number: u16, payload: &[u8], user_timestamp: Option<u64>) -> Vec<u8> {
        let extensions = Extensions { e2ee: None, user_timestamp };
        serialize(&Header { marker, handle: 9, sequence, frame_number, timestamp: 0, extensions }, payload)
    }

    #[test]
    fn gathers_completed_frames_of_a_batch() {
        let mut m = RemoteManager::new();
        let desc = RemoteTrackDescriptor { sid: "TR_a".into(), pub_handle: 1, name: "a".into(), uses_e2ee: false };
        let id = m.update_participant("p", &[desc]).published[0].0;
        m.subscribe(id, 1).unwrap();
        m.set_subscriber_handles([(9, "TR_a".to_string())]);
        let packets = [
            packet(FrameMarker::Single, 0, 0, b"one", None),
            b"garbage".to_vec(),
            packet(FrameMarker::Start, 1, 1, b"tw", Some(5)),
            packet(FrameMarker::Final, 2, 1, b"o", None),
        ];
        let (mut data, mut ends) = (Vec::new(), Vec::new());
        for p in &packets {
            data.extend_from_slice(p);
            ends.push(data.len() as u32);
        }
        let mut out = ReceivedFrames::default();
        assert_eq!(m.handle_packets(&data, &ends, &mut out), Some(4));
        assert_eq!(out.data, b"onetwo");
        assert_eq!(out.ends, [3, 6]);
        assert_eq!(out.track_ids, [id, id]);
        assert_eq!(out.extensions, [(1, Extensions { e2ee: None, user_timestamp: Some(5) })]);
        assert_eq!(m.stats().malformed.iter().sum::<u64>(), 1);
        assert_eq!(m.handle_packets(&data, &[5, 4], &mut out), None);
    }
}
