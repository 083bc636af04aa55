//! STATUS items (RFC 3501 section 6.3.10, RFC 9051 section 6.3.11; SIZE of RFC 8438,
//! HIGHESTMODSEQ of RFC 7162, APPENDLIMIT of RFC 7889, MAILBOXID of RFC 8474).

/// A STATUS data item name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StatusItem {
    /// `MESSAGES`.
    Messages,
    /// `RECENT` (IMAP4rev1 only).
    Recent,
    /// `UIDNEXT`.
    UidNext,
    /// `UIDVALIDITY`.
    UidValidity,
    /// `UNSEEN`.
    Unseen,
    /// `DELETED` (IMAP4rev2).
    Deleted,
    /// `SIZE` (IMAP4rev2, STATUS=SIZE).
    Size,
    /// `HIGHESTMODSEQ` (CONDSTORE).
    HighestModSeq,
    /// `APPENDLIMIT`.
    AppendLimit,
    /// `MAILBOXID` (OBJECTID).
    MailboxId,
    /// `DELETED-STORAGE` (QUOTA, RFC 9208 section 4.2).
    DeletedStorage,
}

impl StatusItem {
    const ALL: [Self; 11] = [
        Self::Messages,
        Self::Recent,
        Self::UidNext,
        Self::UidValidity,
        Self::Unseen,
        Self::Deleted,
        Self::Size,
        Self::HighestModSeq,
        Self::AppendLimit,
        Self::MailboxId,
        Self::DeletedStorage,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Messages => "MESSAGES",
            Self::Recent => "RECENT",
            Self::UidNext => "UIDNEXT",
            Self::UidValidity => "UIDVALIDITY",
            Self::Unseen => "UNSEEN",
            Self::Deleted => "DELETED",
            Self::Size => "SIZE",
            Self::HighestModSeq => "HIGHESTMODSEQ",
            Self::AppendLimit => "APPENDLIMIT",
            Self::MailboxId => "MAILBOXID",
            Self::DeletedStorage => "DELETED-STORAGE",
        }
    }

    /// The item named `word` (any case).
    pub fn from_wire(word: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|i| i.as_str().as_bytes().eq_ignore_ascii_case(word))
    }

    /// True when the item exists only in IMAP4rev1 (RECENT: RFC 9051 Appendix E).
    pub fn rev1_only(self) -> bool {
        matches!(self, Self::Recent)
    }
}
