//! Our parser on arbitrary bytes: never panics, and what it accepts re-serializes into bytes that
//! parse back to the same header and payload. The SFU's forward path parses with the SFU's own,
//! different rules (packet/forward.rs), so it is only checked where both accept: the forwarded
//! packet still parses, with the new handle and the same base fields and payload.
#![no_main]

use libfuzzer_sys::fuzz_target;
use livekit_datatrack_core::packet::{deserialize, forward, serialize, Header};

const NEW_HANDLE: u16 = 0x1234;

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = deserialize(data) else { return };
    let bytes = serialize(&packet.header, packet.payload);
    let again = deserialize(&bytes).expect("our own serialization parses");
    assert_eq!(again.header, packet.header);
    assert_eq!(again.payload, packet.payload);

    let Ok(forwarded) = forward(data, NEW_HANDLE) else { return };
    let routed = deserialize(&forwarded).expect("a forwarded packet parses");
    // Extensions after a 0x00 ID are lost on the SFU path; everything else must survive.
    assert_eq!(routed.header, Header { handle: NEW_HANDLE, extensions: routed.header.extensions, ..packet.header });
    assert_eq!(routed.payload, packet.payload);
});
