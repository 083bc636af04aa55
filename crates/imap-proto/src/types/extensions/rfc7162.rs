//! CONDSTORE and QRESYNC (RFC 7162): SELECT parameters, FETCH and STORE modifiers, and the
//! entry types of the MODSEQ search key.

use super::super::sequence::{SequenceSet, UidSet};

/// `entry-type-req` of the MODSEQ search key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryType {
    /// `priv`.
    Private,
    /// `shared`.
    Shared,
    /// `all`.
    All,
}

impl EntryType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Private => "priv",
            Self::Shared => "shared",
            Self::All => "all",
        }
    }

    pub(crate) fn from_wire(word: &[u8]) -> Option<Self> {
        [Self::Private, Self::Shared, Self::All]
            .into_iter()
            .find(|t| t.as_str().as_bytes().eq_ignore_ascii_case(word))
    }
}

/// The QRESYNC parameter of SELECT/EXAMINE (RFC 7162 section 3.2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QresyncParams {
    /// The UIDVALIDITY the client knows.
    pub uidvalidity: u32,
    /// The highest mod-sequence the client knows.
    pub modseq: u64,
    /// The UIDs the client knows.
    pub known_uids: Option<UidSet>,
    /// Message sequence numbers and the UIDs they had (`seq-match-data`).
    pub seq_match: Option<(SequenceSet, UidSet)>,
}

/// Parameters of SELECT and EXAMINE.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SelectParams {
    /// `CONDSTORE`.
    pub condstore: bool,
    /// `QRESYNC (...)`.
    pub qresync: Option<QresyncParams>,
}

impl SelectParams {
    /// True when no parameter is given.
    pub fn is_empty(&self) -> bool {
        !self.condstore && self.qresync.is_none()
    }
}

/// FETCH modifiers: `CHANGEDSINCE` and `VANISHED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FetchModifiers {
    /// `CHANGEDSINCE mod-sequence`.
    pub changed_since: Option<u64>,
    /// `VANISHED` (UID FETCH with CHANGEDSINCE under QRESYNC).
    pub vanished: bool,
}

impl FetchModifiers {
    /// True when no modifier is given.
    pub fn is_empty(&self) -> bool {
        self.changed_since.is_none() && !self.vanished
    }
}
