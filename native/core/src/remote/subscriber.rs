//! The subscribing side of one room connection as a sans-I/O state machine: which remote tracks
//! exist (and which holds a publisher's name), subscriptions shared by every stream of a track,
//! their requests, retries and deadlines, waits for a track to appear, and per-track counters.
//! It wraps the `RemoteManager` (publications, handle map, reassembly), so every piece of remote
//! track state has this one owner; the caller feeds it participant updates, handle maps, user
//! calls, connection facts and the time, and drains `SubscriberEvent`s.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::time::{Duration, Instant};

use super::depacketizer::{DEFAULT_MAX_PARTIAL_FRAMES, MAX_PARTIAL_FRAMES};
use super::manager::{PacketOutcome, RemoteManager, RemoteManagerStats, RemoteTrackStats};
use super::protocol::{subscriber_handles, RemoteTrackInfo, SubscriptionUpdate};
use super::publications::{PublicationChanges, RemoteTrackDescriptor};
use crate::metadata::TrackMetadata;
use crate::request_window::{RequestWindow, MAX_REQUESTS_IN_FLIGHT};
use crate::time::deadline_after;

pub const DEFAULT_SUBSCRIBE_TIMEOUT: Duration = Duration::from_secs(10);
/// A subscription without a handle asks again after this long, then twice as long, up to the max.
pub const SUBSCRIBE_RETRY_FIRST: Duration = Duration::from_millis(500);
pub const SUBSCRIBE_RETRY_MAX: Duration = Duration::from_secs(8);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubscriberOptions {
    pub subscribe_timeout: Duration,
    pub retry_first: Duration,
    pub retry_max: Duration,
    pub max_requests_in_flight: usize,
}

impl Default for SubscriberOptions {
    fn default() -> Self {
        SubscriberOptions {
            subscribe_timeout: DEFAULT_SUBSCRIBE_TIMEOUT,
            retry_first: SUBSCRIBE_RETRY_FIRST,
            retry_max: SUBSCRIBE_RETRY_MAX,
            max_requests_in_flight: MAX_REQUESTS_IN_FLIGHT,
        }
    }
}

/// Why a subscribe or a wait for a track failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscribeError {
    /// No such track (any more).
    UnknownTrack(u32),
    Unpublished { name: String },
    /// The SFU assigned no handle in time.
    Timeout { name: String, after: Duration },
    Cancelled { name: String },
    /// A wait for a track: the publisher did not publish it in time.
    NotPublishedInTime { identity: String, name: String },
    WaitCancelled { name: String },
    PublisherLeft { identity: String },
    Disconnected,
}

impl SubscribeError {
    /// The public reason: 'unpublished' | 'timeout' | 'cancelled' | 'disconnected'.
    pub fn reason(&self) -> &'static str {
        match self {
            SubscribeError::UnknownTrack(_) | SubscribeError::Unpublished { .. } => "unpublished",
            SubscribeError::Timeout { .. } | SubscribeError::NotPublishedInTime { .. } => "timeout",
            SubscribeError::Cancelled { .. } | SubscribeError::WaitCancelled { .. } => "cancelled",
            SubscribeError::PublisherLeft { .. } | SubscribeError::Disconnected => "disconnected",
        }
    }
}

impl fmt::Display for SubscribeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SubscribeError::UnknownTrack(id) => write!(f, "remote data track {id} is not published"),
            SubscribeError::Unpublished { name } => write!(f, "data track '{name}' was unpublished"),
            SubscribeError::Timeout { name, after } => {
                write!(f, "the SFU assigned no handle for '{name}' within {} ms", after.as_millis())
            }
            SubscribeError::Cancelled { name } => write!(f, "subscribing to '{name}' was cancelled"),
            SubscribeError::NotPublishedInTime { identity, name } => write!(f, "{identity} did not publish '{name}' in time"),
            SubscribeError::WaitCancelled { name } => write!(f, "waiting for data track '{name}' was cancelled"),
            SubscribeError::PublisherLeft { identity } => write!(f, "{identity} left the room"),
            SubscribeError::Disconnected => f.write_str("the room disconnected"),
        }
    }
}

impl std::error::Error for SubscribeError {}

/// A remote track as discovered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoveredTrack {
    pub track_id: u32,
    pub identity: String,
    pub sid: String,
    pub name: String,
    pub uses_e2ee: bool,
    pub metadata: TrackMetadata,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackEnd {
    /// Unpublished, or its publisher left.
    Unpublished,
    Disconnected,
}

/// Counters of one remote track, across its subscriptions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubscribedTrackStats {
    pub reassembly: RemoteTrackStats,
    /// Reported by the caller, which decrypts.
    pub decrypt_failed: u64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SubscriberEvent {
    SendUpdateSubscription(SubscriptionUpdate),
    /// A new publication. `holds_name`: it is the publisher's track under this name (names are
    /// unique per publisher on a conforming server; of repeats, the first holds the name).
    TrackPublished { track: DiscoveredTrack, holds_name: bool },
    /// The publisher did a full reconnect: same track, new SID.
    TrackReassigned { track_id: u32, sid: String },
    /// The track is gone with its subscriptions; `stats` are its final counters, and
    /// `name_passes_to` the track that holds its name from now on.
    TrackUnpublished { track_id: u32, end: TrackEnd, stats: SubscribedTrackStats, name_passes_to: Option<u32> },
    /// The SFU assigned a handle and the channel is open: frames for the stream flow from now on.
    SubscribeReady { stream: u64, track_id: u32 },
    SubscribeFailed { stream: u64, track_id: u32, error: SubscribeError },
    TrackWaitResolved { wait: u64, track_id: u32 },
    TrackWaitFailed { wait: u64, error: SubscribeError },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Connection {
    Joined,
    Restarting,
    Disconnected,
}

#[derive(Debug)]
struct Track {
    /// Kept here too: the manager forgets a publication before the subscriber ends it.
    identity: String,
    name: String,
    max_partial_frames: usize,
    decrypt_failed: u64,
    /// While at least one stream wants it (pending or ready).
    subscription: Option<Subscription>,
}

#[derive(Debug)]
struct Subscription {
    streams: usize,
    /// When to ask again if there is still no handle.
    retry_at: Option<Instant>,
    /// The wait before the next ask again.
    retry_interval: Duration,
}

#[derive(Debug)]
struct Stream {
    track_id: u32,
    /// While it waits to be ready: (deadline, timeout).
    pending: Option<(Instant, Duration)>,
}

#[derive(Debug)]
struct TrackWait {
    identity: String,
    name: String,
    deadline: Option<Instant>,
}

#[derive(Debug)]
pub struct Subscriber {
    options: SubscriberOptions,
    manager: RemoteManager,
    tracks: BTreeMap<u32, Track>,
    /// (identity, name) → tracks under that name, in order of appearance; the first holds it.
    names: HashMap<(String, String), Vec<u32>>,
    streams: BTreeMap<u64, Stream>,
    waits: BTreeMap<u64, TrackWait>,
    next_id: u64,
    requests: RequestWindow<u32>,
    connection: Connection,
    channel_open: bool,
    events: VecDeque<SubscriberEvent>,
}

impl Default for Subscriber {
    fn default() -> Self {
        Subscriber::new(SubscriberOptions::default())
    }
}

impl Subscriber {
    pub fn new(options: SubscriberOptions) -> Self {
        Subscriber {
            options,
            manager: RemoteManager::new(),
            tracks: BTreeMap::new(),
            names: HashMap::new(),
            streams: BTreeMap::new(),
            waits: BTreeMap::new(),
            next_id: 0,
            requests: RequestWindow::new(options.max_requests_in_flight),
            connection: Connection::Joined,
            channel_open: false,
            events: VecDeque::new(),
        }
    }

    // ---- discovery ----

    /// The complete data-track list of a remote participant (never the local one). Unusable
    /// entries are skipped one by one; of entries repeating a SID the first counts.
    pub fn update_participant(&mut self, identity: &str, infos: &[RemoteTrackInfo], now: Instant) {
        let mut descriptors: Vec<RemoteTrackDescriptor> = Vec::with_capacity(infos.len());
        let mut metadata: HashMap<&str, &TrackMetadata> = HashMap::with_capacity(infos.len());
        for info in infos {
            let Some(d) = info.descriptor() else { continue };
            if metadata.contains_key(info.sid.as_str()) {
                continue;
            }
            metadata.insert(info.sid.as_str(), &info.metadata);
            descriptors.push(d);
        }
        let (changes, last) = self.manager.update_participant_with_final_stats(identity, &descriptors);
        let metadata: HashMap<String, TrackMetadata> = metadata.into_iter().map(|(k, v)| (k.to_owned(), v.clone())).collect();
        self.apply(identity, changes, last, &metadata, now);
    }

    /// The participant left: its tracks are unpublished and waits for its tracks fail.
    pub fn remove_participant(&mut self, identity: &str, now: Instant) {
        let (changes, last) = self.manager.remove_participant_with_final_stats(identity);
        self.apply(identity, changes, last, &HashMap::new(), now);
        let failed: Vec<u64> = self.waits.iter().filter(|(_, w)| w.identity == identity).map(|(&id, _)| id).collect();
        for wait in failed {
            self.waits.remove(&wait);
            let error = SubscribeError::PublisherLeft { identity: identity.to_owned() };
            self.events.push_back(SubscriberEvent::TrackWaitFailed { wait, error });
        }
    }

    /// Waits for `identity` to publish `name` (`TrackWaitResolved` / `TrackWaitFailed`).
    pub fn wait_for_track(&mut self, identity: &str, name: &str, timeout: Option<Duration>, now: Instant) -> u64 {
        let wait = self.allocate_id();
        if self.connection == Connection::Disconnected {
            self.events.push_back(SubscriberEvent::TrackWaitFailed { wait, error: SubscribeError::Disconnected });
            return wait;
        }
        if let Some(&track_id) = self.names.get(&(identity.to_owned(), name.to_owned())).and_then(|ids| ids.first()) {
            self.events.push_back(SubscriberEvent::TrackWaitResolved { wait, track_id });
            return wait;
        }
        let deadline = timeout.map(|t| deadline_after(now, t));
        self.waits.insert(wait, TrackWait { identity: identity.to_owned(), name: name.to_owned(), deadline });
        wait
    }

    pub fn cancel_wait(&mut self, wait: u64) {
        if let Some(w) = self.waits.remove(&wait) {
            self.events.push_back(SubscriberEvent::TrackWaitFailed { wait, error: SubscribeError::WaitCancelled { name: w.name } });
        }
    }

    // ---- subscriptions ----

    /// A new stream on `track_id`: `SubscribeReady` once the SFU has assigned a handle and the
    /// channel is open (at once if both already hold), `SubscribeFailed` on timeout, cancel,
    /// unpublish or disconnect. All streams of a track share one SFU subscription.
    pub fn subscribe(&mut self, track_id: u32, timeout: Option<Duration>, now: Instant) -> Result<u64, SubscribeError> {
        if self.connection == Connection::Disconnected {
            return Err(SubscribeError::Disconnected);
        }
        if !self.tracks.contains_key(&track_id) {
            return Err(SubscribeError::UnknownTrack(track_id));
        }
        let stream = self.allocate_id();
        let Some(track) = self.tracks.get_mut(&track_id) else { return Err(SubscribeError::UnknownTrack(track_id)) };
        let newly = track.subscription.is_none();
        let subscription = track.subscription.get_or_insert(Subscription {
            streams: 0,
            retry_at: None,
            retry_interval: self.options.retry_first,
        });
        subscription.streams += 1;
        if newly {
            let _ = self.manager.subscribe(track_id, track.max_partial_frames);
        }
        let timeout = timeout.unwrap_or(self.options.subscribe_timeout);
        self.streams.insert(stream, Stream { track_id, pending: Some((deadline_after(now, timeout), timeout)) });
        if newly {
            // livekit-server may fold an unsubscribe and the next subscribe into one and keep the
            // subscription and its handle, sending nothing: so the SFU's last map, if it still
            // names this track, is the subscription (a later map that drops it is followed).
            self.ask_to_subscribe(track_id, self.options.retry_first, now);
        }
        self.resolve_ready(track_id);
        Ok(stream)
    }

    /// Gives up a stream that is not ready yet (`SubscribeFailed` with `Cancelled`).
    pub fn cancel_subscribe(&mut self, stream: u64, now: Instant) {
        let Some(s) = self.streams.get(&stream) else { return };
        if s.pending.is_none() {
            return;
        }
        let track_id = s.track_id;
        let name = self.tracks.get(&track_id).map(|t| t.name.clone()).unwrap_or_default();
        self.fail_stream(stream, SubscribeError::Cancelled { name }, now);
    }

    /// The stream is done (its reader cancelled it); the last one of a track unsubscribes.
    pub fn release_stream(&mut self, stream: u64, now: Instant) {
        if let Some(s) = self.streams.remove(&stream) {
            self.drop_stream_of(s.track_id, now);
        }
    }

    /// Frames reassembled concurrently (clamped to 1..=256): now if subscribed, and later.
    pub fn set_pipeline_options(&mut self, track_id: u32, max_partial_frames: usize) {
        let Some(track) = self.tracks.get_mut(&track_id) else { return };
        track.max_partial_frames = max_partial_frames.clamp(1, MAX_PARTIAL_FRAMES);
        let _ = self.manager.set_pipeline_options(track_id, track.max_partial_frames);
    }

    /// The SFU's full subscriber-handle map (DataTrackSubscriberHandles).
    pub fn set_subscriber_handles(&mut self, entries: &[(u32, String)], now: Instant) {
        let before = self.manager.mapped_tracks();
        self.manager.set_subscriber_handles(subscriber_handles(entries));
        let after = self.manager.mapped_tracks();
        let subscribed: Vec<u32> = self.tracks.iter().filter(|(_, t)| t.subscription.is_some()).map(|(&id, _)| id).collect();
        for track_id in subscribed {
            let (had, has) = (before.contains(&track_id), after.contains(&track_id));
            if had && !has {
                // The SFU dropped a subscription we still want: livekit-server can lose a subscribe
                // that reaches it while it still tears down the previous one. Ask again.
                self.ask_to_subscribe(track_id, self.options.retry_first, now);
            } else if !had && has {
                self.stop_retrying(track_id, now);
                self.resolve_ready(track_id);
            }
        }
    }

    /// Our `_data_track` channel opened: subscriptions that only waited for it are ready.
    pub fn channel_opened(&mut self) {
        self.channel_open = true;
        let active: Vec<u32> = self.tracks.iter().filter(|(_, t)| t.subscription.is_some()).map(|(&id, _)| id).collect();
        for track_id in active {
            self.resolve_ready(track_id);
        }
    }

    /// The caller could not decrypt a frame of this track.
    pub fn count_decrypt_failure(&mut self, track_id: u32) {
        if let Some(t) = self.tracks.get_mut(&track_id) {
            t.decrypt_failed += 1;
        }
    }

    // ---- connection facts ----

    /// A full reconnect began: the old session's handles mean nothing in the new one, and
    /// requests in flight went with it.
    pub fn restarting(&mut self) {
        if self.connection == Connection::Disconnected {
            return;
        }
        self.connection = Connection::Restarting;
        self.channel_open = false;
        self.manager.set_subscriber_handles(Vec::new());
        self.requests.clear();
    }

    /// Joined, first or again: participants missing from `present` left while we were away, and
    /// the session is asked for every subscription still without a handle.
    pub fn joined(&mut self, present: &[String], now: Instant) {
        if self.connection == Connection::Disconnected {
            return;
        }
        self.connection = Connection::Joined;
        let mut gone: Vec<String> = self.tracks.values().map(|t| t.identity.clone()).collect();
        gone.extend(self.waits.values().map(|w| w.identity.clone()));
        gone.sort();
        gone.dedup();
        gone.retain(|identity| !present.contains(identity));
        for identity in gone {
            self.remove_participant(&identity, now);
        }
        let waiting: Vec<u32> = self
            .tracks
            .iter()
            .filter(|(&id, t)| t.subscription.is_some() && self.manager.subscriber_handle(id) == 0)
            .map(|(&id, _)| id)
            .collect();
        for track_id in waiting {
            self.ask_to_subscribe(track_id, self.options.retry_first, now);
        }
    }

    /// The room is gone: every track ends, every wait fails.
    pub fn disconnected(&mut self) {
        if self.connection == Connection::Disconnected {
            return;
        }
        self.connection = Connection::Disconnected;
        self.channel_open = false;
        self.requests.clear();
        let ids: Vec<u32> = self.tracks.keys().copied().collect();
        for track_id in ids {
            let stats = self.manager.track_stats(track_id).unwrap_or_default();
            self.end_track(track_id, TrackEnd::Disconnected, stats, None);
        }
        for (wait, _) in std::mem::take(&mut self.waits) {
            self.events.push_back(SubscriberEvent::TrackWaitFailed { wait, error: SubscribeError::Disconnected });
        }
    }

    // ---- time ----

    pub fn poll_timeout(&self) -> Option<Instant> {
        let streams = self.streams.values().filter_map(|s| s.pending.map(|(d, _)| d));
        let waits = self.waits.values().filter_map(|w| w.deadline);
        let retries = self.tracks.values().filter_map(|t| t.subscription.as_ref().and_then(|s| s.retry_at));
        streams.chain(waits).chain(retries).min()
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<(u64, u32, Duration)> = self
            .streams
            .iter()
            .filter_map(|(&id, s)| s.pending.filter(|(d, _)| *d <= now).map(|(_, after)| (id, s.track_id, after)))
            .collect();
        for (stream, track_id, after) in expired {
            let name = self.tracks.get(&track_id).map(|t| t.name.clone()).unwrap_or_default();
            self.fail_stream(stream, SubscribeError::Timeout { name, after }, now);
        }
        let expired: Vec<u64> = self.waits.iter().filter(|(_, w)| w.deadline.is_some_and(|d| d <= now)).map(|(&id, _)| id).collect();
        for wait in expired {
            if let Some(w) = self.waits.remove(&wait) {
                let error = SubscribeError::NotPublishedInTime { identity: w.identity, name: w.name };
                self.events.push_back(SubscriberEvent::TrackWaitFailed { wait, error });
            }
        }
        let due: Vec<(u32, Duration)> = self
            .tracks
            .iter()
            .filter_map(|(&id, t)| {
                let s = t.subscription.as_ref()?;
                s.retry_at.filter(|&at| at <= now).map(|_| (id, s.retry_interval))
            })
            .collect();
        for (track_id, interval) in due {
            if let Some(s) = self.tracks.get_mut(&track_id).and_then(|t| t.subscription.as_mut()) {
                s.retry_at = None;
            }
            // Asking again is harmless: a subscribe to a subscribed track changes nothing.
            if self.connection == Connection::Joined && self.manager.subscriber_handle(track_id) == 0 {
                let next = (interval * 2).min(self.options.retry_max);
                self.ask_to_subscribe(track_id, next, now);
            }
        }
    }

    pub fn poll_event(&mut self) -> Option<SubscriberEvent> {
        self.events.pop_front()
    }

    // ---- the data path (see RemoteManager) ----

    pub fn handle_packet<'a>(&mut self, packet: &'a [u8]) -> Option<PacketOutcome<'a>> {
        self.manager.handle_packet(packet)
    }

    pub fn reuse_buffer(&mut self, track_id: u32, buf: Vec<u8>) {
        self.manager.reuse_buffer(track_id, buf);
    }

    // ---- queries ----

    pub fn is_subscribed(&self, track_id: u32) -> bool {
        self.tracks.get(&track_id).is_some_and(|t| t.subscription.is_some())
    }

    /// The current subscriber handle of a track, or 0.
    pub fn subscriber_handle(&self, track_id: u32) -> u16 {
        self.manager.subscriber_handle(track_id)
    }

    /// Live counters of a published track (the final ones come with `TrackUnpublished`).
    pub fn track_stats(&self, track_id: u32) -> Option<SubscribedTrackStats> {
        let t = self.tracks.get(&track_id)?;
        let reassembly = self.manager.track_stats(track_id).unwrap_or_default();
        Some(SubscribedTrackStats { reassembly, decrypt_failed: t.decrypt_failed })
    }

    pub fn stats(&self) -> RemoteManagerStats {
        self.manager.stats()
    }

    /// Requests in flight and waiting (for tests and diagnostics).
    pub fn requests(&self) -> (usize, usize) {
        (self.requests.in_flight(), self.requests.waiting())
    }

    // ---- internals ----

    fn allocate_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    fn apply(
        &mut self,
        identity: &str,
        changes: PublicationChanges,
        last: Vec<(u32, RemoteTrackStats)>,
        metadata: &HashMap<String, TrackMetadata>,
        now: Instant,
    ) {
        let last: HashMap<u32, RemoteTrackStats> = last.into_iter().collect();
        for (track_id, _) in changes.unpublished {
            self.end_track(track_id, TrackEnd::Unpublished, last.get(&track_id).copied().unwrap_or_default(), Some(now));
        }
        for (track_id, _, sid) in changes.reassigned {
            self.events.push_back(SubscriberEvent::TrackReassigned { track_id, sid });
            if self.is_subscribed(track_id) {
                // The old subscription went with the old SID: ask under the new one.
                self.ask_to_subscribe(track_id, self.options.retry_first, now);
            }
        }
        for (track_id, sid) in changes.published {
            let Some((_, desc)) = self.manager.publication(track_id) else { continue };
            let track = DiscoveredTrack {
                track_id,
                identity: identity.to_owned(),
                name: desc.name.clone(),
                uses_e2ee: desc.uses_e2ee,
                metadata: metadata.get(&sid).cloned().unwrap_or_default(),
                sid,
            };
            self.tracks.insert(
                track_id,
                Track {
                    identity: identity.to_owned(),
                    name: track.name.clone(),
                    max_partial_frames: DEFAULT_MAX_PARTIAL_FRAMES,
                    decrypt_failed: 0,
                    subscription: None,
                },
            );
            let holders = self.names.entry((identity.to_owned(), track.name.clone())).or_default();
            holders.push(track_id);
            let holds_name = holders.len() == 1;
            let found: Vec<u64> =
                self.waits.iter().filter(|(_, w)| w.identity == identity && w.name == track.name).map(|(&id, _)| id).collect();
            self.events.push_back(SubscriberEvent::TrackPublished { track, holds_name });
            for wait in found {
                self.waits.remove(&wait);
                self.events.push_back(SubscriberEvent::TrackWaitResolved { wait, track_id });
            }
        }
    }

    /// The track is gone: pending streams fail, the rest end with it (the caller ends them on
    /// `TrackUnpublished`), the subscription goes, and its name may pass to a namesake. Without
    /// `now` (a disconnect) no request is in flight any more, so none takes its slot.
    fn end_track(&mut self, track_id: u32, end: TrackEnd, reassembly: RemoteTrackStats, now: Option<Instant>) {
        let Some(track) = self.tracks.remove(&track_id) else { return };
        let streams: Vec<(u64, bool)> =
            self.streams.iter().filter(|(_, s)| s.track_id == track_id).map(|(&id, s)| (id, s.pending.is_some())).collect();
        for (stream, pending) in streams {
            self.streams.remove(&stream);
            if pending {
                let error = match end {
                    TrackEnd::Unpublished => SubscribeError::Unpublished { name: track.name.clone() },
                    TrackEnd::Disconnected => SubscribeError::Disconnected,
                };
                self.events.push_back(SubscriberEvent::SubscribeFailed { stream, track_id, error });
            }
        }
        if track.subscription.is_some() {
            self.manager.unsubscribe(track_id);
            let released = self.requests.settle(track_id);
            if let Some(now) = now {
                self.send_released(released, now);
            }
        }
        let key = (track.identity, track.name);
        let mut name_passes_to = None;
        if let Some(holders) = self.names.get_mut(&key) {
            let held = holders.first() == Some(&track_id);
            holders.retain(|&id| id != track_id);
            if held {
                name_passes_to = holders.first().copied();
            }
            if holders.is_empty() {
                self.names.remove(&key);
            }
        }
        let stats = SubscribedTrackStats { reassembly, decrypt_failed: track.decrypt_failed };
        self.events.push_back(SubscriberEvent::TrackUnpublished { track_id, end, stats, name_passes_to });
    }

    fn fail_stream(&mut self, stream: u64, error: SubscribeError, now: Instant) {
        let Some(s) = self.streams.remove(&stream) else { return };
        self.events.push_back(SubscriberEvent::SubscribeFailed { stream, track_id: s.track_id, error });
        self.drop_stream_of(s.track_id, now);
    }

    /// One stream of the track fewer; the last one unsubscribes.
    fn drop_stream_of(&mut self, track_id: u32, now: Instant) {
        let Some(track) = self.tracks.get_mut(&track_id) else { return };
        let Some(subscription) = track.subscription.as_mut() else { return };
        subscription.streams = subscription.streams.saturating_sub(1);
        if subscription.streams > 0 {
            return;
        }
        track.subscription = None;
        self.manager.unsubscribe(track_id);
        let released = self.requests.settle(track_id);
        self.send_released(released, now);
        if self.connection != Connection::Disconnected {
            if let Some((_, desc)) = self.manager.publication(track_id) {
                let update = SubscriptionUpdate { sid: desc.sid.clone(), subscribe: false };
                self.events.push_back(SubscriberEvent::SendUpdateSubscription(update));
            }
        }
    }

    /// Sends the subscribe of `track_id` (within the request window), and unless a handle is
    /// already known, asks again after `retry_in` if none comes.
    fn ask_to_subscribe(&mut self, track_id: u32, retry_in: Duration, now: Instant) {
        let Some(s) = self.tracks.get_mut(&track_id).and_then(|t| t.subscription.as_mut()) else { return };
        s.retry_at = None;
        s.retry_interval = retry_in;
        if self.connection != Connection::Joined {
            return; // `joined` asks the next session
        }
        if self.requests.submit(track_id) {
            self.emit_subscribe(track_id, now);
        }
    }

    fn emit_subscribe(&mut self, track_id: u32, now: Instant) {
        let Some((_, desc)) = self.manager.publication(track_id) else { return };
        let update = SubscriptionUpdate { sid: desc.sid.clone(), subscribe: true };
        self.events.push_back(SubscriberEvent::SendUpdateSubscription(update));
        if self.manager.subscriber_handle(track_id) != 0 {
            // Already mapped: nothing to wait for, the slot is free at once.
            let released = self.requests.settle(track_id);
            self.send_released(released, now);
        } else if let Some(s) = self.tracks.get_mut(&track_id).and_then(|t| t.subscription.as_mut()) {
            s.retry_at = Some(deadline_after(now, s.retry_interval));
        }
    }

    fn stop_retrying(&mut self, track_id: u32, now: Instant) {
        if let Some(s) = self.tracks.get_mut(&track_id).and_then(|t| t.subscription.as_mut()) {
            s.retry_at = None;
        }
        let released = self.requests.settle(track_id);
        self.send_released(released, now);
    }

    /// Subscribes that waited for a slot in the request window go out.
    fn send_released(&mut self, released: Vec<u32>, now: Instant) {
        for track_id in released {
            self.emit_subscribe(track_id, now);
        }
    }

    /// Streams of the track waiting only for the handle and the channel become ready.
    fn resolve_ready(&mut self, track_id: u32) {
        if !self.channel_open || self.manager.subscriber_handle(track_id) == 0 {
            return;
        }
        for (&stream, s) in self.streams.iter_mut() {
            if s.track_id == track_id && s.pending.take().is_some() {
                self.events.push_back(SubscriberEvent::SubscribeReady { stream, track_id });
            }
        }
    }
}

#[cfg(test)]
#[path = "subscriber_tests.rs"]
mod tests;
