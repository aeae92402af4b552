//! DTP v0 ("packet v0"): the wire format of one `_data_track` data-channel message.
//!
//! `header` and `extension` hold the in-memory model, `serialize`/`deserialize` convert it with
//! the reference (client) rules, and `forward` re-emits a packet the way the SFU does.

mod deserialize;
mod error;
mod extension;
mod forward;
mod header;
mod serialize;

pub use deserialize::{deserialize, PacketRef};
pub use error::DeserializeError;
pub use extension::{E2eeExt, Extensions, E2EE_IV_LEN, E2EE_LEN, E2EE_TAG, USER_TIMESTAMP_LEN, USER_TIMESTAMP_TAG};
pub use forward::{forward, ForwardPlan};
pub use header::{FrameMarker, Header, BASE_HEADER_LEN, MAX_HEADER_LEN};
pub use serialize::serialize;
