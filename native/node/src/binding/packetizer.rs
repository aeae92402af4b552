use std::cell::RefCell;
use std::time::Instant;

use napi::bindgen_prelude::This;
use napi::{Env, Unknown};
use napi_derive::napi;

use super::args;
use super::error::{entry, Failure};
use super::out;
use crate::local::{self, DEFAULT_MTU};

/// The packets of single frames, for tests and tools (the SDK uses LocalManager).
#[napi]
pub struct Packetizer {
    /// RefCell: a getter run while reading arguments may call back into this object.
    inner: RefCell<local::Packetizer>,
}

#[napi]
impl Packetizer {
    /// handle 1..65535; mtu defaults to 16000.
    #[napi(catch_unwind, constructor, ts_args_type = "handle: number, mtu?: number | null")]
    pub fn new<'e>(env: &'e Env, this: This<'e>, handle: Unknown<'e>, mtu: Unknown<'e>) -> napi::Result<Self> {
        entry(env, || {
            args::constructed::<Packetizer>(env, &this, "Packetizer")?;
            let handle = args::u16_in(&handle, "handle", 1)?;
            let mtu = if args::is_nullish(&mtu)? { DEFAULT_MTU } else { args::size(&mtu, "mtu")? };
            Ok(Packetizer { inner: RefCell::new(local::Packetizer::new(handle, mtu, Instant::now())) })
        })
    }

    /// Packets of one frame, in send order. An empty payload consumes a frame number and returns [].
    /// Throws MtuTooShort (without consuming a frame number) when the header does not fit the MTU.
    #[napi(
        catch_unwind,
        ts_args_type = "payload: Uint8Array, userTimestamp: bigint | null, e2ee: E2eeExtension | null",
        ts_return_type = "Buffer[]"
    )]
    pub fn packetize<'e>(
        &self,
        env: &'e Env,
        payload: Unknown<'e>,
        user_timestamp: Unknown<'e>,
        e2ee: Unknown<'e>,
    ) -> napi::Result<Vec<Unknown<'e>>> {
        entry(env, || {
            let mut packetizer = self.inner.try_borrow_mut().map_err(|_| Failure::reentrant("Packetizer"))?;
            let ext = args::extensions(&user_timestamp, &e2ee)?;
            let payload = args::bytes(&payload, "payload")?;
            let plan = packetizer.plan(payload.len(), &ext, Instant::now())?;
            // Each packet is written straight into its own Buffer.
            let mut packets = Vec::with_capacity(plan.packet_count());
            for i in 0..plan.packet_count() {
                let len = plan.packet_len(i);
                let mut written = 0;
                packets.push(out::buffer(env, len, |out| written = plan.write_packet(i, &payload, out))?);
                if written != len {
                    return Err(Failure::new("InvalidState", "packetization size mismatch"));
                }
            }
            Ok(packets)
        })
    }
}
