//! Errors: the peer broke the protocol ([`ProtocolError`]), the caller asked for something
//! illegal ([`UsageError`]), bytes did not parse ([`ParseError`]) or could not be encoded
//! ([`EncodeError`]).

use proto_core::{Expiry, UnknownDecision};

/// Bytes did not parse: proto-core's one parse error shape with POP3's kinds.
pub type ParseError = proto_core::ParseError<ParseErrorKind>;

/// What a [`ParseError`] found wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A line longer than the limit (CRLF included).
    #[error("line longer than {limit} octets")]
    TooLong {
        /// The limit.
        limit: usize,
    },
    /// A line ended by LF alone where CRLF is required.
    #[error("bare LF")]
    BareLf,
    /// A CR, LF or NUL inside a line.
    #[error("forbidden control octet")]
    ControlOctet,
    /// A command keyword this crate does not know.
    #[error("unknown command")]
    UnknownCommand,
    /// A required argument is missing.
    #[error("missing argument")]
    MissingArgument,
    /// More arguments than the command takes.
    #[error("unexpected argument")]
    ExtraArgument,
    /// An empty argument (two spaces in a row, or a trailing space before an argument).
    #[error("empty argument")]
    EmptyArgument,
    /// A number that is not 1*DIGIT, is zero where it may not be, or overflows.
    #[error("invalid number")]
    BadNumber,
    /// An argument or text that must be UTF-8 is not.
    #[error("not UTF-8")]
    NotUtf8,
    /// A response that starts with neither "+OK" nor "-ERR" (nor "+ " where allowed).
    #[error("invalid status indicator")]
    BadStatus,
    /// A response code without its closing bracket, or with an empty level.
    #[error("invalid response code")]
    BadResponseCode,
    /// A LIST, UIDL, STAT or LANG line that does not follow its grammar.
    #[error("invalid listing line")]
    BadListing,
    /// A single-message LIST or UIDL answer about another message.
    #[error("answer about message {found}, asked about {expected}")]
    WrongMessageNumber {
        /// The message asked about.
        expected: u32,
        /// The message answered about.
        found: u32,
    },
    /// An empty capability line or a capability with an empty parameter.
    #[error("invalid capability")]
    BadCapability,
    /// An invalid SASL mechanism name.
    #[error("invalid SASL mechanism name")]
    BadMechanism,
    /// An argument with octets its grammar does not allow.
    #[error("invalid argument")]
    BadArgument,
    /// A bound the parser computed lies outside its input: a fault of this crate, never of
    /// the peer (no input reaches it; the property tests check that).
    #[error("internal fault: a computed bound is out of range")]
    Internal,
}

/// A value could not be encoded: it would break the line grammar.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// CR, LF or NUL inside an argument or text (line injection).
    #[error("forbidden octet {byte:#04x} at {at} of {field}")]
    Forbidden {
        /// The field.
        field: &'static str,
        /// The octet.
        byte: u8,
        /// Its offset in the field.
        at: usize,
    },
    /// A space inside a one-word argument.
    #[error("space in {0}, which must be one word")]
    Space(&'static str),
    /// An empty argument.
    #[error("empty {0}")]
    Empty(&'static str),
    /// The line would pass its limit.
    #[error("line of {len} octets passes the limit of {limit}")]
    TooLong {
        /// The encoded length with CRLF.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// An argument with octets its grammar does not allow.
    #[error("invalid {0}")]
    Invalid(&'static str),
}

/// The peer broke the protocol. Fatal: the machine closes after reporting it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// A line or response did not parse.
    #[error("{context}: {error}")]
    Parse {
        /// What was being parsed.
        context: &'static str,
        /// The parse error.
        error: ParseError,
    },
    /// A line passed its limit.
    #[error("{context}: line longer than {limit} octets ({seen} octets seen)")]
    LineTooLong {
        /// What was being read.
        context: &'static str,
        /// The limit.
        limit: usize,
        /// How long the line was.
        seen: usize,
    },
    /// A line ended by a bare CR or LF where the machine requires CRLF.
    #[error("{context}: bare CR or LF")]
    BareLineEnding {
        /// What was being read.
        context: &'static str,
    },
    /// Bytes arrived after the STLS go-ahead (client), or after the STLS command line
    /// (server), before TLS: a command injection attempt (the CVE-2011-0411 class).
    #[error("data received after STLS before the TLS handshake")]
    DataAfterStartTls,
    /// The peer sent something the state does not allow.
    #[error("unexpected {what}")]
    Unexpected {
        /// What arrived.
        what: &'static str,
    },
    /// A listing had more entries than the limit.
    #[error("listing of more than {limit} entries")]
    TooManyEntries {
        /// The limit.
        limit: usize,
    },
    /// The SASL exchange failed on this side (a bad challenge, a SCRAM server signature
    /// that does not verify).
    #[error("SASL: {0}")]
    Sasl(sasl_proto::Error),
    /// A SASL line was not valid base64.
    #[error("SASL step codec: {0}")]
    SaslCodec(sasl_proto::CodecError),
    /// The connection closed in the middle of a response or before the session ended.
    #[error("connection closed {0}")]
    Closed(&'static str),
    /// The peer made no progress within the idle limit, or the session passed its total
    /// deadline.
    #[error("timed out: {0}")]
    Timeout(Expiry),
}

/// The caller asked for something illegal now. Not fatal: the machine is unchanged. Not
/// `Clone`: [`UsageError::WrongAnswer`] carries a decision token back.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The command is not allowed in the current state.
    #[error("{command} is not allowed now ({state})")]
    NotNow {
        /// The command.
        command: &'static str,
        /// The state that forbids it.
        state: &'static str,
    },
    /// The server did not advertise what the command needs.
    #[error("the server does not offer {0}")]
    NotOffered(&'static str),
    /// Credentials would cross an unprotected connection and that was not allowed.
    #[error("credentials would be sent without TLS")]
    PlaintextCredentials,
    /// No login method fits the credentials and the server's offer.
    #[error("no login method fits the credentials and the server's offer")]
    NoLoginMethod,
    /// The argument cannot be encoded.
    #[error("invalid argument")]
    Encode(#[from] EncodeError),
    /// The SASL client refused the configuration or credentials.
    #[error("SASL: {0}")]
    Sasl(sasl_proto::Error),
    /// The decision token is not open on this machine.
    #[error(transparent)]
    UnknownDecision(#[from] UnknownDecision),
    /// The token was answered through the method of another kind of decision (or an AUTH
    /// answer of another kind than the question): nothing changed, and the token is still
    /// open; take it back with [`UsageError::into_decision`].
    #[error(transparent)]
    WrongAnswer(proto_core::decision::WrongAnswer),
    /// No message body is being sent.
    #[error("no message body is being sent")]
    NoBody,
    /// The message number is not in the maildrop or is marked deleted.
    #[error("no such message")]
    NoSuchMessage,
    /// The session is over.
    #[error("the session is closed")]
    Closed,
}

// `into_decision` and `From<CloseError>`, as every machine of the workspace has them.
proto_core::decision_usage_error!(UsageError);

impl proto_core::InternalFault for ParseErrorKind {
    const INTERNAL: Self = Self::Internal;
}
