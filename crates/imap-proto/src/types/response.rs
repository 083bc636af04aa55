//! Responses (RFC 3501 section 7, RFC 9051 section 7, and the listed extensions).

use std::num::NonZeroU32;

use bytes::Bytes;

use super::capability::Capabilities;
use super::code::Code;
use super::extensions::rfc2342::Namespaces;
use super::extensions::rfc2971::IdParams;
use super::extensions::rfc4731::ESearch;
use super::extensions::rfc5256::Thread;
use super::extensions::rfc5258::MailboxAttr;
use super::extensions::rfc5464::MetadataEntry;
use super::extensions::rfc9208::QuotaResource;
use super::fetch::FetchItem;
use super::flag::Flag;
use super::mailbox::Mailbox;
use super::sequence::UidSet;
use super::status::StatusItem;
use super::string::{AString, Atom, IString, Tag};

/// One response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    /// A status response, tagged or untagged.
    Status(StatusResponse),
    /// Untagged data.
    Data(Data),
    /// A continuation request: `+ text` (or base64 for AUTHENTICATE).
    Continue(Continue),
}

/// The condition of a status response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Condition {
    /// `OK`.
    Ok,
    /// `NO`.
    No,
    /// `BAD`.
    Bad,
    /// `PREAUTH` (greeting, untagged).
    PreAuth,
    /// `BYE` (untagged).
    Bye,
}

impl Condition {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::No => "NO",
            Self::Bad => "BAD",
            Self::PreAuth => "PREAUTH",
            Self::Bye => "BYE",
        }
    }
}

/// A status response: `tag|* OK|NO|BAD|PREAUTH|BYE [code] text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusResponse {
    /// The tag; `None` for an untagged response.
    pub tag: Option<Tag>,
    /// The condition.
    pub condition: Condition,
    /// The response code.
    pub code: Option<Code>,
    /// The human-readable text (may be empty: servers send a code without text).
    pub text: Bytes,
}

/// A continuation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continue {
    /// The response code, if any.
    pub code: Option<Code>,
    /// The text (or the base64 challenge of AUTHENTICATE).
    pub text: Bytes,
}

/// One item of a STATUS reply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusAttr {
    /// A numeric item and its value (APPENDLIMIT has its own variant).
    Number(StatusItem, u64),
    /// `APPENDLIMIT n` or `APPENDLIMIT NIL` (no limit; RFC 7889).
    AppendLimit(Option<u64>),
    /// `MAILBOXID (objectid)` (RFC 8474).
    MailboxId(Atom),
    /// An item this crate does not know: its name and its value's raw octets.
    Other {
        /// The name.
        name: Atom,
        /// The value as sent.
        value: Bytes,
    },
}

/// A LIST or LSUB reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListItem {
    /// The attributes (`\Noselect`, `\HasChildren`, `\Drafts`, ...).
    pub attributes: Vec<MailboxAttr>,
    /// The hierarchy delimiter; `None` for NIL (a flat namespace).
    pub delimiter: Option<u8>,
    /// The mailbox.
    pub mailbox: Mailbox,
    /// Extended data (RFC 5258): `CHILDINFO ("SUBSCRIBED")`, `OLDNAME ("x")`; names with
    /// their values.
    pub extended: Vec<(AString, TaggedExtValue)>,
}

/// The value of extended LIST data (`tagged-ext-val`, RFC 5258 and RFC 9051).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TaggedExtValue {
    /// A string or a parenthesised list of strings (CHILDINFO, OLDNAME).
    Strings(Vec<IString>),
    /// Any other value (numbers, atoms, nested lists), as its wire octets.
    Raw(Bytes),
}

/// Untagged data.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Data {
    /// `CAPABILITY ...`.
    Capability(Capabilities),
    /// `LIST`.
    List(ListItem),
    /// `LSUB` (IMAP4rev1).
    Lsub(ListItem),
    /// `STATUS mailbox (item value ...)`.
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// The items and their values.
        items: Vec<StatusAttr>,
    },
    /// `SEARCH n...` (IMAP4rev1) with `(MODSEQ n)` of RFC 7162.
    Search {
        /// The matching numbers.
        numbers: Vec<u32>,
        /// The highest mod-sequence of the matches.
        modseq: Option<u64>,
    },
    /// `ESEARCH`.
    ESearch(ESearch),
    /// `FLAGS (...)`.
    Flags(Vec<Flag>),
    /// `n EXISTS`.
    Exists(u32),
    /// `n RECENT` (IMAP4rev1).
    Recent(u32),
    /// `n EXPUNGE`.
    Expunge(NonZeroU32),
    /// `n FETCH (...)`.
    Fetch {
        /// The message number.
        seq: NonZeroU32,
        /// The items.
        items: Vec<FetchItem>,
    },
    /// `VANISHED [(EARLIER)] uids` (RFC 7162).
    Vanished {
        /// `(EARLIER)`.
        earlier: bool,
        /// The UIDs.
        uids: UidSet,
    },
    /// `ENABLED caps...` (RFC 5161).
    Enabled(Vec<Atom>),
    /// `ID (...)` (RFC 2971).
    Id(IdParams),
    /// `NAMESPACE` (RFC 2342).
    Namespace(Namespaces),
    /// `QUOTA root (resource usage limit...)` (RFC 9208).
    Quota {
        /// The quota root.
        root: AString,
        /// The resources.
        resources: Vec<QuotaResource>,
    },
    /// `QUOTAROOT mailbox root...`.
    QuotaRoot {
        /// The mailbox.
        mailbox: Mailbox,
        /// Its quota roots.
        roots: Vec<AString>,
    },
    /// `METADATA mailbox (entry value ...)` (RFC 5464).
    Metadata {
        /// The mailbox.
        mailbox: Mailbox,
        /// The entries with values.
        entries: Vec<MetadataEntry>,
    },
    /// `METADATA mailbox entry...`: unsolicited change notice (names only).
    MetadataChanged {
        /// The mailbox.
        mailbox: Mailbox,
        /// The entries that changed.
        names: Vec<AString>,
    },
    /// `SORT n...` (RFC 5256) with `(MODSEQ n)`.
    Sort {
        /// The numbers in order.
        numbers: Vec<u32>,
        /// The highest mod-sequence.
        modseq: Option<u64>,
    },
    /// `THREAD (...)...` (RFC 5256).
    Thread(Vec<Thread>),
    /// Untagged data this crate does not know, kept: its keyword and the rest of its line.
    Other {
        /// The keyword (or the number before it, for `n KEYWORD`).
        name: Bytes,
        /// The rest of the first line, raw.
        rest: Bytes,
    },
}
