//! METADATA (RFC 5464): GETMETADATA options and SETMETADATA values.

use bytes::Bytes;

use super::super::string::AString;

/// The DEPTH option of GETMETADATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Depth {
    /// `0`.
    Zero,
    /// `1`.
    One,
    /// `infinity`.
    Infinity,
}

/// The options of GETMETADATA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GetMetadataOptions {
    /// `MAXSIZE n`.
    pub max_size: Option<u32>,
    /// `DEPTH`.
    pub depth: Option<Depth>,
}

/// An entry's value in SETMETADATA or a METADATA reply: `NIL` (remove) or octets (a
/// `literal8` when they hold NUL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataEntry {
    /// The entry name (`/private/comment`).
    pub name: AString,
    /// The value, `None` for NIL.
    pub value: Option<Bytes>,
}
