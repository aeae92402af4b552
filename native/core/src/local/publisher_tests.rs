//! Virtual time throughout: one `Instant` base plus offsets, nothing sleeps.

use super::*;
use crate::local::{BatchPush, PushCounts};
use crate::metadata::{Encoding, SchemaId};

const MS: Duration = Duration::from_millis(1);

fn publisher() -> (Publisher, Instant) {
    (Publisher::new(PublisherOptions { queue_capacity: 4, ..Default::default() }).unwrap(), Instant::now())
}

fn named(name: &str) -> PublishOptions {
    PublishOptions { name: name.into(), uses_e2ee: false, metadata: TrackMetadata::NONE, queue_capacity: None, timeout: None }
}

fn drain(p: &mut Publisher) -> Vec<PublisherEvent> {
    std::iter::from_fn(|| p.poll_event()).collect()
}

fn requests(events: &[PublisherEvent]) -> Vec<u16> {
    events
        .iter()
        .filter_map(|e| match e {
            PublisherEvent::SendPublishRequest(r) => Some(r.handle),
            _ => None,
        })
        .collect()
}

/// Publishes `name` and answers it with `DTR_<name>`.
fn published(p: &mut Publisher, name: &str, now: Instant) -> u16 {
    let h = p.publish(named(name), now).unwrap();
    p.handle_publish_response(h, &format!("DTR_{name}"), &TrackMetadata::NONE, now);
    drain(p);
    h
}

#[test]
fn publish_sends_a_request_and_resolves_on_the_answer() {
    let (mut p, t0) = publisher();
    let metadata =
        TrackMetadata { frame_encoding: Some(Encoding::WellKnown(7)), schema: Some(SchemaId::named("pose", Encoding::WellKnown(7))) };
    let h = p.publish(PublishOptions { metadata: metadata.clone(), uses_e2ee: true, ..named("a") }, t0).unwrap();
    assert_eq!(h, 1);
    assert_eq!(
        drain(&mut p),
        [PublisherEvent::SendPublishRequest(PublishRequest { handle: 1, name: "a".into(), uses_e2ee: true, metadata: metadata.clone() })]
    );
    assert_eq!(p.state(h), Some(LocalTrackState::Pending));
    assert!(p.sync_state_tracks().is_empty());
    // The SFU's word on the metadata wins.
    let answered = TrackMetadata { frame_encoding: Some(Encoding::Custom("x".into())), schema: None };
    p.handle_publish_response(h, "DTR_a", &answered, t0 + MS);
    let want = PublishedTrack {
        handle: 1,
        sid: "DTR_a".into(),
        name: "a".into(),
        uses_e2ee: true,
        metadata: TrackMetadata { frame_encoding: Some(Encoding::Custom("x".into())), schema: metadata.schema },
    };
    assert_eq!(drain(&mut p), [PublisherEvent::Published(want.clone())]);
    assert_eq!(p.sync_state_tracks(), [want]);
    assert_eq!(p.poll_timeout(), None);
}

#[test]
fn bad_and_duplicate_names_fail_at_once() {
    let (mut p, t0) = publisher();
    assert_eq!(p.publish(named(""), t0), Err(PublishError::InvalidName));
    assert_eq!(p.publish(named(&"x".repeat(257)), t0), Err(PublishError::InvalidName));
    assert!(p.publish(named(&"é".repeat(128)), t0).is_ok());
    let pending = p.publish(named("a"), t0).unwrap();
    // Pending and published names both count.
    assert_eq!(p.publish(named("a"), t0), Err(PublishError::DuplicateName { name: "a".into() }));
    p.handle_publish_response(pending, "DTR_a", &TrackMetadata::NONE, t0);
    assert_eq!(p.publish(named("a"), t0).unwrap_err().to_string(), "a data track named 'a' is already published");
}

#[test]
fn a_publish_times_out_and_a_late_acceptance_is_undone() {
    let (mut p, t0) = publisher();
    let h = p.publish(PublishOptions { timeout: Some(50 * MS), ..named("slow") }, t0).unwrap();
    drain(&mut p);
    assert_eq!(p.poll_timeout(), Some(t0 + 50 * MS));
    p.handle_timeout(t0 + 49 * MS);
    assert!(drain(&mut p).is_empty());
    p.handle_timeout(t0 + 50 * MS);
    let events = drain(&mut p);
    let [PublisherEvent::PublishFailed { handle, error }] = events.as_slice() else { panic!("{events:?}") };
    assert_eq!((*handle, error.failure()), (h, PublishFailure::Timeout));
    assert!(error.to_string().contains("within 50 ms. Does the LiveKit server support data tracks"));
    assert_eq!(p.state(h), None);
    assert_eq!(p.poll_timeout(), None);
    // The SFU accepts after all: take it back, once.
    p.handle_publish_response(h, "DTR_slow", &TrackMetadata::NONE, t0 + 60 * MS);
    assert_eq!(drain(&mut p), [PublisherEvent::SendUnpublishRequest { handle: h }]);
    p.handle_publish_response(h, "DTR_slow", &TrackMetadata::NONE, t0 + 61 * MS);
    assert!(drain(&mut p).is_empty());
    // The name is free again.
    assert!(p.publish(named("slow"), t0 + 62 * MS).is_ok());
}

#[test]
fn a_cancelled_publish_fails_and_a_late_acceptance_is_undone() {
    let (mut p, t0) = publisher();
    let h = p.publish(named("a"), t0).unwrap();
    drain(&mut p);
    p.cancel_publish(h);
    assert_eq!(drain(&mut p), [PublisherEvent::PublishFailed { handle: h, error: PublishError::Cancelled { name: "a".into() } }]);
    p.cancel_publish(h);
    assert!(drain(&mut p).is_empty());
    p.handle_publish_response(h, "DTR_a", &TrackMetadata::NONE, t0);
    assert_eq!(drain(&mut p), [PublisherEvent::SendUnpublishRequest { handle: h }]);
}

#[test]
fn a_refusal_fails_with_the_reason_and_the_sfus_words() {
    let (mut p, t0) = publisher();
    let h = p.publish(named("a"), t0).unwrap();
    drain(&mut p);
    p.handle_publish_rejected(h, RejectReason::from_code(2), "no data for you");
    let events = drain(&mut p);
    let [PublisherEvent::PublishFailed { error, .. }] = events.as_slice() else { panic!("{events:?}") };
    assert_eq!(error.failure(), PublishFailure::NotAllowed);
    assert_eq!(error.raw_message(), Some("no data for you"));
    assert_eq!(error.to_string(), "the SFU refused to publish 'a': NOT_ALLOWED (no data for you)");
    // Refused is not abandoned: a stray acceptance later is not "undone".
    p.handle_publish_response(h, "DTR_a", &TrackMetadata::NONE, t0);
    assert!(drain(&mut p).is_empty());
}

#[test]
fn a_full_reconnect_republishes_under_the_same_handle() {
    let (mut p, t0) = publisher();
    let h = published(&mut p, "a", t0);
    p.push_frame(h, &[1], None, &Extensions::NONE, false).unwrap();
    p.restarting();
    assert_eq!(p.state(h), Some(LocalTrackState::Republishing));
    // Pushes while republishing are dropped and counted; the queued frame was dropped too.
    assert_eq!(p.push_frame(h, &[2], None, &Extensions::NONE, false), Ok(PushResult::NotPublished));
    assert_eq!(p.stats(h).unwrap().frames_dropped_not_published, 2);
    assert!(drain(&mut p).is_empty());
    assert!(p.sync_state_tracks().is_empty());
    p.joined();
    assert_eq!(requests(&drain(&mut p)), [h]);
    p.handle_publish_response(h, "DTR_a2", &TrackMetadata::NONE, t0 + MS);
    assert_eq!(drain(&mut p), [PublisherEvent::Republished { handle: h, sid: "DTR_a2".into() }]);
    assert_eq!(p.sync_state_tracks()[0].sid, "DTR_a2");
    assert_eq!(p.push_frame(h, &[3], None, &Extensions::NONE, false), Ok(PushResult::Queued));

    // A refused republish unpublishes the track.
    p.restarting();
    p.joined();
    drain(&mut p);
    p.handle_publish_rejected(h, RejectReason::from_code(2), "");
    assert_eq!(drain(&mut p), [PublisherEvent::Unpublished { handle: h, cause: UnpublishCause::RepublishRefused }]);
    assert_eq!(p.state(h), Some(LocalTrackState::Unpublished));
}

#[test]
fn pending_publishes_are_sent_again_after_the_rejoin() {
    let (mut p, t0) = publisher();
    let h = p.publish(named("a"), t0).unwrap();
    drain(&mut p);
    p.restarting();
    // A publish issued while restarting waits for the join too.
    let h2 = p.publish(named("b"), t0).unwrap();
    assert!(drain(&mut p).is_empty());
    p.joined();
    assert_eq!(requests(&drain(&mut p)), [h, h2]);
    // The deadline is the first one: the reconnect does not extend it.
    assert_eq!(p.poll_timeout(), Some(t0 + DEFAULT_PUBLISH_TIMEOUT));
    p.handle_publish_response(h, "DTR_a", &TrackMetadata::NONE, t0 + MS);
    assert!(matches!(drain(&mut p).as_slice(), [PublisherEvent::Published(t)] if t.handle == h));
}

#[test]
fn at_most_the_window_of_publish_requests_is_in_flight() {
    let (mut p, t0) = publisher();
    let handles: Vec<u16> = (0..70).map(|i| p.publish(named(&format!("t{i}")), t0).unwrap()).collect();
    assert_eq!(requests(&drain(&mut p)), handles[..64]);
    // Each answer lets one more out, in order; a failure frees its slot as well.
    p.handle_publish_response(handles[0], "DTR_0", &TrackMetadata::NONE, t0);
    assert_eq!(requests(&drain(&mut p)), [handles[64]]);
    p.handle_publish_rejected(handles[1], RejectReason::from_code(6), "");
    assert_eq!(requests(&drain(&mut p)), [handles[65]]);
    p.cancel_publish(handles[2]);
    assert_eq!(requests(&drain(&mut p)), [handles[66]]);
    // A waiting publish given up frees nothing and is never sent.
    p.cancel_publish(handles[69]);
    p.handle_publish_response(handles[3], "DTR_3", &TrackMetadata::NONE, t0);
    assert_eq!(requests(&drain(&mut p)), [handles[67]]);
    p.handle_publish_response(handles[4], "DTR_4", &TrackMetadata::NONE, t0);
    assert_eq!(requests(&drain(&mut p)), [handles[68]]);
    p.handle_publish_response(handles[5], "DTR_5", &TrackMetadata::NONE, t0);
    assert_eq!(requests(&drain(&mut p)), Vec::<u16>::new());
}

#[test]
fn republish_requests_share_the_window() {
    let (mut p, t0) = publisher();
    let handles: Vec<u16> = (0..66).map(|i| published(&mut p, &format!("t{i}"), t0)).collect();
    p.restarting();
    p.joined();
    assert_eq!(requests(&drain(&mut p)).len(), 64);
    p.handle_publish_response(handles[0], "DTR_new", &TrackMetadata::NONE, t0);
    assert_eq!(requests(&drain(&mut p)), [handles[64]]);
}

#[test]
fn unpublish_waits_for_the_answer_or_its_timeout() {
    let (mut p, t0) = publisher();
    let h = published(&mut p, "a", t0);
    p.push_frame(h, &[1; 10], None, &Extensions::NONE, false).unwrap();
    p.poll_transmit(0, t0).unwrap();
    p.unpublish(h, t0);
    assert_eq!(
        drain(&mut p),
        [PublisherEvent::Unpublished { handle: h, cause: UnpublishCause::Requested }, PublisherEvent::SendUnpublishRequest { handle: h }]
    );
    // A second call while waiting adds nothing.
    p.unpublish(h, t0 + MS);
    assert!(drain(&mut p).is_empty());
    assert_eq!(p.poll_timeout(), Some(t0 + DEFAULT_UNPUBLISH_TIMEOUT));
    p.handle_timeout(t0 + DEFAULT_UNPUBLISH_TIMEOUT);
    assert_eq!(drain(&mut p), [PublisherEvent::UnpublishDone { handle: h }]);
    // The final counters stay readable; the track takes no frames.
    let s = p.stats(h).unwrap();
    assert_eq!((s.frames_sent, s.packets_sent, s.queued_frames), (1, 1, 0));
    assert_eq!(p.push_frame(h, &[1], None, &Extensions::NONE, false), Err(LocalManagerError::UnknownTrack(h)));
    // Done is done: unpublish again is over at once.
    p.unpublish(h, t0);
    assert_eq!(drain(&mut p), [PublisherEvent::UnpublishDone { handle: h }]);
    assert!(p.publish(named("a"), t0).is_ok());
}

#[test]
fn unpublish_answers_and_the_sfu_taking_a_track_away() {
    let (mut p, t0) = publisher();
    let a = published(&mut p, "a", t0);
    let b = published(&mut p, "b", t0);
    p.unpublish(a, t0);
    drain(&mut p);
    p.handle_unpublish_response(a, "DTR_a");
    assert_eq!(drain(&mut p), [PublisherEvent::UnpublishDone { handle: a }]);
    assert_eq!(p.poll_timeout(), None);
    // Unasked, with a SID that is not the track's: ignored; with its SID: the SFU took it away.
    p.handle_unpublish_response(b, "DTR_other");
    assert!(drain(&mut p).is_empty());
    p.handle_unpublish_response(b, "DTR_b");
    assert_eq!(drain(&mut p), [PublisherEvent::Unpublished { handle: b, cause: UnpublishCause::BySfu }]);
    // A refused unpublish is over too.
    let c = published(&mut p, "c", t0);
    p.unpublish(c, t0);
    drain(&mut p);
    p.handle_unpublish_rejected(c);
    assert_eq!(drain(&mut p), [PublisherEvent::UnpublishDone { handle: c }]);
}

#[test]
fn a_full_reconnect_ends_unpublish_waits() {
    let (mut p, t0) = publisher();
    let a = published(&mut p, "a", t0);
    p.unpublish(a, t0);
    drain(&mut p);
    p.restarting();
    assert_eq!(drain(&mut p), [PublisherEvent::UnpublishDone { handle: a }]);
}

#[test]
fn disconnect_fails_pending_publishes_and_unpublishes_tracks() {
    let (mut p, t0) = publisher();
    let a = published(&mut p, "a", t0);
    let b = p.publish(named("b"), t0).unwrap();
    drain(&mut p);
    p.disconnected();
    assert_eq!(
        drain(&mut p),
        [
            PublisherEvent::Unpublished { handle: a, cause: UnpublishCause::Disconnected },
            PublisherEvent::PublishFailed { handle: b, error: PublishError::Disconnected },
        ]
    );
    assert_eq!(p.publish(named("c"), t0), Err(PublishError::Disconnected));
    p.unpublish(a, t0);
    assert_eq!(drain(&mut p), [PublisherEvent::UnpublishDone { handle: a }]);
    assert_eq!(p.poll_timeout(), None);
}

#[test]
fn queue_policies_and_counters() {
    let (mut p, t0) = publisher();
    let h = p.publish(PublishOptions { queue_capacity: Some(2), ..named("a") }, t0).unwrap();
    p.handle_publish_response(h, "DTR_a", &TrackMetadata::NONE, t0);
    let e = Extensions::NONE;
    assert_eq!(p.push_frame(h, &[1], None, &e, false), Ok(PushResult::Queued));
    assert_eq!(p.push_frame(h, &[2], None, &e, false), Ok(PushResult::Queued));
    // The track's own capacity (2 of the room's 4) applies to both policies.
    assert_eq!(p.push_frame(h, &[3], None, &e, false), Ok(PushResult::Full));
    assert_eq!(p.push_frame(h, &[4], None, &e, true), Ok(PushResult::QueuedDroppedOldest));
    p.count_encryption_failure(h);
    let s = p.stats(h).unwrap();
    assert_eq!((s.frames_dropped_queue_full, s.frames_dropped_encryption_failed, s.queued_frames), (2, 1, 2));
    // A capacity above the room's is the room's.
    let big = p.publish(PublishOptions { queue_capacity: Some(100), ..named("b") }, t0).unwrap();
    p.handle_publish_response(big, "DTR_b", &TrackMetadata::NONE, t0);
    let pushed = (0..5).map(|i| p.push_frame(big, &[i], None, &e, false).unwrap()).collect::<Vec<_>>();
    assert_eq!(pushed.last(), Some(&PushResult::Full));
    assert_eq!(p.stats(big).unwrap().queued_frames, 4);
}

#[test]
fn handles_run_out() {
    let (mut p, t0) = publisher();
    for i in 0..65535u32 {
        let h = p.publish(named(&i.to_string()), t0).unwrap();
        p.cancel_publish(h);
    }
    assert_eq!(p.publish(named("one more"), t0), Err(PublishError::LimitReached));
}

#[test]
fn a_resumable_batch_stops_uncounted_at_a_full_queue_and_takes_what_is_transmitted_at_once() {
    let (mut p, t0) = publisher();
    let h = published(&mut p, "a", t0);
    let (data, ends, stamps) = (b"abcdefgh", [1, 2, 3, 4, 5, 6, 7, 8], Some(&[1, 2, 3, 4, 5, 6, 7, 8][..]));
    let resumable = |transmit_now| BatchPush::Resumable { transmit_now };
    let counts = p.push_frames(h, data, &ends, stamps, 0, resumable(0)).unwrap();
    assert_eq!(counts, PushCounts { queued: 4, ..Default::default() });
    assert_eq!(p.stats(h).unwrap().frames_dropped_queue_full, 0);
    // Past the capacity (4) only for the frames the caller transmits at once.
    let counts = p.push_frames(h, data, &ends, stamps, 4, resumable(2)).unwrap();
    assert_eq!(counts, PushCounts { queued: 2, ..Default::default() });
    assert_eq!(p.stats(h).unwrap().queued_frames, 6);
    while p.poll_transmit(1, t0).is_some() {}
    // With the policy, the queue refuses (and counts) or evicts.
    let counts = p.push_frames(h, data, &ends, None, 2, BatchPush::Policy { drop_oldest: false }).unwrap();
    assert_eq!(counts, PushCounts { queued: 4, full: 2, ..Default::default() });
    assert_eq!(p.stats(h).unwrap().frames_dropped_queue_full, 2);
    let counts = p.push_frames(h, data, &ends, None, 7, BatchPush::Policy { drop_oldest: true }).unwrap();
    assert_eq!(counts, PushCounts { queued_dropped_oldest: 1, ..Default::default() });
    assert!(p.push_frames(h, data, &[2, 1], None, 0, resumable(0)).is_err());
}
