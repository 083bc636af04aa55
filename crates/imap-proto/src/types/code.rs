//! Response codes (RFC 3501 section 7.1, RFC 9051 section 7.1, RFC 5530, and the listed
//! extensions'). Unknown codes are kept with their raw text.

use std::num::NonZeroU32;

use bytes::Bytes;

use super::capability::Capabilities;
use super::flag::FlagPerm;
use super::sequence::{SequenceSet, UidSet};
use super::string::{AString, Atom};

/// A response code: the bracketed part of `resp-text`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Code {
    /// `ALERT`.
    Alert,
    /// `BADCHARSET [(charsets)]`.
    BadCharset(Vec<AString>),
    /// `CAPABILITY ...`.
    Capability(Capabilities),
    /// `PARSE`.
    Parse,
    /// `PERMANENTFLAGS (...)`.
    PermanentFlags(Vec<FlagPerm>),
    /// `READ-ONLY`.
    ReadOnly,
    /// `READ-WRITE`.
    ReadWrite,
    /// `TRYCREATE`.
    TryCreate,
    /// `UIDNEXT n`.
    UidNext(NonZeroU32),
    /// `UIDVALIDITY n`.
    UidValidity(NonZeroU32),
    /// `UNSEEN n` (IMAP4rev1 only).
    Unseen(NonZeroU32),
    /// `CLOSED` (RFC 7162, IMAP4rev2).
    Closed,
    /// `HASCHILDREN` (RFC 9051).
    HasChildren,
    /// `NOTSAVED` (RFC 5182).
    NotSaved,
    /// `UNKNOWN-CTE` (RFC 3516).
    UnknownCte,
    /// `APPENDUID uidvalidity uids` (RFC 4315).
    AppendUid {
        /// The destination's UIDVALIDITY.
        uidvalidity: NonZeroU32,
        /// The new messages' UIDs.
        uids: UidSet,
    },
    /// `COPYUID uidvalidity source destination` (RFC 4315).
    CopyUid {
        /// The destination's UIDVALIDITY.
        uidvalidity: NonZeroU32,
        /// The source UIDs.
        source: UidSet,
        /// The destination UIDs.
        destination: UidSet,
    },
    /// `UIDNOTSTICKY` (RFC 4315).
    UidNotSticky,
    /// `HIGHESTMODSEQ n` (RFC 7162).
    HighestModSeq(u64),
    /// `NOMODSEQ` (RFC 7162).
    NoModSeq,
    /// `MODIFIED set` (RFC 7162).
    Modified(SequenceSet),
    /// `MAILBOXID (id)` (RFC 8474).
    MailboxId(Atom),
    /// `COMPRESSIONACTIVE` (RFC 4978).
    CompressionActive,
    /// `USEATTR` (RFC 6154).
    UseAttr,
    /// `METADATA LONGENTRIES n` (RFC 5464).
    MetadataLongEntries(u32),
    /// `METADATA MAXSIZE n`.
    MetadataMaxSize(u32),
    /// `METADATA TOOMANY`.
    MetadataTooMany,
    /// `METADATA NOPRIVATE`.
    MetadataNoPrivate,
    /// A code of RFC 5530 (`UNAVAILABLE`, `AUTHENTICATIONFAILED`, `OVERQUOTA`, ...), which
    /// take no argument.
    Rfc5530(Rfc5530),
    /// Another code: its name and the raw text up to `]`.
    Other {
        /// The name.
        name: Atom,
        /// The text after the name and a space, if any.
        value: Option<Bytes>,
    },
}

/// The response codes of RFC 5530.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[allow(missing_docs)]
pub enum Rfc5530 {
    Unavailable,
    AuthenticationFailed,
    AuthorizationFailed,
    Expired,
    PrivacyRequired,
    ContactAdmin,
    NoPerm,
    InUse,
    ExpungeIssued,
    Corruption,
    ServerBug,
    ClientBug,
    CanNot,
    Limit,
    OverQuota,
    AlreadyExists,
    NonExistent,
}

impl Rfc5530 {
    const ALL: [Self; 17] = [
        Self::Unavailable,
        Self::AuthenticationFailed,
        Self::AuthorizationFailed,
        Self::Expired,
        Self::PrivacyRequired,
        Self::ContactAdmin,
        Self::NoPerm,
        Self::InUse,
        Self::ExpungeIssued,
        Self::Corruption,
        Self::ServerBug,
        Self::ClientBug,
        Self::CanNot,
        Self::Limit,
        Self::OverQuota,
        Self::AlreadyExists,
        Self::NonExistent,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unavailable => "UNAVAILABLE",
            Self::AuthenticationFailed => "AUTHENTICATIONFAILED",
            Self::AuthorizationFailed => "AUTHORIZATIONFAILED",
            Self::Expired => "EXPIRED",
            Self::PrivacyRequired => "PRIVACYREQUIRED",
            Self::ContactAdmin => "CONTACTADMIN",
            Self::NoPerm => "NOPERM",
            Self::InUse => "INUSE",
            Self::ExpungeIssued => "EXPUNGEISSUED",
            Self::Corruption => "CORRUPTION",
            Self::ServerBug => "SERVERBUG",
            Self::ClientBug => "CLIENTBUG",
            Self::CanNot => "CANNOT",
            Self::Limit => "LIMIT",
            Self::OverQuota => "OVERQUOTA",
            Self::AlreadyExists => "ALREADYEXISTS",
            Self::NonExistent => "NONEXISTENT",
        }
    }

    /// The code named `word` (any case).
    pub fn from_wire(word: &[u8]) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str().as_bytes().eq_ignore_ascii_case(word))
    }
}
