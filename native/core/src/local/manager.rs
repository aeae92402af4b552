use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::ops::Bound;
use std::time::Instant;

use super::handle::HandleAllocator;
use super::packetizer::{FramePlan, Packetizer};
use super::pool::BufferPool;
use super::queue::{FrameQueue, QueuePush, QueuedFrame};
use crate::packet::{Extensions, MAX_HEADER_LEN};

pub const DEFAULT_MTU: usize = 16_000;
pub const DEFAULT_QUEUE_CAPACITY: usize = 16;
/// Every frame must fit at least one payload byte after the largest header we write.
pub const MIN_MTU: usize = MAX_HEADER_LEN + 1;
/// A data-channel message larger than this is refused by the SFU.
pub const MAX_MTU: usize = 65_535;
/// Far beyond what receivers can reassemble (about 2 MB at MTU 16000); keeps batch offsets in u32.
pub const MAX_FRAME_LEN: usize = 1 << 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LocalManagerOptions {
    pub mtu: usize,
    pub queue_capacity: usize,
}

impl Default for LocalManagerOptions {
    fn default() -> Self {
        LocalManagerOptions { mtu: DEFAULT_MTU, queue_capacity: DEFAULT_QUEUE_CAPACITY }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalTrackState {
    Pending,
    Published,
    Republishing,
    Unpublished,
}

impl LocalTrackState {
    pub fn as_str(self) -> &'static str {
        match self {
            LocalTrackState::Pending => "pending",
            LocalTrackState::Published => "published",
            LocalTrackState::Republishing => "republishing",
            LocalTrackState::Unpublished => "unpublished",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalTrackInfo {
    pub handle: u16,
    pub sid: String,
    pub name: String,
    pub uses_e2ee: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LocalTrackStats {
    pub frames_sent: u64,
    /// Wire bytes: headers included, as the data channel sees them.
    pub bytes_sent: u64,
    pub packets_sent: u64,
    pub frames_dropped_queue_full: u64,
    pub frames_dropped_not_published: u64,
    pub queued_frames: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum PushResult {
    Queued = 0,
    QueuedDroppedOldest = 1,
    Full = 2,
    NotPublished = 3,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalManagerError {
    /// All 65535 handles have been used.
    LimitReached,
    UnknownTrack(u16),
    InvalidState { handle: u16, state: LocalTrackState },
    InvalidArgument(String),
    /// The frame's `SealInPlace` refused it.
    SealFailed(String),
}

/// Turns a queued frame's bytes into what is sent, in place (E2EE). The core does no
/// cryptography: the binding supplies this.
pub trait SealInPlace {
    /// Bytes the sealed frame has beyond the payload (an AEAD tag).
    fn tag_len(&self) -> usize;
    /// `frame` is the payload followed by `tag_len()` zero bytes; on return it is the sealed frame.
    fn seal(&self, frame: &mut [u8]) -> Result<(), String>;
}

impl fmt::Display for LocalManagerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LocalManagerError::LimitReached => f.write_str("all 65535 track handles have been used"),
            LocalManagerError::UnknownTrack(h) => write!(f, "no local track with handle {h}"),
            LocalManagerError::InvalidState { handle, state } => {
                write!(f, "local track {handle} is {}", state.as_str())
            }
            LocalManagerError::InvalidArgument(m) => f.write_str(m),
            LocalManagerError::SealFailed(m) => write!(f, "sealing the frame failed: {m}"),
        }
    }
}

impl std::error::Error for LocalManagerError {}

#[derive(Debug)]
struct LocalTrack {
    name: String,
    sid: String,
    uses_e2ee: bool,
    state: LocalTrackState,
    queue: FrameQueue,
    /// Created at the first successful publish and kept across republish, so sequence and frame
    /// numbers continue where they were.
    packetizer: Option<Packetizer>,
    stats: LocalTrackStats,
}

#[derive(Debug)]
struct BatchEntry {
    frame: QueuedFrame,
    plan: FramePlan,
}

/// Size of a batch chosen by `plan_transmit`, for allocating its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TransmitBatch {
    pub bytes: usize,
    pub packets: usize,
    pub frames: usize,
}

/// Publisher-side state of every local data track of one room connection.
#[derive(Debug)]
pub struct LocalManager {
    options: LocalManagerOptions,
    handles: HandleAllocator,
    tracks: BTreeMap<u16, LocalTrack>,
    unpublished: BTreeSet<u16>,
    /// Handle served last, so the next batch starts with the track after it.
    cursor: u16,
    queued: usize,
    batch: Vec<BatchEntry>,
    pool: BufferPool,
}

impl LocalManager {
    pub fn new(options: LocalManagerOptions) -> Result<Self, LocalManagerError> {
        if !(MIN_MTU..=MAX_MTU).contains(&options.mtu) {
            return Err(LocalManagerError::InvalidArgument(format!(
                "mtu must be in {MIN_MTU}..={MAX_MTU}, got {}",
                options.mtu
            )));
        }
        if options.queue_capacity == 0 {
            return Err(LocalManagerError::InvalidArgument("queueCapacity must be at least 1".into()));
        }
        Ok(LocalManager {
            options,
            handles: HandleAllocator::default(),
            tracks: BTreeMap::new(),
            unpublished: BTreeSet::new(),
            cursor: 0,
            queued: 0,
            batch: Vec::new(),
            pool: BufferPool::default(),
        })
    }

    pub fn options(&self) -> LocalManagerOptions {
        self.options
    }

    pub fn allocate_handle(&mut self) -> Result<u16, LocalManagerError> {
        self.handles.allocate().ok_or(LocalManagerError::LimitReached)
    }

    pub fn begin_publish(&mut self, handle: u16, name: &str, uses_e2ee: bool) -> Result<(), LocalManagerError> {
        self.begin_publish_with_capacity(handle, name, uses_e2ee, self.options.queue_capacity)
    }

    /// `begin_publish` with a queue of its own capacity (clamped to 1..=the manager's).
    pub fn begin_publish_with_capacity(
        &mut self,
        handle: u16,
        name: &str,
        uses_e2ee: bool,
        queue_capacity: usize,
    ) -> Result<(), LocalManagerError> {
        if !self.handles.was_allocated(handle) {
            return Err(LocalManagerError::InvalidArgument(format!("handle {handle} was not allocated by this manager")));
        }
        if let Some(track) = self.tracks.get(&handle) {
            return Err(LocalManagerError::InvalidState { handle, state: track.state });
        }
        if self.unpublished.contains(&handle) {
            return Err(LocalManagerError::InvalidState { handle, state: LocalTrackState::Unpublished });
        }
        self.tracks.insert(
            handle,
            LocalTrack {
                name: name.to_owned(),
                sid: String::new(),
                uses_e2ee,
                state: LocalTrackState::Pending,
                queue: FrameQueue::new(queue_capacity.clamp(1, self.options.queue_capacity)),
                packetizer: None,
                stats: LocalTrackStats::default(),
            },
        );
        Ok(())
    }

    /// The SFU accepted the (re)publish. Calling it again for a published track only updates the SID.
    pub fn publish_succeeded(&mut self, handle: u16, sid: &str, now: Instant) -> Result<(), LocalManagerError> {
        let mtu = self.options.mtu;
        let track = self.tracks.get_mut(&handle).ok_or(LocalManagerError::UnknownTrack(handle))?;
        track.state = LocalTrackState::Published;
        if track.sid != sid {
            track.sid = sid.to_owned();
        }
        track.packetizer.get_or_insert_with(|| Packetizer::new(handle, mtu, now));
        Ok(())
    }

    /// Forgets the track; its handle stays used. No-op for an unknown handle.
    pub fn publish_failed(&mut self, handle: u16) {
        if let Some(mut track) = self.tracks.remove(&handle) {
            self.drop_queue(&mut track);
        }
    }

    /// Full reconnect: published tracks wait for their republish; queued frames are dropped
    /// (counted as not published), since they would otherwise go out after the reconnect.
    pub fn begin_republish(&mut self) -> Vec<u16> {
        let mut handles = Vec::new();
        let mut dropped = 0;
        for (&handle, track) in self.tracks.iter_mut() {
            if track.state == LocalTrackState::Published {
                track.state = LocalTrackState::Republishing;
                let n = track.queue.clear();
                track.stats.frames_dropped_not_published += n as u64;
                dropped += n;
                handles.push(handle);
            }
        }
        self.queued = self.queued.saturating_sub(dropped);
        handles
    }

    /// Drops the track and its queue; `state()` then reports Unpublished. No-op for an unknown handle.
    pub fn unpublish(&mut self, handle: u16) {
        if let Some(mut track) = self.tracks.remove(&handle) {
            self.drop_queue(&mut track);
            self.unpublished.insert(handle);
        }
    }

    fn drop_queue(&mut self, track: &mut LocalTrack) {
        while let Some(frame) = track.queue.pop() {
            self.queued = self.queued.saturating_sub(1);
            self.recycle(frame.payload);
        }
    }

    pub fn state(&self, handle: u16) -> Option<LocalTrackState> {
        match self.tracks.get(&handle) {
            Some(track) => Some(track.state),
            None if self.unpublished.contains(&handle) => Some(LocalTrackState::Unpublished),
            None => None,
        }
    }

    /// Published and republishing tracks, by handle.
    pub fn tracks(&self) -> Vec<LocalTrackInfo> {
        self.tracks
            .iter()
            .filter(|(_, t)| matches!(t.state, LocalTrackState::Published | LocalTrackState::Republishing))
            .map(|(&handle, t)| LocalTrackInfo { handle, sid: t.sid.clone(), name: t.name.clone(), uses_e2ee: t.uses_e2ee })
            .collect()
    }

    /// A track that is pending, published or republishing.
    pub fn track_info(&self, handle: u16) -> Option<LocalTrackInfo> {
        self.tracks.get(&handle).map(|t| LocalTrackInfo { handle, sid: t.sid.clone(), name: t.name.clone(), uses_e2ee: t.uses_e2ee })
    }

    pub fn push_frame(
        &mut self,
        handle: u16,
        payload: &[u8],
        extensions: &Extensions,
        drop_oldest: bool,
    ) -> Result<PushResult, LocalManagerError> {
        self.push_frame_sealed(handle, payload, None, extensions, drop_oldest)
    }

    /// `push_frame`, the queued copy sealed in place by `seal` (E2EE): the frame is sealed only
    /// once it is sure to be queued, in the buffer it is sent from, so it is copied once.
    pub fn push_frame_sealed(
        &mut self,
        handle: u16,
        payload: &[u8],
        seal: Option<&dyn SealInPlace>,
        extensions: &Extensions,
        drop_oldest: bool,
    ) -> Result<PushResult, LocalManagerError> {
        self.enqueue(handle, payload, seal, extensions, drop_oldest, false)
    }

    /// `push_frame` of a frame the caller transmits before it returns (it fits in what the
    /// transport takes at once): queued even past the capacity, as it will not wait there.
    pub fn push_frame_to_transmit(&mut self, handle: u16, payload: &[u8], extensions: &Extensions) -> Result<PushResult, LocalManagerError> {
        self.enqueue(handle, payload, None, extensions, false, true)
    }

    fn enqueue(
        &mut self,
        handle: u16,
        payload: &[u8],
        seal: Option<&dyn SealInPlace>,
        extensions: &Extensions,
        drop_oldest: bool,
        beyond_capacity: bool,
    ) -> Result<PushResult, LocalManagerError> {
        let len = payload.len() + seal.map_or(0, |s| s.tag_len());
        if len > MAX_FRAME_LEN {
            return Err(LocalManagerError::InvalidArgument(format!("frame of {len} bytes exceeds {MAX_FRAME_LEN}")));
        }
        let track = self.tracks.get_mut(&handle).ok_or(LocalManagerError::UnknownTrack(handle))?;
        if track.state != LocalTrackState::Published {
            track.stats.frames_dropped_not_published += 1;
            return Ok(PushResult::NotPublished);
        }
        if track.queue.is_full() && !drop_oldest && !beyond_capacity {
            return Ok(PushResult::Full);
        }
        let mut buf = self.pool.take(len);
        buf.extend_from_slice(payload);
        if let Some(seal) = seal {
            buf.resize(len, 0);
            if let Err(why) = seal.seal(&mut buf) {
                self.recycle(buf);
                return Err(LocalManagerError::SealFailed(why));
            }
        }
        let frame = QueuedFrame { payload: buf, extensions: *extensions };
        let (outcome, evicted) = if beyond_capacity {
            track.queue.push_beyond_capacity(frame);
            (QueuePush::Queued, None)
        } else {
            track.queue.push(frame, drop_oldest)
        };
        let result = match outcome {
            QueuePush::Queued => {
                self.queued += 1;
                PushResult::Queued
            }
            QueuePush::QueuedDroppedOldest => {
                track.stats.frames_dropped_queue_full += 1;
                PushResult::QueuedDroppedOldest
            }
            QueuePush::Full => PushResult::Full,
        };
        if let Some(frame) = evicted {
            self.recycle(frame.payload);
        }
        Ok(result)
    }

    /// Frames waiting in all queues.
    pub fn queued_frames(&self) -> usize {
        self.queued
    }

    pub fn stats(&self, handle: u16) -> Option<LocalTrackStats> {
        self.tracks.get(&handle).map(|t| LocalTrackStats { queued_frames: t.queue.len(), ..t.stats })
    }

    /// Takes whole frames round-robin across published tracks (one frame per track per turn)
    /// until at least `max_bytes` of packets are planned; always at least one frame when any is
    /// queued. Returns the batch size for `write_transmit`, or `None` when nothing was queued.
    pub fn plan_transmit(&mut self, max_bytes: usize, now: Instant) -> Option<TransmitBatch> {
        self.discard_batch();
        let mut batch = TransmitBatch { bytes: 0, packets: 0, frames: 0 };
        while batch.frames == 0 || batch.bytes < max_bytes {
            let Some(handle) = self.next_ready_track() else { break };
            self.cursor = handle;
            let Some(track) = self.tracks.get_mut(&handle) else { break };
            let Some(frame) = track.queue.pop() else { break };
            self.queued = self.queued.saturating_sub(1);
            let mtu = self.options.mtu;
            let packetizer = track.packetizer.get_or_insert_with(|| Packetizer::new(handle, mtu, now));
            let Ok(plan) = packetizer.plan(frame.payload.len(), &frame.extensions, now) else {
                // Unreachable with MIN_MTU; dropping beats wedging the queue.
                self.recycle(frame.payload);
                continue;
            };
            let total = plan.total_len();
            if batch.frames > 0 && batch.bytes + total > u32::MAX as usize {
                // Keep batch offsets within u32: put it back for the next batch.
                // (Its frame number is already used; receivers do not care about gaps.)
                track.queue.push_front_unchecked(frame);
                self.queued += 1;
                break;
            }
            track.stats.frames_sent += 1;
            track.stats.packets_sent += plan.packet_count() as u64;
            track.stats.bytes_sent += total as u64;
            batch.frames += 1;
            batch.packets += plan.packet_count();
            batch.bytes += total;
            self.batch.push(BatchEntry { frame, plan });
        }
        (batch.frames > 0).then_some(batch)
    }

    /// Writes the planned batch: packets back to back into `data` (exactly `bytes` long) and the
    /// end offset of each packet into `ends` (exactly `packets` long). Returns false, dropping
    /// the batch, if the sizes do not match the plan.
    pub fn write_transmit(&mut self, data: &mut [u8], ends: &mut [u32]) -> bool {
        let mut at = 0usize;
        let mut k = 0usize;
        let mut ok = true;
        let entries = std::mem::take(&mut self.batch);
        for entry in &entries {
            if !ok {
                break;
            }
            let Some(dst) = data.get_mut(at..) else {
                ok = false;
                break;
            };
            let base = at;
            let written = entry.plan.write_all(&entry.frame.payload, dst, |end| {
                if let Some(slot) = ends.get_mut(k) {
                    *slot = (base + end) as u32;
                    k += 1;
                } else {
                    ok = false;
                }
            });
            if written != entry.plan.total_len() {
                ok = false;
            }
            at += written;
        }
        for entry in entries {
            self.recycle(entry.frame.payload);
        }
        ok && at == data.len() && k == ends.len()
    }

    /// `plan_transmit` + `write_transmit` into fresh vectors (tests and cold paths).
    pub fn poll_transmit(&mut self, max_bytes: usize, now: Instant) -> Option<(Vec<u8>, Vec<u32>, usize)> {
        let batch = self.plan_transmit(max_bytes, now)?;
        let mut data = vec![0u8; batch.bytes];
        let mut ends = vec![0u32; batch.packets];
        let ok = self.write_transmit(&mut data, &mut ends);
        debug_assert!(ok);
        Some((data, ends, batch.frames))
    }

    fn discard_batch(&mut self) {
        let entries = std::mem::take(&mut self.batch);
        for entry in entries {
            self.recycle(entry.frame.payload);
        }
    }

    fn next_ready_track(&self) -> Option<u16> {
        let ready = |(&handle, track): (&u16, &LocalTrack)| {
            (track.state == LocalTrackState::Published && !track.queue.is_empty()).then_some(handle)
        };
        self.tracks
            .range((Bound::Excluded(self.cursor), Bound::Unbounded))
            .find_map(ready)
            .or_else(|| self.tracks.range(..=self.cursor).find_map(ready))
    }

    fn recycle(&mut self, buf: Vec<u8>) {
        self.pool.give(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{deserialize, FrameMarker};

    fn manager(queue_capacity: usize) -> LocalManager {
        LocalManager::new(LocalManagerOptions { mtu: 1000, queue_capacity }).unwrap()
    }

    fn published(m: &mut LocalManager, name: &str) -> u16 {
        let h = m.allocate_handle().unwrap();
        m.begin_publish(h, name, false).unwrap();
        m.publish_succeeded(h, &format!("TR_{name}"), Instant::now()).unwrap();
        h
    }

    fn packets(data: &[u8], ends: &[u32]) -> Vec<Vec<u8>> {
        let mut start = 0;
        ends.iter()
            .map(|&e| {
                let p = data[start..e as usize].to_vec();
                start = e as usize;
                p
            })
            .collect()
    }

    #[test]
    fn options_are_validated() {
        assert!(LocalManager::new(LocalManagerOptions { mtu: 40, queue_capacity: 1 }).is_err());
        assert!(LocalManager::new(LocalManagerOptions { mtu: 41, queue_capacity: 1 }).is_ok());
        assert!(LocalManager::new(LocalManagerOptions { mtu: 1000, queue_capacity: 0 }).is_err());
    }

    /// A stand-in AEAD: XORs the payload and writes a fixed tag.
    struct XorSeal;
    impl SealInPlace for XorSeal {
        fn tag_len(&self) -> usize {
            16
        }
        fn seal(&self, frame: &mut [u8]) -> Result<(), String> {
            let (body, tag) = frame.split_at_mut(frame.len() - 16);
            assert!(tag.iter().all(|&b| b == 0), "the tag room starts zeroed");
            body.iter_mut().for_each(|b| *b ^= 0x5a);
            tag.fill(0xee);
            Ok(())
        }
    }

    struct RefusingSeal;
    impl SealInPlace for RefusingSeal {
        fn tag_len(&self) -> usize {
            16
        }
        fn seal(&self, _: &mut [u8]) -> Result<(), String> {
            Err("no".into())
        }
    }

    #[test]
    fn a_sealed_frame_is_sent_as_sealed_and_a_refused_one_is_not_queued() {
        let body: Vec<u8> = (0..2500u32).map(|i| i as u8).collect();
        let sealed: Vec<u8> = body.iter().map(|b| b ^ 0x5a).chain([0xee; 16]).collect();
        let now = Instant::now();
        let mut m = manager(4);
        let h = published(&mut m, "a");
        assert_eq!(m.push_frame_sealed(h, &body, Some(&RefusingSeal), &Extensions::NONE, false), Err(LocalManagerError::SealFailed("no".into())));
        assert_eq!(m.queued_frames(), 0);
        m.push_frame_sealed(h, &body, Some(&XorSeal), &Extensions::NONE, false).unwrap();
        let (data, ends, _) = m.poll_transmit(usize::MAX, now).unwrap();
        let sent: Vec<u8> = packets(&data, &ends).iter().flat_map(|p| deserialize(p).unwrap().payload.to_vec()).collect();
        assert_eq!(sent, sealed);
    }

    #[test]
    fn state_machine() {
        let mut m = manager(4);
        let h = m.allocate_handle().unwrap();
        assert_eq!(m.state(h), None);
        assert!(matches!(m.begin_publish(h + 1, "x", false), Err(LocalManagerError::InvalidArgument(_))));
        m.begin_publish(h, "a", true).unwrap();
        assert_eq!(m.state(h), Some(LocalTrackState::Pending));
        assert!(matches!(m.begin_publish(h, "a", true), Err(LocalManagerError::InvalidState { .. })));
        assert_eq!(m.push_frame(h, &[1], &Extensions::NONE, false), Ok(PushResult::NotPublished));
        assert!(m.tracks().is_empty());
        m.publish_succeeded(h, "TR_a", Instant::now()).unwrap();
        assert_eq!(m.state(h), Some(LocalTrackState::Published));
        assert_eq!(m.tracks(), vec![LocalTrackInfo { handle: h, sid: "TR_a".into(), name: "a".into(), uses_e2ee: true }]);
        assert_eq!(m.push_frame(h, &[1], &Extensions::NONE, false), Ok(PushResult::Queued));
        assert_eq!(m.begin_republish(), vec![h]);
        assert_eq!(m.state(h), Some(LocalTrackState::Republishing));
        assert_eq!(m.queued_frames(), 0);
        assert_eq!(m.stats(h).unwrap().frames_dropped_not_published, 2);
        assert_eq!(m.tracks().len(), 1);
        m.publish_succeeded(h, "TR_a2", Instant::now()).unwrap();
        assert_eq!(m.tracks()[0].sid, "TR_a2");
        m.unpublish(h);
        assert_eq!(m.state(h), Some(LocalTrackState::Unpublished));
        assert_eq!(m.push_frame(h, &[1], &Extensions::NONE, false), Err(LocalManagerError::UnknownTrack(h)));
        assert!(matches!(m.begin_publish(h, "a", true), Err(LocalManagerError::InvalidState { .. })));

        let h2 = m.allocate_handle().unwrap();
        assert_eq!(h2, h + 1);
        m.begin_publish(h2, "b", false).unwrap();
        m.publish_failed(h2);
        assert_eq!(m.state(h2), None);
        assert_eq!(m.allocate_handle().unwrap(), h2 + 1);
    }

    #[test]
    fn queue_full_and_drop_oldest() {
        let mut m = manager(2);
        let h = published(&mut m, "a");
        let e = Extensions::NONE;
        assert_eq!(m.push_frame(h, &[1], &e, false), Ok(PushResult::Queued));
        assert_eq!(m.push_frame(h, &[2], &e, false), Ok(PushResult::Queued));
        assert_eq!(m.push_frame(h, &[3], &e, false), Ok(PushResult::Full));
        assert_eq!(m.push_frame(h, &[4], &e, true), Ok(PushResult::QueuedDroppedOldest));
        let s = m.stats(h).unwrap();
        assert_eq!((s.frames_dropped_queue_full, s.queued_frames), (1, 2));
        let (data, ends, frames) = m.poll_transmit(usize::MAX, Instant::now()).unwrap();
        assert_eq!(frames, 2);
        let ps = packets(&data, &ends);
        assert_eq!(deserialize(&ps[0]).unwrap().payload, &[2]);
        assert_eq!(deserialize(&ps[1]).unwrap().payload, &[4]);
        assert_eq!(m.queued_frames(), 0);
        assert!(m.poll_transmit(0, Instant::now()).is_none());
        let s = m.stats(h).unwrap();
        assert_eq!((s.frames_sent, s.packets_sent, s.bytes_sent), (2, 2, 26));
    }

    #[test]
    fn round_robin_whole_frames() {
        let mut m = manager(8);
        let a = published(&mut m, "a");
        let b = published(&mut m, "b");
        for i in 0..3u8 {
            m.push_frame(a, &vec![i; 2500], &Extensions::NONE, false).unwrap();
            m.push_frame(b, &[i + 100], &Extensions::NONE, false).unwrap();
        }
        // maxBytes 0 still yields one whole (multi-packet) frame
        let (data, ends, frames) = m.poll_transmit(0, Instant::now()).unwrap();
        assert_eq!(frames, 1);
        let ps = packets(&data, &ends);
        assert_eq!(ps.len(), 3);
        assert!(ps.iter().all(|p| deserialize(p).unwrap().header.handle == a));
        // next batch starts with b, then a, then b ...
        let (data, ends, frames) = m.poll_transmit(2540, Instant::now()).unwrap();
        assert_eq!(frames, 2);
        let handles: Vec<_> = packets(&data, &ends).iter().map(|p| deserialize(p).unwrap().header.handle).collect();
        assert_eq!(handles, [b, a, a, a]);
        let (data, ends, frames) = m.poll_transmit(usize::MAX, Instant::now()).unwrap();
        assert_eq!(frames, 3);
        let hs: Vec<_> = packets(&data, &ends).iter().map(|p| deserialize(p).unwrap().header).collect();
        assert_eq!(hs.iter().map(|h| h.handle).collect::<Vec<_>>(), [b, a, a, a, b]);
        assert_eq!(hs[1].marker, FrameMarker::Start);
        assert_eq!(hs[1].frame_number, 2);
    }

    #[test]
    fn counters_continue_across_republish() {
        let mut m = manager(8);
        let a = published(&mut m, "a");
        m.push_frame(a, &[1; 10], &Extensions::NONE, false).unwrap();
        m.poll_transmit(0, Instant::now()).unwrap();
        m.begin_republish();
        m.publish_succeeded(a, "TR_new", Instant::now()).unwrap();
        m.push_frame(a, &[1; 10], &Extensions::NONE, false).unwrap();
        let (data, _, _) = m.poll_transmit(0, Instant::now()).unwrap();
        let h = deserialize(&data).unwrap().header;
        assert_eq!((h.sequence, h.frame_number), (1, 1));
    }

    #[test]
    fn handles_run_out() {
        let mut m = manager(1);
        for _ in 0..65535 {
            m.allocate_handle().unwrap();
        }
        assert_eq!(m.allocate_handle(), Err(LocalManagerError::LimitReached));
    }

    #[test]
    fn empty_frames_consume_frame_numbers() {
        let mut m = manager(8);
        let a = published(&mut m, "a");
        m.push_frame(a, &[], &Extensions::NONE, false).unwrap();
        m.push_frame(a, &[7], &Extensions::NONE, false).unwrap();
        let (data, ends, frames) = m.poll_transmit(0, Instant::now()).unwrap();
        assert_eq!((data.len(), ends.len(), frames), (0, 0, 1));
        let (data, _, _) = m.poll_transmit(0, Instant::now()).unwrap();
        assert_eq!(deserialize(&data).unwrap().header.frame_number, 1);
    }
}
