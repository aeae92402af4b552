use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::depacketizer::{Depacketizer, DropReason, Frame, FrameDrop};
use super::publications::{PublicationChanges, Publications, RemoteTrackDescriptor};
use crate::packet::{deserialize, DeserializeError};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RemoteTrackStats {
    pub frames_received: u64,
    /// Wire bytes of the packets routed to the track (headers included).
    pub bytes_received: u64,
    pub packets_received: u64,
    pub dropped_interrupted: u64,
    pub dropped_unknown_frame: u64,
    pub dropped_buffer_full: u64,
    pub dropped_incomplete: u64,
}

impl RemoteTrackStats {
    fn count_drop(&mut self, drop: &FrameDrop) {
        match drop.reason {
            DropReason::Interrupted { .. } => self.dropped_interrupted += 1,
            DropReason::UnknownFrame => self.dropped_unknown_frame += 1,
            DropReason::BufferFull => self.dropped_buffer_full += 1,
            DropReason::Incomplete { .. } => self.dropped_incomplete += 1,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RemoteManagerStats {
    /// Packets that failed to parse, indexed by `DeserializeError::kind()`.
    pub malformed: [u64; DeserializeError::KINDS],
    /// Parsed packets whose handle routes to no subscribed track.
    pub unknown_handle: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RemoteManagerError {
    UnknownTrack(u32),
}

impl fmt::Display for RemoteManagerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RemoteManagerError::UnknownTrack(id) => write!(f, "no remote track with id {id}"),
        }
    }
}

impl std::error::Error for RemoteManagerError {}

#[derive(Debug, Default)]
struct TrackState {
    stats: RemoteTrackStats,
    /// Present while subscribed.
    pipeline: Option<Depacketizer>,
}

/// A completed frame and the track it belongs to.
#[derive(Debug, PartialEq, Eq)]
pub struct PacketOutcome<'a> {
    pub track_id: u32,
    pub frame: Frame<'a>,
}

/// Subscriber-side state of one room connection: remote publications, the SFU's subscriber
/// handle map, and one reassembly pipeline per subscribed track.
#[derive(Debug, Default)]
pub struct RemoteManager {
    publications: Publications,
    tracks: BTreeMap<u32, TrackState>,
    /// The SFU's last full snapshot: subscriber handle → track SID. Resolved through the SID so
    /// that a handle may arrive before the publication it names.
    handles: BTreeMap<u16, String>,
    /// handle → track id for subscribed tracks, sorted by handle; rebuilt on every change.
    routes: Vec<(u16, u32)>,
    stats: RemoteManagerStats,
}

impl RemoteManager {
    pub fn new() -> Self {
        RemoteManager::default()
    }

    pub fn update_participant(&mut self, identity: &str, tracks: &[RemoteTrackDescriptor]) -> PublicationChanges {
        self.update_participant_with_final_stats(identity, tracks).0
    }

    pub fn remove_participant(&mut self, identity: &str) -> PublicationChanges {
        self.remove_participant_with_final_stats(identity).0
    }

    /// `update_participant`, also returning the counters of each track it unpublished.
    pub fn update_participant_with_final_stats(
        &mut self,
        identity: &str,
        tracks: &[RemoteTrackDescriptor],
    ) -> (PublicationChanges, Vec<(u32, RemoteTrackStats)>) {
        let changes = self.publications.update(identity, tracks);
        let last = self.apply(&changes);
        (changes, last)
    }

    /// `remove_participant`, also returning the counters of each track it unpublished.
    pub fn remove_participant_with_final_stats(&mut self, identity: &str) -> (PublicationChanges, Vec<(u32, RemoteTrackStats)>) {
        let changes = self.publications.remove_identity(identity);
        let last = self.apply(&changes);
        (changes, last)
    }

    /// The identity and descriptor of a known publication.
    pub fn publication(&self, track_id: u32) -> Option<(&str, &RemoteTrackDescriptor)> {
        self.publications.get(track_id).map(|p| (p.identity.as_str(), &p.desc))
    }

    fn apply(&mut self, changes: &PublicationChanges) -> Vec<(u32, RemoteTrackStats)> {
        let mut last = Vec::new();
        if changes.is_empty() {
            return last;
        }
        for (id, _) in &changes.unpublished {
            if let Some(track) = self.tracks.remove(id) {
                last.push((*id, track.stats));
            }
        }
        for (id, _) in &changes.published {
            self.tracks.entry(*id).or_default();
        }
        self.rebuild_routes();
        last
    }

    pub fn subscribe(&mut self, track_id: u32, max_partial_frames: usize) -> Result<(), RemoteManagerError> {
        let track = self.tracks.get_mut(&track_id).ok_or(RemoteManagerError::UnknownTrack(track_id))?;
        match &mut track.pipeline {
            Some(pipeline) => {
                let evicted = pipeline.set_max_partial_frames(max_partial_frames);
                track.stats.dropped_interrupted += evicted as u64;
            }
            None => {
                track.pipeline = Some(Depacketizer::new(max_partial_frames));
                self.rebuild_routes();
            }
        }
        Ok(())
    }

    /// Drops the pipeline; packets under the track's handle are unrouted from now on. No-op when
    /// not subscribed. The handle map stays the SFU's word: livekit-server may fold an
    /// unsubscribe and the next subscribe into one and keep the handle without a new map.
    pub fn unsubscribe(&mut self, track_id: u32) {
        let Some(track) = self.tracks.get_mut(&track_id) else { return };
        if track.pipeline.take().is_none() {
            return;
        }
        self.rebuild_routes();
    }

    /// Changes the reassembly capacity of a subscribed track (no-op when not subscribed).
    /// Partial frames beyond a reduced capacity are dropped and counted as interrupted.
    pub fn set_pipeline_options(&mut self, track_id: u32, max_partial_frames: usize) -> Result<(), RemoteManagerError> {
        let track = self.tracks.get_mut(&track_id).ok_or(RemoteManagerError::UnknownTrack(track_id))?;
        if let Some(pipeline) = &mut track.pipeline {
            let evicted = pipeline.set_max_partial_frames(max_partial_frames);
            track.stats.dropped_interrupted += evicted as u64;
        }
        Ok(())
    }

    /// Replaces the whole handle map (the SFU always sends the full current map).
    pub fn set_subscriber_handles(&mut self, entries: impl IntoIterator<Item = (u16, String)>) {
        self.handles = entries.into_iter().filter(|(h, _)| *h != 0).collect();
        self.rebuild_routes();
    }

    /// The subscriber handle currently naming the track's SID, or 0.
    pub fn subscriber_handle(&self, track_id: u32) -> u16 {
        let Some(p) = self.publications.get(track_id) else { return 0 };
        self.handles.iter().find(|(_, sid)| **sid == p.desc.sid).map_or(0, |(&h, _)| h)
    }

    /// Known tracks whose SID the last map names (subscribed or not).
    pub fn mapped_tracks(&self) -> BTreeSet<u32> {
        self.handles.values().filter_map(|sid| self.publications.id_of_sid(sid)).collect()
    }

    pub fn track_stats(&self, track_id: u32) -> Option<RemoteTrackStats> {
        self.tracks.get(&track_id).map(|t| t.stats)
    }

    pub fn stats(&self) -> RemoteManagerStats {
        self.stats
    }

    pub fn track_sid(&self, track_id: u32) -> Option<&str> {
        self.publications.get(track_id).map(|p| p.desc.sid.as_str())
    }

    pub fn is_subscribed(&self, track_id: u32) -> bool {
        self.tracks.get(&track_id).is_some_and(|t| t.pipeline.is_some())
    }

    /// Gives a delivered frame's buffer back to its track's pipeline (see `Depacketizer::reuse_buffer`).
    pub fn reuse_buffer(&mut self, track_id: u32, buf: Vec<u8>) {
        if let Some(pipeline) = self.tracks.get_mut(&track_id).and_then(|t| t.pipeline.as_mut()) {
            pipeline.reuse_buffer(buf);
        }
    }

    fn rebuild_routes(&mut self) {
        self.routes.clear();
        for (&handle, sid) in &self.handles {
            let Some(id) = self.publications.id_of_sid(sid) else { continue };
            if self.tracks.get(&id).is_some_and(|t| t.pipeline.is_some()) {
                self.routes.push((handle, id));
            }
        }
    }

    /// One `_data_track` message: parse, route by handle, reassemble. Bad bytes and unknown
    /// handles are counted, never reported as errors.
    pub fn handle_packet<'a>(&mut self, packet: &'a [u8]) -> Option<PacketOutcome<'a>> {
        let parsed = match deserialize(packet) {
            Ok(p) => p,
            Err(e) => {
                self.stats.malformed[e.kind()] += 1;
                return None;
            }
        };
        let handle = parsed.header.handle;
        let route = self.routes.binary_search_by_key(&handle, |r| r.0).ok().and_then(|i| self.routes.get(i));
        let Some(&(_, track_id)) = route else {
            self.stats.unknown_handle += 1;
            return None;
        };
        let Some(track) = self.tracks.get_mut(&track_id) else {
            self.stats.unknown_handle += 1;
            return None;
        };
        let Some(pipeline) = track.pipeline.as_mut() else {
            self.stats.unknown_handle += 1;
            return None;
        };
        track.stats.packets_received += 1;
        track.stats.bytes_received += packet.len() as u64;
        let out = pipeline.push(&parsed);
        if let Some(drop) = &out.drop {
            track.stats.count_drop(drop);
        }
        let frame = out.frame?;
        track.stats.frames_received += 1;
        Some(PacketOutcome { track_id, frame })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{serialize, Extensions, FrameMarker, Header};

    fn desc(sid: &str, h: u16) -> RemoteTrackDescriptor {
        RemoteTrackDescriptor { sid: sid.into(), pub_handle: h, name: format!("n{h}"), uses_e2ee: false }
    }

    fn packet(handle: u16, marker: FrameMarker, sequence: u16, frame_number: u16, payload: &[u8]) -> Vec<u8> {
        serialize(
            &Header { marker, handle, sequence, frame_number, timestamp: 0, extensions: Extensions::NONE },
            payload,
        )
    }

    #[test]
    fn routes_frames_by_subscriber_handle() {
        let mut m = RemoteManager::new();
        let c = m.update_participant("alice", &[desc("TR_a", 1), desc("TR_b", 2)]);
        let (a, b) = (c.published[0].0, c.published[1].0);
        // handle known before subscribing: packets are unknown until subscribed
        m.set_subscriber_handles([(7, "TR_a".to_string()), (9, "TR_b".to_string())]);
        assert!(m.handle_packet(&packet(7, FrameMarker::Single, 0, 0, &[1])).is_none());
        assert_eq!(m.stats().unknown_handle, 1);
        m.subscribe(a, 1).unwrap();
        let p7 = packet(7, FrameMarker::Single, 0, 0, &[1]);
        let out = m.handle_packet(&p7).unwrap();
        assert_eq!(out.track_id, a);
        assert_eq!(out.frame.payload.as_slice(), &[1]);
        assert_eq!(m.subscriber_handle(a), 7);
        assert_eq!(m.subscriber_handle(b), 9);
        // new snapshot replaces the map
        m.set_subscriber_handles([(8, "TR_a".to_string())]);
        assert!(m.handle_packet(&packet(7, FrameMarker::Single, 0, 0, &[1])).is_none());
        assert!(m.handle_packet(&packet(8, FrameMarker::Single, 0, 0, &[1])).is_some());
        assert_eq!(m.subscriber_handle(b), 0);
        // malformed packets are counted by kind
        assert!(m.handle_packet(&[1, 2, 3]).is_none());
        assert!(m.handle_packet(&[0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]).is_none());
        assert_eq!(m.stats().malformed[0], 1);
        assert_eq!(m.stats().malformed[2], 1);
        let s = m.track_stats(a).unwrap();
        assert_eq!((s.frames_received, s.packets_received, s.bytes_received), (2, 2, 26));
        m.unsubscribe(a);
        // unrouted at once, but the handle is the SFU's until its next map says otherwise
        assert!(m.handle_packet(&packet(8, FrameMarker::Single, 0, 0, &[1])).is_none());
        assert_eq!(m.subscriber_handle(a), 8);
        // a resubscribe before that map routes under the same handle again
        m.subscribe(a, 1).unwrap();
        assert!(m.handle_packet(&packet(8, FrameMarker::Single, 0, 0, &[1])).is_some());
        m.set_subscriber_handles([]);
        assert_eq!(m.subscriber_handle(a), 0);
    }

    #[test]
    fn handle_before_publication_resolves_later() {
        let mut m = RemoteManager::new();
        m.set_subscriber_handles([(3, "TR_x".to_string())]);
        let c = m.update_participant("bob", &[desc("TR_x", 1)]);
        let id = c.published[0].0;
        m.subscribe(id, 1).unwrap();
        assert_eq!(m.handle_packet(&packet(3, FrameMarker::Single, 0, 0, &[5])).unwrap().track_id, id);
    }

    #[test]
    fn sid_reassignment_keeps_pipeline_and_id() {
        let mut m = RemoteManager::new();
        let id = m.update_participant("bob", &[desc("TR_1", 1)]).published[0].0;
        m.subscribe(id, 1).unwrap();
        m.set_subscriber_handles([(4, "TR_1".to_string())]);
        assert!(m.handle_packet(&packet(4, FrameMarker::Start, 0, 0, &[1])).is_none());
        let c = m.update_participant("bob", &[desc("TR_2", 1)]);
        assert_eq!(c.reassigned, vec![(id, "TR_1".into(), "TR_2".into())]);
        assert!(m.is_subscribed(id));
        m.set_subscriber_handles([(5, "TR_2".to_string())]);
        let fin = packet(5, FrameMarker::Final, 1, 0, &[2]);
        let out = m.handle_packet(&fin).unwrap();
        assert_eq!(out.frame.payload.as_slice(), &[1, 2]);
        assert_eq!(m.track_stats(id).unwrap().frames_received, 1);
        let c = m.remove_participant("bob");
        assert_eq!(c.unpublished, vec![(id, "TR_2".into())]);
        assert!(m.track_stats(id).is_none());
        assert_eq!(m.subscribe(id, 1), Err(RemoteManagerError::UnknownTrack(id)));
    }

    #[test]
    fn drops_are_counted_per_reason() {
        let mut m = RemoteManager::new();
        let id = m.update_participant("bob", &[desc("TR_1", 1)]).published[0].0;
        m.subscribe(id, 1).unwrap();
        m.set_subscriber_handles([(1, "TR_1".to_string())]);
        m.handle_packet(&packet(1, FrameMarker::Inter, 0, 5, &[1])); // unknown frame
        m.handle_packet(&packet(1, FrameMarker::Start, 0, 6, &[1]));
        m.handle_packet(&packet(1, FrameMarker::Start, 1, 7, &[1])); // interrupts 6
        m.handle_packet(&packet(1, FrameMarker::Final, 5, 7, &[1])); // incomplete
        for s in 0..129 {
            let marker = if s == 0 { FrameMarker::Start } else { FrameMarker::Inter };
            m.handle_packet(&packet(1, marker, s, 8, &[1]));
        } // the 129th is buffer full
        let s = m.track_stats(id).unwrap();
        assert_eq!(
            (s.dropped_unknown_frame, s.dropped_interrupted, s.dropped_incomplete, s.dropped_buffer_full),
            (1, 1, 1, 1)
        );
    }
}
