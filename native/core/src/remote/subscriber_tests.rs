//! Virtual time throughout: one `Instant` base plus offsets, nothing sleeps.

use super::*;
use crate::metadata::Encoding;
use crate::packet::{serialize, Extensions, FrameMarker, Header};
use crate::remote::protocol::{ENCRYPTION_GCM, ENCRYPTION_NONE};

const MS: Duration = Duration::from_millis(1);

fn info(sid: &str, pub_handle: u32, name: &str) -> RemoteTrackInfo {
    RemoteTrackInfo { sid: sid.into(), pub_handle, name: name.into(), encryption: ENCRYPTION_NONE, metadata: TrackMetadata::NONE }
}

fn drain(s: &mut Subscriber) -> Vec<SubscriberEvent> {
    std::iter::from_fn(|| s.poll_event()).collect()
}

fn asks(events: &[SubscriberEvent]) -> Vec<(String, bool)> {
    events
        .iter()
        .filter_map(|e| match e {
            SubscriberEvent::SendUpdateSubscription(u) => Some((u.sid.clone(), u.subscribe)),
            _ => None,
        })
        .collect()
}

fn ask(sid: &str) -> (String, bool) {
    (sid.to_owned(), true)
}

/// A subscriber with the channel open that knows alice's track `t` (DTR_t); returns its id.
fn with_track() -> (Subscriber, u32, Instant) {
    let t0 = Instant::now();
    let mut s = Subscriber::default();
    s.channel_opened();
    s.update_participant("alice", &[info("DTR_t", 1, "t")], t0);
    let events = drain(&mut s);
    let [SubscriberEvent::TrackPublished { track, .. }] = events.as_slice() else { panic!("{events:?}") };
    (s, track.track_id, t0)
}

fn map(s: &mut Subscriber, entries: &[(u32, &str)], now: Instant) {
    let entries: Vec<(u32, String)> = entries.iter().map(|(h, sid)| (*h, sid.to_string())).collect();
    s.set_subscriber_handles(&entries, now);
}

fn packet(handle: u16, payload: &[u8]) -> Vec<u8> {
    let header =
        Header { marker: FrameMarker::Single, handle, sequence: 0, frame_number: 0, timestamp: 0, extensions: Extensions::NONE };
    serialize(&header, payload)
}

#[test]
fn discovery_names_and_reassignment() {
    let t0 = Instant::now();
    let mut s = Subscriber::default();
    let typed = TrackMetadata { frame_encoding: Some(Encoding::WellKnown(7)), schema: None };
    let infos = [
        RemoteTrackInfo { encryption: ENCRYPTION_GCM, metadata: typed.clone(), ..info("DTR_a", 1, "a") },
        info("DTR_dup", 2, "same"),
        info("DTR_dup2", 3, "same"),
        info("", 4, "no sid"),
        RemoteTrackInfo { encryption: 5, ..info("DTR_x", 5, "unknown encryption") },
        info("DTR_a", 6, "repeated sid"),
    ];
    s.update_participant("alice", &infos, t0);
    let events = drain(&mut s);
    let published: Vec<(&DiscoveredTrack, bool)> = events
        .iter()
        .map(|e| match e {
            SubscriberEvent::TrackPublished { track, holds_name } => (track, *holds_name),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(published.len(), 3);
    assert_eq!((published[0].0.name.as_str(), published[0].0.uses_e2ee, &published[0].0.metadata), ("a", true, &typed));
    assert_eq!(published[0].0.identity, "alice");
    assert_eq!(published.iter().map(|(_, holds)| *holds).collect::<Vec<_>>(), [true, true, false]);
    let (first, second) = (published[1].0.track_id, published[2].0.track_id);
    let a = published[0].0.track_id;
    // The same list again: nothing.
    s.update_participant("alice", &infos, t0);
    assert!(drain(&mut s).is_empty());
    // The first namesake goes: the second takes the name. `a` is republished under a new SID.
    let a2 = RemoteTrackInfo { encryption: ENCRYPTION_GCM, ..info("DTR_a2", 1, "a") };
    s.update_participant("alice", &[a2, info("DTR_dup2", 3, "same")], t0);
    let events = drain(&mut s);
    assert!(events.contains(&SubscriberEvent::TrackReassigned { track_id: a, sid: "DTR_a2".into() }), "{events:?}");
    assert!(events.iter().any(|e| matches!(e,
        SubscriberEvent::TrackUnpublished { track_id, end: TrackEnd::Unpublished, name_passes_to: Some(n), .. }
        if *track_id == first && *n == second)));
    s.remove_participant("alice", t0);
    let ended = drain(&mut s).iter().filter(|e| matches!(e, SubscriberEvent::TrackUnpublished { .. })).count();
    assert_eq!(ended, 2);
}

#[test]
fn a_subscribe_is_ready_once_mapped_and_the_channel_is_open() {
    let t0 = Instant::now();
    let mut s = Subscriber::default();
    s.update_participant("alice", &[info("DTR_t", 1, "t")], t0);
    drain(&mut s);
    let id = 1;
    let stream = s.subscribe(id, None, t0).unwrap();
    assert_eq!(asks(&drain(&mut s)), [ask("DTR_t")]);
    assert!(s.is_subscribed(id));
    map(&mut s, &[(7, "DTR_t")], t0 + MS);
    // Mapped, but frames would be lost until our channel is open.
    assert!(drain(&mut s).is_empty());
    s.channel_opened();
    assert_eq!(drain(&mut s), [SubscriberEvent::SubscribeReady { stream, track_id: id }]);
    let p = packet(7, &[42]);
    assert_eq!(s.handle_packet(&p).map(|o| (o.track_id, o.frame.payload.as_slice().to_vec())), Some((id, vec![42])));
    // The answer ended the retries and the deadline.
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn streams_share_one_subscription_and_the_last_one_unsubscribes() {
    let (mut s, id, t0) = with_track();
    let a = s.subscribe(id, None, t0).unwrap();
    let b = s.subscribe(id, None, t0).unwrap();
    assert_eq!(asks(&drain(&mut s)), [ask("DTR_t")]);
    map(&mut s, &[(7, "DTR_t")], t0);
    assert_eq!(drain(&mut s).len(), 2);
    // Mapped and open: a third is ready at once, with no request.
    let c = s.subscribe(id, None, t0).unwrap();
    assert_eq!(drain(&mut s), [SubscriberEvent::SubscribeReady { stream: c, track_id: id }]);
    s.release_stream(a, t0);
    s.release_stream(b, t0);
    assert!(drain(&mut s).is_empty());
    s.release_stream(c, t0);
    assert_eq!(asks(&drain(&mut s)), [("DTR_t".to_string(), false)]);
    assert!(!s.is_subscribed(id));
    assert!(s.handle_packet(&packet(7, &[1])).is_none());
}

#[test]
fn a_subscribe_times_out_and_unsubscribes() {
    let (mut s, id, t0) = with_track();
    let stream = s.subscribe(id, Some(50 * MS), t0).unwrap();
    drain(&mut s);
    s.handle_timeout(t0 + 49 * MS);
    assert!(drain(&mut s).is_empty());
    s.handle_timeout(t0 + 50 * MS);
    let events = drain(&mut s);
    let error = SubscribeError::Timeout { name: "t".into(), after: 50 * MS };
    assert_eq!(events[0], SubscriberEvent::SubscribeFailed { stream, track_id: id, error: error.clone() });
    assert_eq!(error.to_string(), "the SFU assigned no handle for 't' within 50 ms");
    assert_eq!(asks(&events[1..]), [("DTR_t".to_string(), false)]);
    assert!(!s.is_subscribed(id));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_cancelled_subscribe_fails_and_unsubscribes() {
    let (mut s, id, t0) = with_track();
    let stream = s.subscribe(id, None, t0).unwrap();
    drain(&mut s);
    s.cancel_subscribe(stream, t0);
    let events = drain(&mut s);
    assert_eq!(events[0], SubscriberEvent::SubscribeFailed { stream, track_id: id, error: SubscribeError::Cancelled { name: "t".into() } });
    assert_eq!(asks(&events[1..]), [("DTR_t".to_string(), false)]);
}

#[test]
fn a_subscribe_without_a_handle_is_asked_again_backing_off() {
    let (mut s, id, t0) = with_track();
    s.subscribe(id, Some(Duration::from_secs(60)), t0).unwrap();
    assert_eq!(asks(&drain(&mut s)).len(), 1);
    // Asked again after 0.5, 1, 2, 4, 8, 8 s.
    let mut at = t0;
    for gap in [500, 1000, 2000, 4000, 8000, 8000] {
        let due = at + gap * MS;
        assert_eq!(s.poll_timeout(), Some(due));
        s.handle_timeout(due - MS);
        assert!(drain(&mut s).is_empty());
        s.handle_timeout(due);
        assert_eq!(asks(&drain(&mut s)), [ask("DTR_t")], "after {gap} ms");
        at = due;
    }
    // A handle ends the retries; only the stream's deadline is left, and it is ready now.
    map(&mut s, &[(9, "DTR_t")], at);
    assert!(matches!(drain(&mut s).as_slice(), [SubscriberEvent::SubscribeReady { .. }]));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_map_that_drops_a_held_subscription_makes_it_ask_again() {
    let (mut s, id, t0) = with_track();
    s.subscribe(id, None, t0).unwrap();
    map(&mut s, &[(7, "DTR_t")], t0);
    drain(&mut s);
    map(&mut s, &[], t0 + MS);
    assert_eq!(asks(&drain(&mut s)), [ask("DTR_t")]);
    assert_eq!(s.poll_timeout(), Some(t0 + MS + SUBSCRIBE_RETRY_FIRST));
    // The new handle routes; the stream was ready all along, so nothing more is announced.
    map(&mut s, &[(8, "DTR_t")], t0 + 2 * MS);
    assert!(drain(&mut s).is_empty());
    assert_eq!(s.handle_packet(&packet(8, &[1])).map(|o| o.track_id), Some(id));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_resubscribe_while_the_map_keeps_the_handle_is_ready_at_once() {
    let (mut s, id, t0) = with_track();
    let first = s.subscribe(id, None, t0).unwrap();
    map(&mut s, &[(7, "DTR_t")], t0);
    drain(&mut s);
    s.release_stream(first, t0);
    assert_eq!(asks(&drain(&mut s)), [("DTR_t".to_string(), false)]);
    // livekit-server may fold the unsubscribe and this subscribe into one and send no map.
    let again = s.subscribe(id, None, t0 + MS).unwrap();
    let events = drain(&mut s);
    assert_eq!(asks(&events), [ask("DTR_t")]);
    assert_eq!(events.last(), Some(&SubscriberEvent::SubscribeReady { stream: again, track_id: id }));
    assert_eq!(s.handle_packet(&packet(7, &[1])).map(|o| o.track_id), Some(id));
    assert_eq!(s.requests(), (0, 0));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn at_most_the_window_of_subscribe_requests_is_in_flight() {
    let t0 = Instant::now();
    let mut s = Subscriber::default();
    s.channel_opened();
    let infos: Vec<RemoteTrackInfo> = (1..=70).map(|i| info(&format!("DTR_{i}"), i, &format!("t{i}"))).collect();
    s.update_participant("alice", &infos, t0);
    drain(&mut s);
    for id in 1..=70 {
        s.subscribe(id, None, t0).unwrap();
    }
    assert_eq!(asks(&drain(&mut s)).len(), 64);
    assert_eq!(s.requests(), (64, 6));
    // A handle for one lets the next out.
    map(&mut s, &[(100, "DTR_1")], t0);
    assert_eq!(asks(&drain(&mut s)), [ask("DTR_65")]);
    // Retries of requests in flight keep their slots.
    s.handle_timeout(t0 + SUBSCRIBE_RETRY_FIRST);
    assert_eq!(asks(&drain(&mut s)).len(), 64);
    assert_eq!(s.requests(), (64, 5));
}

#[test]
fn unpublish_fails_pending_subscribes_and_hands_over_the_final_counters() {
    let (mut s, id, t0) = with_track();
    let ready = s.subscribe(id, None, t0).unwrap();
    map(&mut s, &[(7, "DTR_t")], t0);
    s.handle_packet(&packet(7, &[1, 2, 3]));
    s.count_decrypt_failure(id);
    s.channel_open = false;
    let pending = s.subscribe(id, None, t0).unwrap();
    drain(&mut s);
    s.update_participant("alice", &[], t0);
    let events = drain(&mut s);
    let error = SubscribeError::Unpublished { name: "t".into() };
    assert_eq!(events[0], SubscriberEvent::SubscribeFailed { stream: pending, track_id: id, error });
    let SubscriberEvent::TrackUnpublished { stats, end: TrackEnd::Unpublished, .. } = &events[1] else { panic!("{events:?}") };
    assert_eq!((stats.reassembly.frames_received, stats.reassembly.packets_received, stats.decrypt_failed), (1, 1, 1));
    assert_eq!(events.len(), 2);
    assert_eq!(s.track_stats(id), None);
    assert_eq!(s.subscribe(id, None, t0), Err(SubscribeError::UnknownTrack(id)));
    s.release_stream(ready, t0);
    assert!(drain(&mut s).is_empty());
}

#[test]
fn a_full_reconnect_asks_the_new_session_again() {
    let (mut s, id, t0) = with_track();
    s.update_participant("bob", &[info("DTR_b", 1, "b")], t0);
    drain(&mut s);
    let stream = s.subscribe(id, None, t0).unwrap();
    map(&mut s, &[(7, "DTR_t")], t0);
    drain(&mut s);
    s.restarting();
    // Old handles route nothing; retries wait for the join.
    assert!(s.handle_packet(&packet(7, &[1])).is_none());
    s.handle_timeout(t0 + Duration::from_secs(30));
    assert!(drain(&mut s).is_empty());
    // bob left while we were away.
    s.joined(&["alice".to_string()], t0 + Duration::from_secs(31));
    let events = drain(&mut s);
    assert!(matches!(events[0], SubscriberEvent::TrackUnpublished { track_id, .. } if track_id != id));
    assert_eq!(asks(&events[1..]), [ask("DTR_t")]);
    map(&mut s, &[(3, "DTR_t")], t0 + Duration::from_secs(32));
    s.channel_opened();
    assert!(drain(&mut s).is_empty(), "the stream stayed ready");
    assert_eq!(s.handle_packet(&packet(3, &[1])).map(|o| o.track_id), Some(id));
    let _ = stream;
}

#[test]
fn disconnect_ends_everything() {
    let (mut s, id, t0) = with_track();
    let stream = s.subscribe(id, None, t0).unwrap();
    let wait = s.wait_for_track("alice", "later", None, t0);
    drain(&mut s);
    s.disconnected();
    let events = drain(&mut s);
    assert_eq!(
        events[0],
        SubscriberEvent::SubscribeFailed { stream, track_id: id, error: SubscribeError::Disconnected }
    );
    assert!(matches!(events[1], SubscriberEvent::TrackUnpublished { end: TrackEnd::Disconnected, .. }));
    assert_eq!(events[2], SubscriberEvent::TrackWaitFailed { wait, error: SubscribeError::Disconnected });
    assert_eq!(events.len(), 3, "no unsubscribe is sent on a gone connection");
    assert_eq!(s.subscribe(id, None, t0), Err(SubscribeError::Disconnected));
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn waits_for_a_track_resolve_time_out_and_cancel() {
    let (mut s, id, t0) = with_track();
    let now = s.wait_for_track("alice", "t", None, t0);
    assert_eq!(drain(&mut s), [SubscriberEvent::TrackWaitResolved { wait: now, track_id: id }]);
    let later = s.wait_for_track("alice", "later", None, t0);
    let timed = s.wait_for_track("alice", "never", Some(100 * MS), t0);
    let cancelled = s.wait_for_track("alice", "x", None, t0);
    let bobs = s.wait_for_track("bob", "b", None, t0);
    s.update_participant("alice", &[info("DTR_t", 1, "t"), info("DTR_l", 2, "later")], t0);
    let events = drain(&mut s);
    assert!(matches!(events.last(), Some(SubscriberEvent::TrackWaitResolved { wait, .. }) if *wait == later));
    assert_eq!(s.poll_timeout(), Some(t0 + 100 * MS));
    s.handle_timeout(t0 + 100 * MS);
    let error = SubscribeError::NotPublishedInTime { identity: "alice".into(), name: "never".into() };
    assert_eq!(drain(&mut s), [SubscriberEvent::TrackWaitFailed { wait: timed, error }]);
    s.cancel_wait(cancelled);
    assert_eq!(drain(&mut s), [SubscriberEvent::TrackWaitFailed { wait: cancelled, error: SubscribeError::WaitCancelled { name: "x".into() } }]);
    s.remove_participant("bob", t0);
    let error = SubscribeError::PublisherLeft { identity: "bob".into() };
    assert_eq!(drain(&mut s), [SubscriberEvent::TrackWaitFailed { wait: bobs, error }]);
}

#[test]
fn pipeline_options_apply_now_and_to_later_subscriptions() {
    let (mut s, id, t0) = with_track();
    s.set_pipeline_options(id, 0); // clamped to 1
    s.subscribe(id, None, t0).unwrap();
    map(&mut s, &[(7, "DTR_t")], t0);
    let start = |n: u16| {
        let header = Header { marker: FrameMarker::Start, handle: 7, sequence: n, frame_number: n, timestamp: 0, extensions: Extensions::NONE };
        serialize(&header, &[1])
    };
    s.handle_packet(&start(0));
    s.handle_packet(&start(1)); // interrupts frame 0: one partial frame at a time
    assert_eq!(s.track_stats(id).unwrap().reassembly.dropped_interrupted, 1);
    s.set_pipeline_options(id, 4);
    s.handle_packet(&start(2));
    assert_eq!(s.track_stats(id).unwrap().reassembly.dropped_interrupted, 1);
}
