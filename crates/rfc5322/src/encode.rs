//! Writers for the wire forms a message builder needs.
//!
//! Everything here produces bytes that a conforming parser reads back to the same value:
//!
//! - [`encoded_words`]: RFC 2047 encoded words (`=?utf-8?q?...?=` or `=?utf-8?b?...?=`, whichever
//!   is shorter), at most 75 characters each (RFC 2047 section 2), never splitting a UTF-8
//!   sequence between two words (section 5, rule 3).
//! - [`FieldWriter`]: a header field folded at 78 characters at the points the field's syntax
//!   allows (RFC 5322 section 2.2.3: folding inserts CRLF before white space), never past 998;
//!   lines that hold an encoded word stay within 76 (RFC 2047 section 2).
//! - [`unstructured`], [`display_name`], [`addr_spec`], [`mailbox`]: field values that need
//!   quoting or encoding (RFC 5322 sections 3.2.3-3.2.5 and 3.4).
//! - [`parameter`]: a MIME parameter, in RFC 2231 form (charset, percent-encoding and
//!   continuations) when its value is not ASCII or too long for one line.
//! - [`base64`], [`quoted_printable`], [`choose_transfer_encoding`]: bodies (RFC 2045 sections
//!   6.7 and 6.8).
//!
//! Every writer refuses CR and LF inside a value with [`EncodeError::LineBreak`]: a value can
//! never start a new header field (header injection).

pub(crate) mod body;
pub(crate) mod fold;
mod param;
mod word;

pub use body::{TransferEncoding, base64, choose_transfer_encoding, encode_body, quoted_printable};
pub use fold::{FieldWriter, addr_spec, display_name, mailbox, unstructured};
pub use param::parameter;
pub use word::encoded_words;

/// The longest line RFC 5322 section 2.1.1 allows, without its CRLF.
pub const MAX_LINE: usize = 998;
/// The line length RFC 5322 section 2.1.1 recommends, without its CRLF; folding aims for it.
pub const FOLD_AT: usize = 78;

/// Why a value cannot be written.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The value holds a CR or LF: writing it could start a new header field or end the header
    /// block (header injection), so it is refused.
    #[error("CR or LF at byte {offset} of a {what} (header injection refused)")]
    LineBreak {
        /// What the value was (a field value, a display name, a parameter...).
        what: &'static str,
        /// The offset of the first CR or LF in the value.
        offset: usize,
    },
    /// A header field name is empty or holds a byte outside printable US-ASCII or a colon
    /// (RFC 5322 section 2.2, `ftext`).
    #[error("invalid header field name {0:?}")]
    FieldName(String),
    /// A MIME parameter name is empty or is not an RFC 2045 token.
    #[error("invalid parameter name {0:?}")]
    ParameterName(String),
    /// A value cannot be written within the 998-octet line limit (RFC 5322 section 2.1.1),
    /// for example a message identifier longer than that.
    #[error("a line of {len} octets would pass the 998-octet limit")]
    LineTooLong {
        /// The length the line would have had.
        len: usize,
    },
    /// An address that cannot be written as an `addr-spec` (RFC 5322 section 3.4.1).
    #[error("invalid address: {0}")]
    Address(String),
    /// A value that the syntax of its field does not allow.
    #[error("invalid {what}: {value:?}")]
    Invalid {
        /// What the value was.
        what: &'static str,
        /// The value.
        value: String,
    },
}

/// Refuses a value that holds CR or LF (header injection).
///
/// ```
/// use rfc5322::encode::{check_no_line_break, EncodeError};
/// assert!(check_no_line_break("subject", "fine").is_ok());
/// assert!(matches!(
///     check_no_line_break("subject", "x\r\nBcc: victim@example.com"),
///     Err(EncodeError::LineBreak { offset: 1, .. })
/// ));
/// ```
pub fn check_no_line_break(what: &'static str, value: &str) -> Result<(), EncodeError> {
    match memchr::memchr2(b'\r', b'\n', value.as_bytes()) {
        Some(offset) => Err(EncodeError::LineBreak { what, offset }),
        None => Ok(()),
    }
}
