//! livekit-datatrack 0.1.13 (LiveKit's Rust data-track core, the release our vectors came from)
//! driven synchronously, as the reference our core is compared against.
//!
//! Its packetizer and depacketizer are private; the public way in is its two async managers, so
//! each side here runs one manager on a current-thread tokio runtime and plays the SFU's part in
//! the signalling (publish response, publication update, subscriber handles) with
//! livekit-protocol messages. Tokio's current-thread scheduler is deterministic: a packet is
//! processed within a few scheduler turns of being sent, with no timers involved.
//!
//! Shared by tests/oracle.rs, native/fuzz and native/bench-instructions (the last two via `#[path]`).

#![allow(dead_code)]

pub mod codec;

use std::collections::HashMap;

use bytes::Bytes;
use futures_util::{FutureExt, StreamExt};
use livekit_datatrack::api::{
    DataTrackFrame, DataTrackOptions, DataTrackStream, DataTrackSubscribeOptions, LocalDataTrack,
    RemoteDataTrack, RemoteDataTrackPipelineOptions,
};
use livekit_datatrack::backend::{local, remote};
use livekit_datatrack_core::remote::{RemoteManager, RemoteTrackDescriptor};
use livekit_protocol as proto;
use tokio::runtime::Runtime;

/// Their transport MTU (a private constant of their local pipeline; fixed, not configurable).
pub const MTU: usize = 16_000;
const TRACK_SID: &str = "DTR_oracle";
const TRACK_NAME: &str = "oracle";
/// Scheduler turns granted per input: the manager task, then the track task, with slack.
const TURNS: usize = 2;
/// Their broadcast buffer of received frames; drained after every packet, so never lagging.
const FRAME_BUFFER: usize = 64;

thread_local! {
    /// One runtime per thread for every driver: building one per driver would dominate short
    /// runs (the fuzzer makes two drivers per input). A dropped driver's manager task ends on
    /// the runtime's next turn (their input handle's drop guard sends Shutdown).
    static RUNTIME: Runtime =
        tokio::runtime::Builder::new_current_thread().enable_time().build().expect("tokio runtime");
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    RUNTIME.with(|rt| rt.block_on(f))
}

async fn turns() {
    for _ in 0..TURNS {
        tokio::task::yield_now().await;
    }
}

fn track_info(pub_handle: u32) -> proto::DataTrackInfo {
    proto::DataTrackInfo {
        pub_handle,
        sid: TRACK_SID.into(),
        name: TRACK_NAME.into(),
        ..Default::default()
    }
}

/// Their publisher: one published track, frames in, serialized packets out.
pub struct Publisher {
    _input: local::ManagerInput,
    output: local::ManagerOutput,
    track: LocalDataTrack,
    handle: u16,
}

impl Publisher {
    pub fn new() -> Self {
        let (input, mut output, track, handle) = block_on(async {
            let (manager, input, mut output) = local::Manager::new(local::ManagerOptions { encryption_provider: None });
            tokio::spawn(manager.run());
            let sfu = async {
                let Some(local::OutputEvent::SfuPublishRequest(request)) = output.next().await else {
                    panic!("expected a publish request");
                };
                let handle: u16 = request.handle.into();
                let response = proto::PublishDataTrackResponse { info: Some(track_info(handle.into())) };
                input.send(local::SfuPublishResponse::try_from(response).expect("response").into()).expect("send");
                handle
            };
            let (track, handle) = tokio::join!(input.publish_track(DataTrackOptions::new(TRACK_NAME)), sfu);
            (input, output, track.expect("publish"), handle)
        });
        // Nothing else may be pending on the output.
        assert!(block_on(async { output.next().now_or_never() }).is_none());
        Publisher { _input: input, output, track, handle }
    }

    /// The handle their allocator gave the track (the first one: 1).
    pub fn handle(&self) -> u16 {
        self.handle
    }

    /// One frame → its packets (none for an empty frame).
    pub fn packetize(&mut self, payload: Bytes, user_timestamp: Option<u64>) -> Vec<Bytes> {
        let mut frame = DataTrackFrame::new(payload);
        if let Some(ts) = user_timestamp {
            frame = frame.with_user_timestamp(ts);
        }
        self.track.try_push(frame).expect("push");
        let output = &mut self.output;
        block_on(async {
            match output.next().await {
                Some(local::OutputEvent::PacketsAvailable(packets)) => packets,
                other => panic!("expected packets, got {other:?}"),
            }
        })
    }
}

impl Default for Publisher {
    fn default() -> Self {
        Publisher::new()
    }
}

/// A frame their subscriber delivered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReceivedFrame {
    pub payload: Bytes,
    pub user_timestamp: Option<u64>,
}

/// Their subscriber: one subscribed track under `sub_handle`, packets in, frames out.
pub struct Subscriber {
    input: remote::ManagerInput,
    _output: remote::ManagerOutput,
    track: RemoteDataTrack,
    stream: DataTrackStream,
}

impl Subscriber {
    pub fn new(sub_handle: u16, max_partial_frames: usize) -> Self {
        let (input, output, track, stream) = block_on(async {
            let (manager, input, mut output) = remote::Manager::new(remote::ManagerOptions { decryption_provider: None });
            tokio::spawn(manager.run());
            let mut update = proto::ParticipantUpdate {
                participants: vec![proto::ParticipantInfo {
                    identity: "publisher".into(),
                    data_tracks: vec![track_info(1)],
                    ..Default::default()
                }],
            };
            let event = remote::event_from_participant_update(&mut update, "subscriber").expect("update");
            input.send(event.into()).expect("send");
            let Some(remote::OutputEvent::TrackPublished(published)) = output.next().await else {
                panic!("expected a published track");
            };
            let track = published.track;
            track.set_pipeline_options(RemoteDataTrackPipelineOptions::new().with_max_partial_frames(max_partial_frames));
            let sfu = async {
                let Some(remote::OutputEvent::SfuUpdateSubscription(update)) = output.next().await else {
                    panic!("expected a subscription update");
                };
                assert!(update.subscribe);
                let handles = proto::DataTrackSubscriberHandles {
                    sub_handles: HashMap::from([(
                        u32::from(sub_handle),
                        proto::data_track_subscriber_handles::PublishedDataTrack {
                            track_sid: TRACK_SID.into(),
                            ..Default::default()
                        },
                    )]),
                };
                input.send(remote::SfuSubscriberHandles::try_from(handles).expect("handles").into()).expect("send");
            };
            let options = DataTrackSubscribeOptions::new().with_buffer_size(FRAME_BUFFER);
            let (stream, ()) = tokio::join!(track.subscribe_with_options(options), sfu);
            (input, output, track, stream.expect("subscribe"))
        });
        Subscriber { input, _output: output, track, stream }
    }

    /// Changes the live subscription's max_partial_frames (their set_pipeline_options).
    pub fn set_max_partial_frames(&mut self, max_partial_frames: usize) {
        self.track.set_pipeline_options(RemoteDataTrackPipelineOptions::new().with_max_partial_frames(max_partial_frames));
        block_on(turns());
    }

    /// One packet in → the frames it completed (normally zero or one).
    pub fn push(&mut self, packet: Bytes) -> Vec<ReceivedFrame> {
        self.push_many(std::slice::from_ref(&packet))
    }

    /// Packets in, in order → the frames they completed. Sent `BATCH` at a time, each batch
    /// processed before the next is sent: their manager drops packets its track task has no
    /// room for (16 queued), so this never fills it.
    pub fn push_many(&mut self, packets: &[Bytes]) -> Vec<ReceivedFrame> {
        const BATCH: usize = 8;
        let (input, stream) = (&self.input, &mut self.stream);
        block_on(async {
            let mut frames = Vec::new();
            for batch in packets.chunks(BATCH) {
                for packet in batch {
                    input.send(remote::InputEvent::PacketReceived(packet.clone())).expect("send");
                }
                turns().await;
                while let Some(Some(frame)) = stream.next().now_or_never() {
                    frames.push(ReceivedFrame { payload: frame.payload(), user_timestamp: frame.user_timestamp() });
                }
            }
            frames
        })
    }
}

/// Our receive path set up like theirs: one track subscribed under `sub_handle`, routed by
/// RemoteManager as the binding drives it. Returns the manager and the track's id.
pub fn our_subscriber(sub_handle: u16, max_partial_frames: usize) -> (RemoteManager, u32) {
    let mut m = RemoteManager::new();
    let desc = RemoteTrackDescriptor { sid: TRACK_SID.into(), pub_handle: 1, name: TRACK_NAME.into(), uses_e2ee: false };
    let id = m.update_participant("publisher", &[desc]).published[0].0;
    m.subscribe(id, max_partial_frames).expect("subscribe");
    m.set_subscriber_handles([(sub_handle, TRACK_SID.to_string())]);
    (m, id)
}
