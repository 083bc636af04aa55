//! Errors: parse errors of the codec, encode refusals, the fatal [`ProtocolError`] of the
//! machines and the caller's [`UsageError`].

use proto_core::{DotError, Expiry, LineError};

/// What is wrong with a command or reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The verb is not an SMTP or LMTP command.
    #[error("unknown command")]
    UnknownCommand,
    /// The command is known but its arguments break its grammar.
    #[error("syntax error")]
    Syntax,
    /// A path (reverse or forward) breaks RFC 5321 4.1.2.
    #[error("invalid path")]
    BadPath,
    /// A parameter is malformed, repeated, or unknown where none may be.
    #[error("invalid parameter")]
    BadParameter,
    /// A local part, domain or path passes its limit (RFC 5321 4.5.3.1).
    #[error("too long")]
    TooLong,
    /// A line is not UTF-8 (RFC 6531).
    #[error("not UTF-8")]
    NotUtf8,
    /// A bare CR or LF inside a line.
    #[error("bare CR or LF")]
    BareLineEnding,
    /// A reply line does not start with three digits and SP, "-" or its end.
    #[error("invalid reply line")]
    BadReplyLine,
    /// The lines of a multi-line reply disagree on the code (RFC 5321 4.2.1).
    #[error("reply lines disagree on the code")]
    InconsistentCodes,
    /// A reply has more lines than the limit.
    #[error("too many reply lines")]
    TooManyLines,
    /// A bound the parser computed lies outside its input: a fault of this crate, never of
    /// the peer (no input reaches it; the property tests check that).
    #[error("internal fault: a computed bound is out of range")]
    Internal,
}

/// A command or reply could not be parsed: proto-core's one parse error shape with SMTP's kinds.
pub type ParseError = proto_core::ParseError<ParseErrorKind>;

/// An encoder refused a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// CR, LF or NUL inside an argument or text.
    #[error("CR, LF or NUL inside {0}")]
    ForbiddenOctet(&'static str),
    /// The value breaks the grammar of its place (it would not parse back to itself).
    #[error("{0} cannot be encoded: it would not parse back to the same value")]
    Invalid(&'static str),
    /// The line would pass its length limit.
    #[error("line of {len} octets passes the limit of {limit}")]
    TooLong {
        /// Length of the line.
        len: usize,
        /// The limit.
        limit: usize,
    },
}

/// The peer broke the protocol. Fatal: the machine asks to close after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A reply could not be parsed.
    #[error("bad reply: {0}")]
    Reply(ParseError),
    /// A line passed its limit.
    #[error("line: {0}")]
    Line(LineError),
    /// A byte arrived after the STARTTLS go-ahead (client) or after the STARTTLS command
    /// (server) and before TLS: a plaintext injection (CVE-2011-0411 class).
    #[error("data received after STARTTLS before the TLS handshake")]
    DataAfterStartTls,
    /// A reply arrived that no command asked for.
    #[error("unexpected reply {0}")]
    UnexpectedReply(u16),
    /// The greeting was not a 220 or 554.
    #[error("bad greeting {0}")]
    BadGreeting(u16),
    /// A SASL exchange failed on our side (for example a SCRAM server signature mismatch).
    #[error("SASL: {0}")]
    Sasl(sasl_proto::Error),
    /// A command the client sends by itself (EHLO with the configured name, STARTTLS) could
    /// not be written: the configuration is at fault, and the session cannot go on.
    #[error("cannot write a command: {0}")]
    Encode(EncodeError),
    /// The peer closed the connection in the middle of an exchange; says where.
    #[error("connection closed {0}")]
    Closed(&'static str),
    /// The peer made no progress within the idle limit of this phase (RFC 5321 4.5.3.2), or
    /// the session passed its total deadline.
    #[error("timed out: {0}")]
    Timeout(Expiry),
    /// Too many protocol errors from the client.
    #[error("too many errors")]
    TooManyErrors,
    /// Body data broke the dot-stuffing rules.
    #[error("data: {0}")]
    Dot(DotError),
    /// TLS is required by the client's policy and the server did not offer or refused
    /// STARTTLS.
    #[error("STARTTLS required but not available")]
    TlsRequired,
    /// The server answered 421: it is closing the connection.
    #[error("service not available (421)")]
    ServiceClosing,
}

/// The caller asked for something illegal now. Not fatal: the machine is unchanged. Not
/// `Clone`: [`UsageError::WrongAnswer`] carries a decision token back.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The command is not allowed in the current state.
    #[error("{0} is not allowed now")]
    NotNow(&'static str),
    /// The server did not advertise the extension the request needs.
    #[error("the server does not offer {0}")]
    NotOffered(&'static str),
    /// A value could not be encoded.
    #[error("the command cannot be written")]
    Encode(#[from] EncodeError),
    /// The link is not protected by TLS and plaintext credentials were not allowed.
    #[error("credentials would cross an unprotected link")]
    Plaintext,
    /// No SASL mechanism is both offered and usable.
    #[error("no usable SASL mechanism")]
    NoMechanism,
    /// A SASL error on our side (the credentials or the mechanism refused).
    #[error("SASL: {0}")]
    Sasl(sasl_proto::Error),
    /// The body broke what was declared for it.
    #[error("body: {0}")]
    Body(DotError),
    /// More body octets than the declared size.
    #[error("body longer than declared ({0} octets)")]
    BodyTooLong(u64),
    /// A decision token that is not open on this machine.
    #[error(transparent)]
    UnknownDecision(proto_core::UnknownDecision),
    /// A decision answered through the method of another kind of decision (`accept` on an
    /// AUTH question, `answer_auth` on MAIL FROM), or an AUTH answer of another kind than the
    /// question: nothing changed, and the token is still open; take it back with
    /// [`UsageError::into_decision`].
    #[error(transparent)]
    WrongAnswer(proto_core::decision::WrongAnswer),
    /// The machine is closed.
    #[error("the connection is closed")]
    Closed,
}

// `into_decision` and `From<CloseError>`, as every machine of the workspace has them.
proto_core::decision_usage_error!(UsageError);

impl proto_core::InternalFault for ParseErrorKind {
    const INTERNAL: Self = Self::Internal;
}
