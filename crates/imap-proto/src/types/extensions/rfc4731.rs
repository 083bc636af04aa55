//! ESEARCH results (RFC 4731, RFC 9051 section 7.3.4).

use super::super::sequence::SequenceSet;
use super::super::string::Tag;

/// One result of an ESEARCH response.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ESearchItem {
    /// `MIN n`.
    Min(u32),
    /// `MAX n`.
    Max(u32),
    /// `ALL set`.
    All(SequenceSet),
    /// `COUNT n`.
    Count(u32),
    /// `MODSEQ n` (RFC 7162).
    ModSeq(u64),
    /// A result this crate does not know (PARTIAL of RFC 9394, ...): its name and raw value.
    Other {
        /// The name.
        name: super::super::string::Atom,
        /// The value as sent.
        value: bytes::Bytes,
    },
}

/// An ESEARCH response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ESearch {
    /// The tag of the command it answers (`(TAG "A1")`).
    pub tag: Option<Tag>,
    /// The results are UIDs.
    pub uid: bool,
    /// The results.
    pub items: Vec<ESearchItem>,
}
