//! The base64 step codec shared by SMTP AUTH (RFC 4954), POP3 AUTH (RFC 5034) and IMAP
//! AUTHENTICATE (RFC 3501 section 6.2.2, RFC 4959).
//!
//! Lines are given without their CRLF and without the protocol's prefix (`334 `, `+ `). The
//! alphabet is strict (RFC 4648 section 4, padding required, no whitespace, no non-zero
//! trailing bits): RFC 4954 section 4 says both sides "MUST reject (and not ignore) any
//! character not explicitly allowed by the BASE64 alphabet".

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::Limits;

/// A decoded client response line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepResponse {
    /// The decoded data (empty for `=` or an empty line).
    Data(Vec<u8>),
    /// `*`: the client cancels the exchange (RFC 4954 section 4, RFC 5034 section 4,
    /// RFC 3501 section 6.2.2).
    Cancel,
}

/// A line the codec refuses.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The line is longer than [`Limits::max_line_len`].
    #[error("line of {len} octets exceeds the limit of {max}")]
    TooLong {
        /// The length received.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A character outside the base64 alphabet.
    #[error("invalid base64 character {byte:#04x} at offset {offset}")]
    InvalidCharacter {
        /// Where.
        offset: usize,
        /// The octet.
        byte: u8,
    },
    /// `=` anywhere but at the end, or a length that is not a multiple of four.
    #[error("invalid base64 padding at offset {offset}")]
    InvalidPadding {
        /// Where.
        offset: usize,
    },
    /// The last character carries bits that a canonical encoder would have left zero.
    #[error("non-canonical base64")]
    NonCanonical,
}

/// Decodes a client response with the default limits: `*` is [`StepResponse::Cancel`],
/// `=` and the empty line are empty data.
pub fn decode_response(line: &[u8]) -> Result<StepResponse, CodecError> {
    decode_response_with(line, &Limits::default())
}

/// Decodes a client response under `limits`.
pub fn decode_response_with(line: &[u8], limits: &Limits) -> Result<StepResponse, CodecError> {
    if line == b"*" {
        return Ok(StepResponse::Cancel);
    }
    decode_with(line, limits).map(StepResponse::Data)
}

/// Decodes a server challenge with the default limits: the empty line (`334 `, `+ `) and `=`
/// are empty data.
pub fn decode_challenge(line: &[u8]) -> Result<Vec<u8>, CodecError> {
    decode_with(line, &Limits::default())
}

/// Decodes a server challenge under `limits`.
pub fn decode_challenge_with(line: &[u8], limits: &Limits) -> Result<Vec<u8>, CodecError> {
    decode_with(line, limits)
}

fn decode_with(line: &[u8], limits: &Limits) -> Result<Vec<u8>, CodecError> {
    if line.len() > limits.max_line_len {
        return Err(CodecError::TooLong {
            len: line.len(),
            max: limits.max_line_len,
        });
    }
    if line.is_empty() || line == b"=" {
        return Ok(Vec::new());
    }
    check_alphabet(line)?;
    STANDARD.decode(line).map_err(|_| CodecError::NonCanonical)
}

/// Checks the alphabet and the padding, giving the offset of the first fault.
fn check_alphabet(line: &[u8]) -> Result<(), CodecError> {
    let len = line.len();
    let pad_start = len - line.iter().rev().take_while(|&&b| b == b'=').count();
    for (offset, &byte) in line.iter().enumerate() {
        let ok = byte.is_ascii_alphanumeric() || byte == b'+' || byte == b'/';
        if byte == b'=' {
            if offset < pad_start || len - pad_start > 2 {
                return Err(CodecError::InvalidPadding { offset });
            }
        } else if !ok {
            return Err(CodecError::InvalidCharacter { offset, byte });
        }
    }
    if !len.is_multiple_of(4) {
        return Err(CodecError::InvalidPadding { offset: len });
    }
    Ok(())
}

/// Encodes an initial response: `=` for empty data (RFC 4954 section 4, RFC 5034
/// section 4, RFC 4959 section 3), so that an empty response differs from none.
pub fn encode(data: &[u8]) -> Vec<u8> {
    if data.is_empty() {
        return b"=".to_vec();
    }
    STANDARD.encode(data).into_bytes()
}

/// Encodes a challenge or a response to a challenge: nothing for empty data (`334 `,
/// `+ `, or an empty response line), as SMTP, POP3 and IMAP expect.
pub fn encode_continuation(data: &[u8]) -> Vec<u8> {
    STANDARD.encode(data).into_bytes()
}
