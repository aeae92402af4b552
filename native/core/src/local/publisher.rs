//! The publishing side of one room connection as a sans-I/O state machine: publish and unpublish
//! requests and their answers, their deadlines, the bound on requests in flight, republishing
//! after a full reconnect, and per-track counters. It wraps the `LocalManager` (queues,
//! packetizers, track states), so every piece of local track state has this one owner; the
//! caller feeds it user calls, signal answers, connection facts and the time, and drains
//! `PublisherEvent`s.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use super::manager::{
    LocalManager, LocalManagerError, LocalManagerOptions, LocalTrackState, PushResult, SealInPlace, TransmitBatch,
    DEFAULT_MTU, DEFAULT_QUEUE_CAPACITY,
};
use super::protocol::{PublishFailure, PublishRequest, PublishedTrack, RejectReason};
use crate::metadata::TrackMetadata;
use crate::packet::Extensions;
use crate::request_window::{RequestWindow, MAX_REQUESTS_IN_FLIGHT};
use crate::time::deadline_after;

pub const DEFAULT_PUBLISH_TIMEOUT: Duration = Duration::from_secs(10);
pub const DEFAULT_UNPUBLISH_TIMEOUT: Duration = Duration::from_secs(5);
/// The SFU's limit on a track name, in bytes of UTF-8.
pub const MAX_NAME_LEN: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublisherOptions {
    pub mtu: usize,
    /// Frames queued per track at most (a publish may ask for fewer).
    pub queue_capacity: usize,
    pub publish_timeout: Duration,
    /// How long an unpublish waits for the SFU's answer before it counts as done.
    pub unpublish_timeout: Duration,
    pub max_requests_in_flight: usize,
}

impl Default for PublisherOptions {
    fn default() -> Self {
        PublisherOptions {
            mtu: DEFAULT_MTU,
            queue_capacity: DEFAULT_QUEUE_CAPACITY,
            publish_timeout: DEFAULT_PUBLISH_TIMEOUT,
            unpublish_timeout: DEFAULT_UNPUBLISH_TIMEOUT,
            max_requests_in_flight: MAX_REQUESTS_IN_FLIGHT,
        }
    }
}

/// What the user asked to publish.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishOptions {
    pub name: String,
    pub uses_e2ee: bool,
    pub metadata: TrackMetadata,
    /// Clamped to 1..=`PublisherOptions::queue_capacity`; `None` takes that.
    pub queue_capacity: Option<usize>,
    /// `None` takes `PublisherOptions::publish_timeout`.
    pub timeout: Option<Duration>,
}

/// A publish that failed, at once or later (`PublisherEvent::PublishFailed`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublishError {
    InvalidName,
    DuplicateName { name: String },
    /// All 65535 handles of this connection have been used.
    LimitReached,
    Refused { name: String, reason: RejectReason, failure: PublishFailure, message: String },
    Timeout { name: String, after: Duration },
    Cancelled { name: String },
    Disconnected,
}

impl PublishError {
    pub fn failure(&self) -> PublishFailure {
        match self {
            PublishError::InvalidName => PublishFailure::InvalidName,
            PublishError::DuplicateName { .. } => PublishFailure::DuplicateName,
            PublishError::LimitReached => PublishFailure::LimitReached,
            PublishError::Refused { failure, .. } => *failure,
            PublishError::Timeout { .. } => PublishFailure::Timeout,
            PublishError::Cancelled { .. } => PublishFailure::Cancelled,
            PublishError::Disconnected => PublishFailure::Disconnected,
        }
    }

    /// What the SFU said, verbatim, when the error came from it.
    pub fn raw_message(&self) -> Option<&str> {
        match self {
            PublishError::Refused { message, .. } => Some(message),
            _ => None,
        }
    }
}

impl fmt::Display for PublishError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PublishError::InvalidName => write!(f, "a data track name must be 1–{MAX_NAME_LEN} bytes of UTF-8"),
            PublishError::DuplicateName { name } => write!(f, "a data track named '{name}' is already published"),
            PublishError::LimitReached => f.write_str("no publisher handles left on this connection"),
            PublishError::Refused { name, reason, message, .. } => {
                write!(f, "the SFU refused to publish '{name}': {}", reason.label())?;
                if !message.is_empty() {
                    write!(f, " ({message})")?;
                }
                Ok(())
            }
            PublishError::Timeout { name, after } => write!(
                f,
                "publishing '{name}' got no answer within {} ms. Does the LiveKit server support data tracks (LiveKit ≥ 1.11)?",
                after.as_millis()
            ),
            PublishError::Cancelled { name } => write!(f, "publishing '{name}' was cancelled"),
            PublishError::Disconnected => f.write_str("the room disconnected"),
        }
    }
}

impl std::error::Error for PublishError {}

/// Why a published track stopped being published.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnpublishCause {
    /// `unpublish()` was called.
    Requested,
    /// The SFU sent an unpublish answer nobody asked for: it took the track away.
    BySfu,
    /// The SFU refused to publish it again after a full reconnect.
    RepublishRefused,
    Disconnected,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PublisherEvent {
    /// Send a PublishDataTrackRequest (a first publish, a resend, or a republish).
    SendPublishRequest(PublishRequest),
    /// Send an UnpublishDataTrackRequest.
    SendUnpublishRequest { handle: u16 },
    /// A publish succeeded: the track exists for the user from now on.
    Published(PublishedTrack),
    PublishFailed { handle: u16, error: PublishError },
    /// The track was published again after a full reconnect, under a new SID.
    Republished { handle: u16, sid: String },
    Unpublished { handle: u16, cause: UnpublishCause },
    /// An `unpublish()` is over: answered, refused, timed out, or moot after a reconnect.
    UnpublishDone { handle: u16 },
}

/// Counters of one track, kept while it is published and after.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PublishedTrackStats {
    pub frames_sent: u64,
    /// Wire bytes: headers included, as the data channel sees them.
    pub bytes_sent: u64,
    pub packets_sent: u64,
    /// Refused (queue full) or evicted (drop oldest).
    pub frames_dropped_queue_full: u64,
    /// Pushed while republishing, or queued when a full reconnect began.
    pub frames_dropped_not_published: u64,
    /// Reported by the caller, which encrypts.
    pub frames_dropped_encryption_failed: u64,
    pub queued_frames: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Connection {
    Joined,
    Restarting,
    Disconnected,
}

#[derive(Debug)]
struct Publication {
    /// What was asked of the SFU: sent again on resend and republish.
    request: PublishRequest,
    /// The request's metadata as the SFU confirmed it.
    metadata: TrackMetadata,
    /// While the first publish waits for its answer.
    pending: Option<PendingPublish>,
    refused_queue_full: u64,
    encryption_failed: u64,
}

#[derive(Clone, Copy, Debug)]
struct PendingPublish {
    deadline: Instant,
    timeout: Duration,
    /// The request went to a session that a full reconnect replaced: send it again after the join.
    resend: bool,
}

#[derive(Debug)]
pub struct Publisher {
    options: PublisherOptions,
    manager: LocalManager,
    /// Pending, published and republishing tracks.
    publications: BTreeMap<u16, Publication>,
    /// Handles whose pending publish was given up (timeout, cancel): a late acceptance is undone.
    abandoned: BTreeSet<u16>,
    /// Unpublish requests waiting for an answer, with their deadlines.
    unpublishing: BTreeMap<u16, Instant>,
    /// Counters of unpublished tracks (at most one per handle, so bounded by the handle space).
    final_stats: BTreeMap<u16, PublishedTrackStats>,
    requests: RequestWindow<u16>,
    connection: Connection,
    events: VecDeque<PublisherEvent>,
}

impl Publisher {
    pub fn new(options: PublisherOptions) -> Result<Self, LocalManagerError> {
        let manager = LocalManager::new(LocalManagerOptions { mtu: options.mtu, queue_capacity: options.queue_capacity })?;
        Ok(Publisher {
            options,
            manager,
            publications: BTreeMap::new(),
            abandoned: BTreeSet::new(),
            unpublishing: BTreeMap::new(),
            final_stats: BTreeMap::new(),
            requests: RequestWindow::new(options.max_requests_in_flight),
            connection: Connection::Joined,
            events: VecDeque::new(),
        })
    }

    pub fn options(&self) -> PublisherOptions {
        self.options
    }

    // ---- user calls ----

    /// Starts a publish; its outcome is a later `Published` or `PublishFailed` for the returned
    /// handle. Fails at once for a bad or duplicate name, no handles left, or no connection.
    pub fn publish(&mut self, options: PublishOptions, now: Instant) -> Result<u16, PublishError> {
        if options.name.is_empty() || options.name.len() > MAX_NAME_LEN {
            return Err(PublishError::InvalidName);
        }
        if self.connection == Connection::Disconnected {
            return Err(PublishError::Disconnected);
        }
        if self.publications.values().any(|p| p.request.name == options.name) {
            return Err(PublishError::DuplicateName { name: options.name });
        }
        let handle = self.manager.allocate_handle().map_err(|_| PublishError::LimitReached)?;
        let capacity = options.queue_capacity.unwrap_or(self.options.queue_capacity);
        // A fresh handle always begins.
        let _ = self.manager.begin_publish_with_capacity(handle, &options.name, options.uses_e2ee, capacity);
        let timeout = options.timeout.unwrap_or(self.options.publish_timeout);
        let request = PublishRequest { handle, name: options.name, uses_e2ee: options.uses_e2ee, metadata: options.metadata };
        let restarting = self.connection == Connection::Restarting;
        self.publications.insert(
            handle,
            Publication {
                metadata: request.metadata.clone(),
                request,
                pending: Some(PendingPublish { deadline: deadline_after(now, timeout), timeout, resend: restarting }),
                refused_queue_full: 0,
                encryption_failed: 0,
            },
        );
        if !restarting {
            self.send_publish(handle);
        }
        Ok(handle)
    }

    /// Gives up a pending publish (`PublishFailed` with `Cancelled`); a late acceptance is undone.
    pub fn cancel_publish(&mut self, handle: u16) {
        let Some(name) = self.pending_name(handle) else { return };
        self.fail_pending(handle, PublishError::Cancelled { name }, true);
    }

    /// Unpublishes a published track (`Unpublished`), then waits for the SFU (`UnpublishDone`).
    /// For a track that is not published, `UnpublishDone` at once; while one is under way, nothing.
    pub fn unpublish(&mut self, handle: u16, now: Instant) {
        if self.unpublishing.contains_key(&handle) {
            return;
        }
        if !self.is_live(handle) {
            self.events.push_back(PublisherEvent::UnpublishDone { handle });
            return;
        }
        self.mark_unpublished(handle, UnpublishCause::Requested);
        if self.connection == Connection::Disconnected {
            self.events.push_back(PublisherEvent::UnpublishDone { handle });
            return;
        }
        self.unpublishing.insert(handle, deadline_after(now, self.options.unpublish_timeout));
        self.events.push_back(PublisherEvent::SendUnpublishRequest { handle });
    }

    /// Queues a frame, sealed in place when `seal` is given; see `LocalManager::push_frame_sealed`.
    /// A refusal (`Full`) is counted here.
    pub fn push_frame(
        &mut self,
        handle: u16,
        payload: &[u8],
        seal: Option<&dyn SealInPlace>,
        extensions: &Extensions,
        drop_oldest: bool,
    ) -> Result<PushResult, LocalManagerError> {
        let result = self.manager.push_frame_sealed(handle, payload, seal, extensions, drop_oldest)?;
        if result == PushResult::Full {
            if let Some(p) = self.publications.get_mut(&handle) {
                p.refused_queue_full += 1;
            }
        }
        Ok(result)
    }

    /// `push_frame` without `drop_oldest`, but a full queue leaves the frame to be pushed again
    /// later (None) instead of refusing and counting it. `to_transmit`: see
    /// `LocalManager::push_frame_to_transmit`.
    pub(super) fn push_frame_unless_full(
        &mut self,
        handle: u16,
        payload: &[u8],
        extensions: &Extensions,
        to_transmit: bool,
    ) -> Result<Option<PushResult>, LocalManagerError> {
        let result = if to_transmit {
            self.manager.push_frame_to_transmit(handle, payload, extensions)?
        } else {
            self.manager.push_frame(handle, payload, extensions, false)?
        };
        Ok((result != PushResult::Full).then_some(result))
    }

    /// The caller could not encrypt a frame for this track.
    pub fn count_encryption_failure(&mut self, handle: u16) {
        if let Some(p) = self.publications.get_mut(&handle) {
            p.encryption_failed += 1;
        }
    }

    // ---- signal answers ----

    /// PublishDataTrackResponse: `answered` is the metadata the SFU stated (it wins over ours).
    pub fn handle_publish_response(&mut self, handle: u16, sid: &str, answered: &TrackMetadata, now: Instant) {
        self.settle_request(handle);
        let Some(publication) = self.publications.get_mut(&handle) else {
            if self.abandoned.remove(&handle) {
                // Accepted after we gave up: take it back.
                self.events.push_back(PublisherEvent::SendUnpublishRequest { handle });
            }
            return;
        };
        if publication.pending.take().is_some() {
            publication.metadata = publication.request.metadata.overridden_by(answered);
            let _ = self.manager.publish_succeeded(handle, sid, now);
            if let Some(track) = self.published_track(handle) {
                self.events.push_back(PublisherEvent::Published(track));
            }
            return;
        }
        if self.manager.state(handle) == Some(LocalTrackState::Republishing) {
            let _ = self.manager.publish_succeeded(handle, sid, now);
            self.events.push_back(PublisherEvent::Republished { handle, sid: sid.to_owned() });
        }
    }

    /// A RequestResponse refusing our publish of `handle`.
    pub fn handle_publish_rejected(&mut self, handle: u16, reason: RejectReason, message: &str) {
        self.abandoned.remove(&handle);
        if let Some(p) = self.publications.get(&handle) {
            if p.pending.is_some() {
                let request = &p.request;
                let error = PublishError::Refused {
                    name: request.name.clone(),
                    reason,
                    failure: PublishFailure::from_rejection(reason, request),
                    message: message.to_owned(),
                };
                self.fail_pending(handle, error, false);
                return;
            }
        }
        self.settle_request(handle);
        if self.manager.state(handle) == Some(LocalTrackState::Republishing) {
            self.mark_unpublished(handle, UnpublishCause::RepublishRefused);
        }
    }

    /// UnpublishDataTrackResponse: the answer to ours, or the SFU taking a track away.
    pub fn handle_unpublish_response(&mut self, handle: u16, sid: &str) {
        if self.unpublishing.remove(&handle).is_some() {
            self.events.push_back(PublisherEvent::UnpublishDone { handle });
            return;
        }
        let same = self.manager.track_info(handle).is_some_and(|t| t.sid == sid);
        if same && self.is_live(handle) {
            self.mark_unpublished(handle, UnpublishCause::BySfu);
        }
    }

    /// A RequestResponse refusing our unpublish: there is nothing more to wait for.
    pub fn handle_unpublish_rejected(&mut self, handle: u16) {
        if self.unpublishing.remove(&handle).is_some() {
            self.events.push_back(PublisherEvent::UnpublishDone { handle });
        }
    }

    // ---- connection facts ----

    /// A full reconnect began: published tracks wait to be republished under the same handles,
    /// pending publishes to be sent again; answers of the old session will not come.
    pub fn restarting(&mut self) {
        if self.connection == Connection::Disconnected {
            return;
        }
        self.connection = Connection::Restarting;
        self.manager.begin_republish();
        for p in self.publications.values_mut() {
            if let Some(pending) = &mut p.pending {
                pending.resend = true;
            }
        }
        self.requests.clear();
        for handle in std::mem::take(&mut self.unpublishing).into_keys() {
            self.events.push_back(PublisherEvent::UnpublishDone { handle });
        }
    }

    /// Joined (first join or after a full reconnect): ask the session for every track that
    /// should exist.
    pub fn joined(&mut self) {
        if self.connection == Connection::Disconnected {
            return;
        }
        self.connection = Connection::Joined;
        let mut resend = Vec::new();
        for (&handle, p) in self.publications.iter_mut() {
            match &mut p.pending {
                Some(pending) if pending.resend => {
                    pending.resend = false;
                    resend.push(handle);
                }
                Some(_) => {}
                None if self.manager.state(handle) == Some(LocalTrackState::Republishing) => resend.push(handle),
                None => {}
            }
        }
        for handle in resend {
            self.send_publish(handle);
        }
    }

    /// The room is gone for good: pending publishes fail, tracks are unpublished, unpublishes end.
    pub fn disconnected(&mut self) {
        if self.connection == Connection::Disconnected {
            return;
        }
        self.connection = Connection::Disconnected;
        let handles: Vec<u16> = self.publications.keys().copied().collect();
        for handle in handles {
            if self.pending_name(handle).is_some() {
                self.fail_pending(handle, PublishError::Disconnected, false);
            } else {
                self.mark_unpublished(handle, UnpublishCause::Disconnected);
            }
        }
        for handle in std::mem::take(&mut self.unpublishing).into_keys() {
            self.events.push_back(PublisherEvent::UnpublishDone { handle });
        }
        self.abandoned.clear();
        self.requests.clear();
    }

    // ---- time ----

    pub fn poll_timeout(&self) -> Option<Instant> {
        let publishes = self.publications.values().filter_map(|p| p.pending.map(|x| x.deadline));
        publishes.chain(self.unpublishing.values().copied()).min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<(u16, String, Duration)> = self
            .publications
            .iter()
            .filter_map(|(&h, p)| p.pending.filter(|x| x.deadline <= now).map(|x| (h, p.request.name.clone(), x.timeout)))
            .collect();
        for (handle, name, after) in expired {
            self.fail_pending(handle, PublishError::Timeout { name, after }, true);
        }
        let done: Vec<u16> = self.unpublishing.iter().filter(|(_, &d)| d <= now).map(|(&h, _)| h).collect();
        for handle in done {
            self.unpublishing.remove(&handle);
            self.events.push_back(PublisherEvent::UnpublishDone { handle });
        }
    }

    pub fn poll_event(&mut self) -> Option<PublisherEvent> {
        self.events.pop_front()
    }

    // ---- queries ----

    /// A published or republishing track.
    pub fn published_track(&self, handle: u16) -> Option<PublishedTrack> {
        let p = self.publications.get(&handle)?;
        if p.pending.is_some() {
            return None;
        }
        let info = self.manager.track_info(handle)?;
        Some(PublishedTrack {
            handle,
            sid: info.sid,
            name: p.request.name.clone(),
            uses_e2ee: p.request.uses_e2ee,
            metadata: p.metadata.clone(),
        })
    }

    /// SyncState.publish_data_tracks: the tracks published in the current session.
    pub fn sync_state_tracks(&self) -> Vec<PublishedTrack> {
        self.publications
            .keys()
            .filter(|&&h| self.manager.state(h) == Some(LocalTrackState::Published))
            .filter_map(|&h| self.published_track(h))
            .collect()
    }

    pub fn state(&self, handle: u16) -> Option<LocalTrackState> {
        self.manager.state(handle)
    }

    /// Counters of a track: live while published, final once unpublished.
    pub fn stats(&self, handle: u16) -> Option<PublishedTrackStats> {
        if let Some(last) = self.final_stats.get(&handle) {
            return Some(*last);
        }
        let p = self.publications.get(&handle)?;
        let live = self.manager.stats(handle)?;
        Some(PublishedTrackStats {
            frames_sent: live.frames_sent,
            bytes_sent: live.bytes_sent,
            packets_sent: live.packets_sent,
            frames_dropped_queue_full: live.frames_dropped_queue_full + p.refused_queue_full,
            frames_dropped_not_published: live.frames_dropped_not_published,
            frames_dropped_encryption_failed: p.encryption_failed,
            queued_frames: live.queued_frames,
        })
    }

    // ---- the data path (see LocalManager) ----

    pub fn plan_transmit(&mut self, max_bytes: usize, now: Instant) -> Option<TransmitBatch> {
        self.manager.plan_transmit(max_bytes, now)
    }

    pub fn write_transmit(&mut self, data: &mut [u8], ends: &mut [u32]) -> bool {
        self.manager.write_transmit(data, ends)
    }

    pub fn poll_transmit(&mut self, max_bytes: usize, now: Instant) -> Option<(Vec<u8>, Vec<u32>, usize)> {
        self.manager.poll_transmit(max_bytes, now)
    }

    pub fn queued_frames(&self) -> usize {
        self.manager.queued_frames()
    }

    // ---- internals ----

    fn is_live(&self, handle: u16) -> bool {
        matches!(self.manager.state(handle), Some(LocalTrackState::Published | LocalTrackState::Republishing))
    }

    fn pending_name(&self, handle: u16) -> Option<String> {
        self.publications.get(&handle).filter(|p| p.pending.is_some()).map(|p| p.request.name.clone())
    }

    fn send_publish(&mut self, handle: u16) {
        if self.requests.submit(handle) {
            self.emit_publish_request(handle);
        }
    }

    fn emit_publish_request(&mut self, handle: u16) {
        if let Some(p) = self.publications.get(&handle) {
            self.events.push_back(PublisherEvent::SendPublishRequest(p.request.clone()));
        }
    }

    /// The request of `handle` is answered or given up: its slot goes to the next one waiting.
    fn settle_request(&mut self, handle: u16) {
        for next in self.requests.settle(handle) {
            self.emit_publish_request(next);
        }
    }

    fn fail_pending(&mut self, handle: u16, error: PublishError, abandon: bool) {
        self.publications.remove(&handle);
        self.manager.publish_failed(handle);
        self.settle_request(handle);
        if abandon {
            self.abandoned.insert(handle);
        }
        self.events.push_back(PublisherEvent::PublishFailed { handle, error });
    }

    fn mark_unpublished(&mut self, handle: u16, cause: UnpublishCause) {
        if let Some(last) = self.stats(handle) {
            self.final_stats.insert(handle, PublishedTrackStats { queued_frames: 0, ..last });
        }
        self.manager.unpublish(handle);
        self.publications.remove(&handle);
        self.settle_request(handle);
        self.events.push_back(PublisherEvent::Unpublished { handle, cause });
    }
}

#[cfg(test)]
#[path = "publisher_tests.rs"]
mod tests;
