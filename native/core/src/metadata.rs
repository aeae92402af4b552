//! What a publisher says about its frames, as the signal protocol carries it: the frame encoding
//! and the schema id, each a well-known code or a custom string. The core stores and echoes
//! these (republish, SyncState, discovery); it never interprets them.

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// A protocol enum value (DataTrackFrameEncoding / DataTrackSchemaEncoding well-known codes).
    WellKnown(i32),
    Custom(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaId {
    pub name: String,
    pub encoding: Encoding,
}

impl SchemaId {
    pub fn named(name: &str, encoding: Encoding) -> SchemaId {
        SchemaId { name: name.to_owned(), encoding }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrackMetadata {
    pub frame_encoding: Option<Encoding>,
    pub schema: Option<SchemaId>,
}

impl TrackMetadata {
    pub const NONE: TrackMetadata = TrackMetadata { frame_encoding: None, schema: None };

    /// `self` with each field the other side stated replacing ours (the SFU's answer wins).
    pub fn overridden_by(&self, answer: &TrackMetadata) -> TrackMetadata {
        TrackMetadata {
            frame_encoding: self.frame_encoding.as_ref().map(|f| answer.frame_encoding.clone().unwrap_or_else(|| f.clone())),
            schema: self.schema.as_ref().map(|s| answer.schema.clone().unwrap_or_else(|| s.clone())),
        }
    }
}
