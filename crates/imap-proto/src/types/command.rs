//! Commands (RFC 3501 section 6, RFC 9051 section 6, and the listed extensions).

use bytes::Bytes;

use super::datetime::DateTime;
use super::extensions::rfc2971::IdParams;
use super::extensions::rfc5256::SortCriterion;
use super::extensions::rfc5258::{ListReturn, ListSelect, MailboxAttr};
use super::extensions::rfc5464::{GetMetadataOptions, MetadataEntry};
use super::extensions::rfc7162::{FetchModifiers, SelectParams};
use super::extensions::rfc9208::QuotaLimit;
use super::fetch::FetchItems;
use super::flag::Flag;
use super::mailbox::Mailbox;
use super::search::{SearchKey, SearchReturn};
use super::sequence::{SequenceSet, UidSet};
use super::status::StatusItem;
use super::string::{AString, Atom, Literal, Tag};

/// A command: its tag and what it asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// The tag.
    pub tag: Tag,
    /// The command.
    pub body: CommandBody,
}

impl Command {
    /// A command.
    pub fn new(tag: Tag, body: CommandBody) -> Self {
        Self { tag, body }
    }
}

/// The messages a command acts on: by sequence number, or by UID (the `UID` prefix).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageSet {
    /// Message sequence numbers.
    Seq(SequenceSet),
    /// UIDs (`UID COPY`, `UID FETCH`, ...).
    Uid(UidSet),
}

impl MessageSet {
    /// True for a UID command.
    pub fn is_uid(&self) -> bool {
        matches!(self, Self::Uid(_))
    }
}

/// The message data of APPEND.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppendData {
    /// The message, parsed with the command.
    Inline(Literal),
    /// A large message handed over in chunks by the framer; only its size is here.
    Streamed {
        /// The size.
        size: u64,
        /// A `literal8` (BINARY).
        binary: bool,
    },
}

/// One message of APPEND (several with MULTIAPPEND, RFC 3502).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendMessage {
    /// The flags to set.
    pub flags: Vec<Flag>,
    /// The internal date to give it.
    pub date: Option<DateTime>,
    /// The message.
    pub data: AppendData,
}

/// How STORE changes the flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreMode {
    /// `FLAGS`: replace.
    Replace,
    /// `+FLAGS`: add.
    Add,
    /// `-FLAGS`: remove.
    Remove,
}

/// The LIST command, basic or extended (RFC 5258).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListCommand {
    /// Selection options (LIST-EXTENDED).
    pub selection: Vec<ListSelect>,
    /// The reference name.
    pub reference: Mailbox,
    /// One or more patterns (`%` and `*` are wildcards).
    pub patterns: Vec<Mailbox>,
    /// Return options (LIST-EXTENDED).
    pub returns: Vec<ListReturn>,
}

/// What a command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommandBody {
    /// `CAPABILITY`.
    Capability,
    /// `NOOP`.
    Noop,
    /// `LOGOUT`.
    Logout,
    /// `STARTTLS`.
    StartTls,
    /// `AUTHENTICATE mechanism [initial-response]` (SASL-IR, RFC 4959: base64 or `=`).
    Authenticate {
        /// The SASL mechanism.
        mechanism: Atom,
        /// The initial response as sent (base64 text, or `=` for an empty one).
        initial: Option<Bytes>,
    },
    /// `LOGIN user password`.
    Login {
        /// The user name.
        username: AString,
        /// The password.
        password: AString,
    },
    /// `ENABLE capability...` (RFC 5161).
    Enable(Vec<Atom>),
    /// `SELECT mailbox [params]`.
    Select {
        /// The mailbox.
        mailbox: Mailbox,
        /// CONDSTORE / QRESYNC.
        params: SelectParams,
    },
    /// `EXAMINE mailbox [params]`.
    Examine {
        /// The mailbox.
        mailbox: Mailbox,
        /// CONDSTORE / QRESYNC.
        params: SelectParams,
    },
    /// `CREATE mailbox [(USE (attrs))]` (CREATE-SPECIAL-USE, RFC 6154).
    Create {
        /// The mailbox.
        mailbox: Mailbox,
        /// Special uses to give it.
        special_use: Vec<MailboxAttr>,
    },
    /// `DELETE mailbox`.
    Delete(Mailbox),
    /// `RENAME from to`.
    Rename {
        /// The current name.
        from: Mailbox,
        /// The new name.
        to: Mailbox,
    },
    /// `SUBSCRIBE mailbox`.
    Subscribe(Mailbox),
    /// `UNSUBSCRIBE mailbox`.
    Unsubscribe(Mailbox),
    /// `LIST`.
    List(ListCommand),
    /// `LSUB reference pattern` (IMAP4rev1 only).
    Lsub {
        /// The reference name.
        reference: Mailbox,
        /// The pattern.
        pattern: Mailbox,
    },
    /// `NAMESPACE` (RFC 2342).
    Namespace,
    /// `STATUS mailbox (items)`.
    Status {
        /// The mailbox.
        mailbox: Mailbox,
        /// The items, at least one.
        items: Vec<StatusItem>,
    },
    /// `APPEND mailbox message...` (several with MULTIAPPEND).
    Append {
        /// The mailbox.
        mailbox: Mailbox,
        /// The messages, at least one.
        messages: Vec<AppendMessage>,
    },
    /// `IDLE` (RFC 2177).
    Idle,
    /// `ID params` (RFC 2971).
    Id(IdParams),
    /// `GETQUOTA root` (RFC 9208).
    GetQuota(AString),
    /// `GETQUOTAROOT mailbox`.
    GetQuotaRoot(Mailbox),
    /// `SETQUOTA root (resource limit...)`.
    SetQuota {
        /// The quota root.
        root: AString,
        /// The limits.
        limits: Vec<QuotaLimit>,
    },
    /// `GETMETADATA [options] mailbox entries` (RFC 5464).
    GetMetadata {
        /// MAXSIZE and DEPTH.
        options: GetMetadataOptions,
        /// The mailbox (`""` for the server).
        mailbox: Mailbox,
        /// The entry names, at least one.
        entries: Vec<AString>,
    },
    /// `SETMETADATA mailbox (entry value...)`.
    SetMetadata {
        /// The mailbox.
        mailbox: Mailbox,
        /// The entries, at least one.
        entries: Vec<MetadataEntry>,
    },
    /// `COMPRESS mechanism` (RFC 4978; DEFLATE).
    Compress(Atom),
    /// `CHECK` (IMAP4rev1 only).
    Check,
    /// `CLOSE`.
    Close,
    /// `UNSELECT` (RFC 3691).
    Unselect,
    /// `EXPUNGE`.
    Expunge,
    /// `UID EXPUNGE set` (UIDPLUS).
    UidExpunge(UidSet),
    /// `[UID] SEARCH [RETURN (...)] [CHARSET c] keys`.
    Search {
        /// A UID SEARCH.
        uid: bool,
        /// ESEARCH return options (`None` when no RETURN was given).
        returns: Option<Vec<SearchReturn>>,
        /// The charset.
        charset: Option<AString>,
        /// The keys, at least one (all must match).
        criteria: Vec<SearchKey>,
    },
    /// `[UID] FETCH set items [modifiers]`.
    Fetch {
        /// The messages.
        set: MessageSet,
        /// What to fetch.
        items: FetchItems,
        /// CHANGEDSINCE / VANISHED.
        modifiers: FetchModifiers,
    },
    /// `[UID] STORE set [UNCHANGEDSINCE n] [+-]FLAGS[.SILENT] flags`.
    Store {
        /// The messages.
        set: MessageSet,
        /// `UNCHANGEDSINCE` (CONDSTORE).
        unchanged_since: Option<u64>,
        /// Replace, add or remove.
        mode: StoreMode,
        /// `.SILENT`.
        silent: bool,
        /// The flags.
        flags: Vec<Flag>,
    },
    /// `[UID] COPY set mailbox`.
    Copy {
        /// The messages.
        set: MessageSet,
        /// The destination.
        mailbox: Mailbox,
    },
    /// `[UID] MOVE set mailbox` (RFC 6851).
    Move {
        /// The messages.
        set: MessageSet,
        /// The destination.
        mailbox: Mailbox,
    },
    /// `[UID] SORT (criteria) charset keys` (RFC 5256).
    Sort {
        /// A UID SORT.
        uid: bool,
        /// The sort criteria, at least one.
        criteria: Vec<SortCriterion>,
        /// The charset.
        charset: AString,
        /// The search keys, at least one.
        search: Vec<SearchKey>,
    },
    /// `[UID] THREAD algorithm charset keys` (RFC 5256).
    Thread {
        /// A UID THREAD.
        uid: bool,
        /// ORDEREDSUBJECT, REFERENCES or another.
        algorithm: Atom,
        /// The charset.
        charset: AString,
        /// The search keys, at least one.
        search: Vec<SearchKey>,
    },
}

impl CommandBody {
    /// The command's name as written (`UID FETCH` for a UID command).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Capability => "CAPABILITY",
            Self::Noop => "NOOP",
            Self::Logout => "LOGOUT",
            Self::StartTls => "STARTTLS",
            Self::Authenticate { .. } => "AUTHENTICATE",
            Self::Login { .. } => "LOGIN",
            Self::Enable(_) => "ENABLE",
            Self::Select { .. } => "SELECT",
            Self::Examine { .. } => "EXAMINE",
            Self::Create { .. } => "CREATE",
            Self::Delete(_) => "DELETE",
            Self::Rename { .. } => "RENAME",
            Self::Subscribe(_) => "SUBSCRIBE",
            Self::Unsubscribe(_) => "UNSUBSCRIBE",
            Self::List(_) => "LIST",
            Self::Lsub { .. } => "LSUB",
            Self::Namespace => "NAMESPACE",
            Self::Status { .. } => "STATUS",
            Self::Append { .. } => "APPEND",
            Self::Idle => "IDLE",
            Self::Id(_) => "ID",
            Self::GetQuota(_) => "GETQUOTA",
            Self::GetQuotaRoot(_) => "GETQUOTAROOT",
            Self::SetQuota { .. } => "SETQUOTA",
            Self::GetMetadata { .. } => "GETMETADATA",
            Self::SetMetadata { .. } => "SETMETADATA",
            Self::Compress(_) => "COMPRESS",
            Self::Check => "CHECK",
            Self::Close => "CLOSE",
            Self::Unselect => "UNSELECT",
            Self::Expunge => "EXPUNGE",
            Self::UidExpunge(_) => "UID EXPUNGE",
            Self::Search { uid: false, .. } => "SEARCH",
            Self::Search { uid: true, .. } => "UID SEARCH",
            Self::Fetch { set, .. } if set.is_uid() => "UID FETCH",
            Self::Fetch { .. } => "FETCH",
            Self::Store { set, .. } if set.is_uid() => "UID STORE",
            Self::Store { .. } => "STORE",
            Self::Copy { set, .. } if set.is_uid() => "UID COPY",
            Self::Copy { .. } => "COPY",
            Self::Move { set, .. } if set.is_uid() => "UID MOVE",
            Self::Move { .. } => "MOVE",
            Self::Sort { uid: false, .. } => "SORT",
            Self::Sort { uid: true, .. } => "UID SORT",
            Self::Thread { uid: false, .. } => "THREAD",
            Self::Thread { uid: true, .. } => "UID THREAD",
        }
    }

    /// True for the commands RFC 9051 Appendix E removed (LSUB, CHECK): they do not exist
    /// under IMAP4rev2.
    pub fn rev1_only(&self) -> bool {
        matches!(self, Self::Lsub { .. } | Self::Check)
    }
}
