//! SEARCH keys (RFC 3501 section 6.4.4, RFC 9051 section 6.4.4, MODSEQ of RFC 7162, EMAILID
//! and THREADID of RFC 8474) and ESEARCH return options (RFC 4731, SAVE of RFC 5182).

use super::datetime::Date;
use super::extensions::rfc7162::EntryType;
use super::sequence::{SequenceSet, UidSet};
use super::string::{AString, Atom};

/// One search key. A list of keys means all of them (`And`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SearchKey {
    /// `ALL`.
    All,
    /// `ANSWERED`.
    Answered,
    /// `BCC string`.
    Bcc(AString),
    /// `BEFORE date`.
    Before(Date),
    /// `BODY string`.
    Body(AString),
    /// `CC string`.
    Cc(AString),
    /// `DELETED`.
    Deleted,
    /// `DRAFT`.
    Draft,
    /// `FLAGGED`.
    Flagged,
    /// `FROM string`.
    From(AString),
    /// `HEADER field-name string`.
    Header(AString, AString),
    /// `KEYWORD flag-keyword`.
    Keyword(Atom),
    /// `LARGER n`.
    Larger(u64),
    /// `NEW` (IMAP4rev1).
    New,
    /// `NOT key`.
    Not(Box<SearchKey>),
    /// `OLD` (IMAP4rev1).
    Old,
    /// `ON date`.
    On(Date),
    /// `OR key key`.
    Or(Box<SearchKey>, Box<SearchKey>),
    /// `RECENT` (IMAP4rev1).
    Recent,
    /// `SEEN`.
    Seen,
    /// `SENTBEFORE date`.
    SentBefore(Date),
    /// `SENTON date`.
    SentOn(Date),
    /// `SENTSINCE date`.
    SentSince(Date),
    /// `SINCE date`.
    Since(Date),
    /// `SMALLER n`.
    Smaller(u64),
    /// `SUBJECT string`.
    Subject(AString),
    /// `TEXT string`.
    Text(AString),
    /// `TO string`.
    To(AString),
    /// `UID set`.
    Uid(UidSet),
    /// `UNANSWERED`.
    Unanswered,
    /// `UNDELETED`.
    Undeleted,
    /// `UNDRAFT`.
    Undraft,
    /// `UNFLAGGED`.
    Unflagged,
    /// `UNKEYWORD flag-keyword`.
    Unkeyword(Atom),
    /// `UNSEEN`.
    Unseen,
    /// A sequence set.
    SequenceSet(SequenceSet),
    /// `( key *(SP key) )`.
    And(Vec<SearchKey>),
    /// `MODSEQ [entry-name entry-type-req] mod-sequence-valzer` (RFC 7162).
    ModSeq {
        /// The metadata item and its type, when given.
        entry: Option<(AString, EntryType)>,
        /// The smallest mod-sequence.
        modseq: u64,
    },
    /// `EMAILID objectid` (RFC 8474).
    EmailId(Atom),
    /// `THREADID objectid` (RFC 8474).
    ThreadId(Atom),
}

/// An ESEARCH return option (RFC 4731, RFC 9051).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SearchReturn {
    /// `MIN`.
    Min,
    /// `MAX`.
    Max,
    /// `ALL`.
    All,
    /// `COUNT`.
    Count,
    /// `SAVE` (RFC 5182).
    Save,
}

impl SearchReturn {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Min => "MIN",
            Self::Max => "MAX",
            Self::All => "ALL",
            Self::Count => "COUNT",
            Self::Save => "SAVE",
        }
    }

    pub(crate) fn from_wire(word: &[u8]) -> Option<Self> {
        [Self::Min, Self::Max, Self::All, Self::Count, Self::Save]
            .into_iter()
            .find(|r| r.as_str().as_bytes().eq_ignore_ascii_case(word))
    }
}
