//! A whole IMAP message (one command or one response) as lines and the literals between
//! them, each a `Bytes` split from the input: what the parsers read.

use bytes::Bytes;
use proto_core::line::literal_at_end;

use crate::error::{Fault, ParseError, ParseErrorKind};
use proto_core::Parsed;

/// The data of a literal inside a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LiteralData {
    /// The octets, parsed with their message.
    Inline(Bytes),
    /// A large literal whose octets were handed over as chunks while they arrived; only its
    /// size is left here.
    Streamed {
        /// The size in octets.
        size: u64,
    },
}

impl LiteralData {
    /// The size in octets.
    pub fn len(&self) -> u64 {
        match self {
            Self::Inline(data) => u64::try_from(data.len()).unwrap_or(u64::MAX),
            Self::Streamed { size } => *size,
        }
    }

    /// True for an empty literal.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A line that follows a literal, with the literal before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Continuation {
    /// The literal announced at the end of the previous line.
    pub literal: LiteralData,
    /// The line after it, without its line end.
    pub line: Bytes,
    /// The offset of `line` in the message as it came on the wire.
    pub offset: usize,
}

/// One command or response: its first line (without CRLF) and, for each literal it
/// announces, the literal and the line after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The first line, without its line end.
    pub first: Bytes,
    /// The literals and the lines after them, in order.
    pub rest: Vec<Continuation>,
}

impl Message {
    /// A message of one line (given without its line end).
    pub fn line(line: Bytes) -> Self {
        Self {
            first: line,
            rest: Vec::new(),
        }
    }

    /// Octets on the wire, line ends (as CRLF) and literals included.
    pub fn wire_len(&self) -> u64 {
        let lines = self.first.len() + self.rest.iter().map(|c| c.line.len()).sum::<usize>();
        let ends = 2 * (self.rest.len() + 1);
        let literals: u64 = self.rest.iter().map(|c| c.literal.len()).sum();
        u64::try_from(lines + ends)
            .unwrap_or(u64::MAX)
            .saturating_add(literals)
    }

    /// The message as it came on the wire (streamed literals as their size in NULs' place
    /// would be a lie: they are left out). For tests and diagnostics.
    pub fn to_wire(&self) -> Vec<u8> {
        let mut out = self.first.to_vec();
        out.extend_from_slice(b"\r\n");
        for c in &self.rest {
            if let LiteralData::Inline(data) = &c.literal {
                out.extend_from_slice(data);
            }
            out.extend_from_slice(&c.line);
            out.extend_from_slice(b"\r\n");
        }
        out
    }
}

/// When `input` starts with a whole line that announces no literal: where its content ends
/// and how many octets it takes with its line end. `None` when the line is incomplete or
/// announces a literal (the caller then cuts a whole message).
pub(crate) fn single_line(
    input: &[u8],
    bare_lf: bool,
) -> Result<Option<(usize, usize)>, ParseError> {
    let Some(lf) = memchr::memchr(b'\n', input) else {
        return Ok(None);
    };
    let content = if lf > 0 && input.get(lf - 1) == Some(&b'\r') {
        lf - 1
    } else if bare_lf {
        lf
    } else {
        let kind = ParseErrorKind::new(Fault::BareLineEnding);
        return Err(ParseError::new(kind, input, lf));
    };
    let (line, _) = input.split_at_checked(content).ok_or_else(|| {
        ParseError::new(ParseErrorKind::new(Fault::Internal("line end")), input, lf)
    })?;
    if line.last() == Some(&b'}') && literal_at_end(line).is_some() {
        return Ok(None);
    }
    Ok(Some((content, lf + 1)))
}

/// Cuts one whole message from the front of contiguous `input`: lines ended by CRLF (or a
/// bare LF when `bare_lf` allows it) and the literals they announce, all as slices of
/// `input`. A literal over `max_literal` is refused before anything is reserved.
pub fn split_message(
    input: &Bytes,
    max_literal: u64,
    bare_lf: bool,
) -> Result<Parsed<Message>, ParseError> {
    let mut pos = 0;
    let mut message: Option<Message> = None;
    let mut pending: Option<(LiteralData, usize)> = None;
    loop {
        let (_, rest) = input.split_at_checked(pos).ok_or_else(|| {
            ParseError::new(ParseErrorKind::new(Fault::Internal("message")), input, pos)
        })?;
        let Some(lf) = memchr::memchr(b'\n', rest) else {
            return Ok(Parsed::Incomplete);
        };
        let end = pos + lf;
        let content = if end > pos && input.get(end - 1) == Some(&b'\r') {
            end - 1
        } else if bare_lf {
            end
        } else {
            let kind = ParseErrorKind::new(Fault::BareLineEnding);
            return Err(ParseError::new(kind, input, end));
        };
        let line = input.slice(pos..content);
        let head = literal_at_end(&line);
        match (&mut message, pending.take()) {
            (None, _) => message = Some(Message::line(line)),
            (Some(m), Some((literal, offset))) => m.rest.push(Continuation {
                literal,
                line,
                offset,
            }),
            (Some(_), None) => return Ok(Parsed::Incomplete),
        }
        let next = end + 1;
        let Some(head) = head else {
            return Ok(match message {
                Some(value) => Parsed::Complete {
                    value,
                    consumed: next,
                },
                None => Parsed::Incomplete,
            });
        };
        if head.size > max_literal {
            let kind = ParseErrorKind::new(Fault::LiteralTooLarge {
                size: head.size,
                limit: max_literal,
            });
            return Err(ParseError::new(kind, input, pos + head.start));
        }
        let size = usize::try_from(head.size).unwrap_or(usize::MAX);
        let Some(data_end) = next.checked_add(size).filter(|&e| e <= input.len()) else {
            return Ok(Parsed::Incomplete);
        };
        pending = Some((LiteralData::Inline(input.slice(next..data_end)), data_end));
        pos = data_end;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Asserts that a fast path declines `line` (leaves it to the general parser).
    pub(crate) fn assert_declined<T: std::fmt::Debug>(
        line: &[u8],
        fast: impl Fn(&Bytes, usize) -> Option<T>,
    ) {
        let input = Bytes::copy_from_slice(line);
        let got = fast(&input, line.len());
        assert!(got.is_none(), "{}: {got:?}", String::from_utf8_lossy(line));
    }

    #[test]
    fn lines_and_literals_are_slices_of_the_input() {
        let input = Bytes::from_static(b"A1 LOGIN {4}\r\nfred {3+}\r\na\r\n\r\nA2 NOOP\r\n");
        let Parsed::Complete { value, consumed } = split_message(&input, 100, false).unwrap()
        else {
            panic!("incomplete")
        };
        assert_eq!(consumed, 30);
        assert_eq!(&value.first[..], b"A1 LOGIN {4}");
        assert_eq!(value.rest.len(), 2);
        assert_eq!(
            value.rest[0].literal,
            LiteralData::Inline(Bytes::from_static(b"fred"))
        );
        assert_eq!(&value.rest[0].line[..], b" {3+}");
        assert_eq!(value.rest[0].offset, 18);
        assert_eq!(
            value.rest[1].literal,
            LiteralData::Inline(Bytes::from_static(b"a\r\n"))
        );
        assert_eq!(&value.rest[1].line[..], b"");
        assert_eq!(value.wire_len(), 30);
        assert_eq!(value.to_wire(), &input[..30]);
    }

    #[test]
    fn incomplete_until_the_last_line_ends() {
        let full = b"A1 LOGIN {4}\r\nfred x\r\n";
        for cut in 0..full.len() {
            let input = Bytes::copy_from_slice(&full[..cut]);
            assert_eq!(
                split_message(&input, 100, false),
                Ok(Parsed::Incomplete),
                "{cut}"
            );
        }
    }

    #[test]
    fn literal_limit_and_bare_lf() {
        let input = Bytes::from_static(b"A1 LOGIN {5}\r\n");
        let e = split_message(&input, 4, false).unwrap_err();
        assert_eq!(e.kind.fault, Fault::LiteralTooLarge { size: 5, limit: 4 });
        assert_eq!(e.offset, 9);
        assert_eq!(split_message(&input, 5, false), Ok(Parsed::Incomplete));
        let input = Bytes::from_static(b"* OK hi\n");
        assert_eq!(
            split_message(&input, 5, false).unwrap_err().kind.fault,
            Fault::BareLineEnding
        );
        assert!(matches!(
            split_message(&input, 5, true),
            Ok(Parsed::Complete { consumed: 8, .. })
        ));
    }
}
