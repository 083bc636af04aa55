//! How to log in, and what the client machine reports to the application.

use super::*;

/// How to log in.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginMethod {
    /// The strongest the server offers and the credentials allow: a SASL mechanism at least as
    /// strong as CRAM-MD5, then APOP, then the other SASL mechanisms, then USER/PASS.
    Auto,
    /// USER then PASS.
    UserPass,
    /// APOP with the greeting's timestamp.
    Apop,
    /// AUTH with this mechanism.
    Sasl(Mechanism),
}

/// What the client machine reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The greeting; a `-ERR` greeting is followed by a close.
    Greeting {
        /// The line.
        line: StatusLine<'static>,
        /// The APOP timestamp.
        timestamp: Option<Timestamp<'static>>,
    },
    /// The CAPA answer (also sent by the machine itself after TLS).
    Capabilities {
        /// The command.
        id: CommandId,
        /// The capabilities.
        capabilities: Capabilities<'static>,
    },
    /// TLS is up; capabilities were forgotten and CAPA is asked again (its answer follows as
    /// [`ClientEvent::Capabilities`] with `capa`'s id).
    TlsEstablished {
        /// The id of the CAPA the machine sent.
        capa: CommandId,
    },
    /// The login succeeded: TRANSACTION state.
    LoggedIn {
        /// The login.
        id: CommandId,
        /// The server's line.
        line: StatusLine<'static>,
    },
    /// The login was refused (see the response code: `[AUTH]`, `[IN-USE]`, `[LOGIN-DELAY]`,
    /// `[SYS/TEMP]`...).
    LoginFailed {
        /// The login.
        id: CommandId,
        /// The server's line.
        line: StatusLine<'static>,
    },
    /// STAT.
    Stat {
        /// The command.
        id: CommandId,
        /// Messages.
        count: u32,
        /// Octets.
        size: u64,
    },
    /// LIST (one entry for `LIST n`).
    List {
        /// The command.
        id: CommandId,
        /// The entries.
        entries: Vec<ListEntry>,
    },
    /// UIDL (one entry for `UIDL n`).
    Uidl {
        /// The command.
        id: CommandId,
        /// The entries.
        entries: Vec<UidlEntry<'static>>,
    },
    /// The LANG listing.
    Languages {
        /// The command.
        id: CommandId,
        /// The languages.
        languages: Vec<Language<'static>>,
    },
    /// RETR or TOP: `+OK`, the body follows as chunks.
    BodyStart {
        /// The command.
        id: CommandId,
        /// The server's line.
        line: StatusLine<'static>,
    },
    /// Body bytes, un-stuffed, as received (never copied into one buffer).
    BodyChunk {
        /// The command.
        id: CommandId,
        /// The bytes.
        data: Bytes,
    },
    /// The body ended.
    BodyEnd {
        /// The command.
        id: CommandId,
    },
    /// `+OK` to DELE, RSET, NOOP, UTF8, LANG with a tag, LAST.
    Ok {
        /// The command.
        id: CommandId,
        /// The server's line.
        line: StatusLine<'static>,
    },
    /// `-ERR` to a command other than a login.
    Err {
        /// The command.
        id: CommandId,
        /// The command's keyword.
        command: &'static str,
        /// The server's line.
        line: StatusLine<'static>,
    },
    /// QUIT was answered (`+OK`: deletions done; `-ERR`: some failed); the machine closes.
    Closed {
        /// The command.
        id: CommandId,
        /// The server's line.
        line: StatusLine<'static>,
    },
}
