//! The client machine's errors: the fatal [`ProtocolError`] and the caller's [`UsageError`].

use proto_core::Expiry;

use crate::error::{EncodeError, ParseError};
use crate::types::Tag;

/// The server broke the protocol, or the connection failed: the session is over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A tagged response, a continuation request or the greeting could not be read (an
    /// untagged response that cannot be read is an event, not an error).
    #[error("bad response: {0}")]
    Response(ParseError),
    /// A response could not be framed (a line or literal over its limit).
    #[error("bad framing: {0}")]
    Framing(ParseError),
    /// The greeting was neither OK, PREAUTH nor BYE.
    #[error("bad greeting")]
    BadGreeting,
    /// Bytes arrived after the tagged OK to STARTTLS before the TLS handshake: plaintext
    /// injection (the CVE-2011-0411 class).
    #[error("data received after STARTTLS before the TLS handshake")]
    DataAfterStartTls,
    /// Bytes arrived after the tagged OK to COMPRESS before the driver wrapped the streams:
    /// they are compressed, and the machine cannot read them.
    #[error("data received after COMPRESS before the streams were wrapped")]
    DataAfterCompress,
    /// TLS is required but the server does not offer STARTTLS, or greeted with PREAUTH on a
    /// cleartext connection (where STARTTLS is no longer possible).
    #[error("STARTTLS required but not available")]
    TlsRequired,
    /// A tagged response with a tag that names no command in flight.
    #[error("tagged response for unknown tag {0}")]
    UnknownTag(Tag),
    /// A continuation request while no command waits for one.
    #[error("continuation request while nothing waits for one")]
    UnexpectedContinuation,
    /// The SASL exchange failed on the client's side (the server's proof did not verify).
    #[error("SASL: {0}")]
    Sasl(sasl_proto::Error),
    /// A command the client makes itself could not be written.
    #[error("cannot write a command: {0}")]
    Encode(EncodeError),
    /// The connection closed where the protocol does not allow it.
    #[error("connection closed {0}")]
    Closed(&'static str),
    /// No response came in time.
    #[error("timed out: {0}")]
    Timeout(Expiry),
}

/// A call the client refuses: nothing was sent and the session goes on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// Not now: before the session is ready, during IDLE, or a command the client runs
    /// itself (STARTTLS) or through its own method (LOGIN, AUTHENTICATE, IDLE).
    #[error("{0} is not allowed now")]
    NotNow(&'static str),
    /// The command needs another connection state (FETCH with no mailbox selected, LOGIN
    /// after login...).
    #[error("{command} is not allowed in the {state:?} state")]
    WrongState {
        /// The command.
        command: &'static str,
        /// The state the connection is in.
        state: super::ConnectionState,
    },
    /// The server does not offer the capability the command needs.
    #[error("the server does not offer {0}")]
    NotOffered(&'static str),
    /// The server announced LOGINDISABLED.
    #[error("the server disabled LOGIN (use AUTHENTICATE)")]
    LoginDisabled,
    /// Credentials would cross an unprotected link.
    #[error("credentials would cross an unprotected link")]
    Plaintext,
    /// No SASL mechanism both sides support.
    #[error("no usable SASL mechanism")]
    NoMechanism,
    /// The SASL client refused the credentials or configuration.
    #[error("SASL: {0}")]
    Sasl(sasl_proto::Error),
    /// The command cannot be written (an empty list, a rev1-only command under IMAP4rev2).
    #[error("the command cannot be written")]
    Encode(#[from] EncodeError),
    /// A value given for the command cannot be written (a NUL in a user name...).
    #[error("a value cannot be written")]
    Invalid(#[from] crate::error::InvalidValue),
    /// More APPEND data than announced.
    #[error("APPEND data longer than announced ({0} octets)")]
    BodyTooLong(u64),
    /// The connection is closed.
    #[error("the connection is closed")]
    Closed,
}
