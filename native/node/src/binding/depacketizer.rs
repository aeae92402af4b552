use std::cell::RefCell;

use napi::bindgen_prelude::This;
use napi::{Env, Unknown};
use napi_derive::napi;

use super::args;
use super::error::{entry, Failure};
use super::out;
use super::shapes::{self, DepacketizerDrop, DepacketizerPush, ReassembledFrame};
use crate::packet::deserialize;
use crate::remote::{self, Payload, DEFAULT_MAX_PARTIAL_FRAMES};

/// Reassembly of one packet stream, for tests and tools (the SDK uses RemoteManager).
#[napi]
pub struct Depacketizer {
    /// RefCell: a getter run while reading arguments may call back into this object.
    inner: RefCell<remote::Depacketizer>,
}

#[napi]
impl Depacketizer {
    /// maxPartialFrames defaults to 1 and is clamped to 1..256.
    #[napi(catch_unwind, constructor, ts_args_type = "maxPartialFrames?: number | null")]
    pub fn new<'e>(env: &'e Env, this: This<'e>, max_partial_frames: Unknown<'e>) -> napi::Result<Self> {
        entry(env, || {
            args::constructed::<Depacketizer>(env, &this, "Depacketizer")?;
            let max = if args::is_nullish(&max_partial_frames)? {
                DEFAULT_MAX_PARTIAL_FRAMES
            } else {
                args::integer_in(&max_partial_frames, "maxPartialFrames", 0, u32::MAX)? as usize
            };
            Ok(Depacketizer { inner: RefCell::new(remote::Depacketizer::new(max)) })
        })
    }

    /// Feeds one serialized packet; returns completed frames and drops caused by this packet (at
    /// most one of each). Throws the codec error for bytes that do not parse.
    #[napi(catch_unwind, ts_args_type = "packet: Uint8Array")]
    pub fn push<'e>(&self, env: &'e Env, packet: Unknown<'e>) -> napi::Result<DepacketizerPush<'e>> {
        entry(env, || {
            let mut depacketizer = self.inner.try_borrow_mut().map_err(|_| Failure::reentrant("Depacketizer"))?;
            let bytes = args::bytes(&packet, "packet")?;
            let packet = deserialize(&bytes)?;
            let outcome = depacketizer.push(&packet);
            let drops = outcome.drop.iter().map(DepacketizerDrop::from).collect();
            let mut frames = Vec::new();
            if let Some(frame) = outcome.frame {
                let payload = frame.payload.as_slice();
                let buffer = out::buffer(env, payload.len(), |out| out.copy_from_slice(payload))?;
                let extensions = frame.extensions;
                if let Payload::Owned(buf) = frame.payload {
                    depacketizer.reuse_buffer(buf);
                }
                frames.push(ReassembledFrame {
                    payload: buffer,
                    user_timestamp: shapes::user_timestamp(&extensions),
                    e2ee: shapes::e2ee(env, &extensions)?,
                });
            }
            Ok(DepacketizerPush { frames, drops })
        })
    }
}
