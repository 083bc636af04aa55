//! Errors: bytes did not parse ([`ParseError`]) or a value cannot be written in the session's
//! mode ([`EncodeError`]).

use std::fmt;

use crate::types::Tag;

/// Bytes did not parse: proto-core's one parse error shape, whose kind here also carries the
/// tag of the command or response when one was read before the fault.
pub type ParseError = proto_core::ParseError<ParseErrorKind>;

/// What a [`ParseError`] found wrong, and the tag read before it (so that a server can answer
/// a broken command with a tagged BAD, and a client can fail the command it belongs to).
///
/// A struct rather than an enum because IMAP errors carry the tag beside the fault; the enum
/// of faults is [`Fault`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseErrorKind {
    /// What was wrong.
    pub fault: Fault,
    /// The tag of the message, when it was read before the fault.
    pub tag: Option<Tag>,
}

impl ParseErrorKind {
    /// A fault with no tag read yet.
    pub fn new(fault: Fault) -> Self {
        Self { fault, tag: None }
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.tag {
            Some(tag) => write!(f, "{} (tag {})", self.fault, tag),
            None => write!(f, "{}", self.fault),
        }
    }
}

/// The faults a parser reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Fault {
    /// The grammar wanted something else here; the text names what.
    #[error("expected {0}")]
    Expected(&'static str),
    /// A number that overflows its type (32 bits, or 63 for `number64`).
    #[error("number out of range")]
    NumberRange,
    /// Zero where the grammar wants a non-zero number.
    #[error("zero where a non-zero number belongs")]
    Zero,
    /// A NUL octet in a string (only `literal8` may hold one).
    #[error("NUL octet in a string")]
    Nul,
    /// Text that must be UTF-8 is not.
    #[error("not UTF-8")]
    NotUtf8,
    /// A mailbox name that is neither valid modified UTF-7 nor allowed raw.
    #[error("invalid mailbox name")]
    BadMailbox,
    /// Parentheses nested deeper than the limit.
    #[error("nested deeper than {0} levels")]
    TooDeep(usize),
    /// More elements in a list than the limit allows.
    #[error("more than {0} elements")]
    TooMany(usize),
    /// A command name this crate does not know (or one of an out-of-scope extension).
    #[error("unknown command")]
    UnknownCommand,
    /// A command or response that the session's mode does not allow (for example LSUB under
    /// IMAP4rev2).
    #[error("not allowed in this mode")]
    NotInMode,
    /// A literal announced with a size over the limit.
    #[error("literal of {size} octets over the limit of {limit}")]
    LiteralTooLarge {
        /// The announced size.
        size: u64,
        /// The limit in force.
        limit: u64,
    },
    /// A line longer than the limit.
    #[error("line longer than {0} octets")]
    LineTooLong(usize),
    /// A message whose lines and inline literals pass the limit.
    #[error("message longer than {0} octets")]
    MessageTooLarge(usize),
    /// A line ended by a bare LF or holding a bare CR.
    #[error("bare CR or LF")]
    BareLineEnding,
    /// Octets left after a complete value.
    #[error("unexpected octets after the end")]
    Trailing,
    /// A literal's data was streamed and is not available to this parser.
    #[error("a streamed literal where a string value is needed")]
    Streamed,
    /// A bound the parser computed fell outside its input: a fault of this crate, never of
    /// the input, reported instead of read past or hidden (the text names the place).
    #[error("internal error in {0}")]
    Internal(&'static str),
}

/// A value cannot be written on the wire in the session's mode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// A NUL octet where only a `literal8` (BINARY) could carry it.
    #[error("NUL octet in {0}, which needs BINARY")]
    Nul(&'static str),
    /// Octets that cannot be written in the field (for example 8-bit text where the mode has
    /// no UTF-8, or CR/LF in free text).
    #[error("invalid octet {byte:#04x} in {field}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// The octet.
        byte: u8,
    },
    /// A list the grammar wants non-empty is empty.
    #[error("empty {0}")]
    Empty(&'static str),
    /// A command or response the session's mode does not have.
    #[error("{0} does not exist in this mode")]
    NotInMode(&'static str),
    /// A bound the encoder computed fell outside its value: a fault of this crate, never of
    /// the value (the text names the place).
    #[error("internal error in {0}")]
    Internal(&'static str),
}

/// A constructor was given octets its type cannot hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {what}: octet {at}")]
pub struct InvalidValue {
    /// The type or field.
    pub what: &'static str,
    /// The offset of the first offending octet (the length, for an empty value).
    pub at: usize,
}

impl InvalidValue {
    pub(crate) fn new(what: &'static str, at: usize) -> Self {
        Self { what, at }
    }
}
