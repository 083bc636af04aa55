//! The one shape of a parse error in every codec of the workspace: what was wrong, where, and
//! the octets found there.

use std::fmt;
use std::ops::{Bound, RangeBounds};
use std::slice::SliceIndex;

/// How many octets of the input a [`ParseError`] keeps, from its offset on.
pub const FOUND_OCTETS: usize = 32;

/// Bytes did not parse: the kind of fault `K` (each codec has its own kind enum), the offset of
/// the offending octet in the input the parser was given, and up to [`FOUND_OCTETS`] octets
/// found there.
///
/// `Display` reads `<kind> at octet N: <escaped octets>`, with the octets escaped as transcripts
/// write them (`\r`, `\n`, `\xHH`), so that a log line never holds raw control octets:
///
/// ```
/// use proto_core::ParseError;
///
/// #[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// enum Kind { UnknownCommand }
/// impl std::fmt::Display for Kind {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
///         f.write_str("unknown command")
///     }
/// }
///
/// let error = ParseError::new(Kind::UnknownCommand, b"HELLO there\r\n", 0);
/// assert_eq!(error.to_string(), r"unknown command at octet 0: HELLO there\r\n");
/// assert_eq!(error.found, b"HELLO there\r\n");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError<K> {
    /// What was wrong.
    pub kind: K,
    /// The offset of the offending octet in the input given to the parser.
    pub offset: usize,
    /// Up to [`FOUND_OCTETS`] octets found at the offset.
    pub found: Vec<u8>,
}

impl<K> ParseError<K> {
    /// The error of kind `kind` at `offset` of `input`: keeps the octets from `offset` on, at
    /// most [`FOUND_OCTETS`] of them. An offset past the end is taken as the end.
    pub fn new(kind: K, input: &[u8], offset: usize) -> Self {
        let offset = offset.min(input.len());
        let found = input.get(offset..).map_or(&[][..], |rest| {
            rest.get(..FOUND_OCTETS.min(rest.len())).unwrap_or(rest)
        });
        Self {
            kind,
            offset,
            found: found.to_vec(),
        }
    }

    /// The same error with its offset moved by `base`: for a line parsed inside a larger input.
    #[must_use]
    pub fn shifted(mut self, base: usize) -> Self {
        self.offset = self.offset.saturating_add(base);
        self
    }

    /// The same error with another kind (a codec that wraps another's errors).
    pub fn map_kind<L>(self, f: impl FnOnce(K) -> L) -> ParseError<L> {
        ParseError {
            kind: f(self.kind),
            offset: self.offset,
            found: self.found,
        }
    }
}

/// A parse error kind that can name an internal fault: a bound the parser computed itself lies
/// outside its input. No input should reach it; it exists so that such a bug fails loudly.
pub trait InternalFault {
    /// The kind that names the fault.
    const INTERNAL: Self;
}

impl<K: InternalFault> ParseError<K> {
    /// `input[range]`, or an internal fault at the start of the range when the range does not
    /// lie inside `input`. For bounds a parser computed itself: a wrong bound fails loudly
    /// (and fails a test) instead of reading as an empty slice, which would silently truncate
    /// a value.
    #[inline(always)]
    pub fn cut<R>(input: &[u8], range: R) -> Result<&[u8], Self>
    where
        R: SliceIndex<[u8], Output = [u8]> + RangeBounds<usize>,
    {
        let start = range_start(&range);
        match input.get(range) {
            Some(part) => Ok(part),
            None => Err(Self::internal(input, start)),
        }
    }

    /// [`cut`](Self::cut) for text: also a fault when a bound is not on a character boundary.
    #[inline(always)]
    pub fn cut_str<R>(text: &str, range: R) -> Result<&str, Self>
    where
        R: SliceIndex<str, Output = str> + RangeBounds<usize>,
    {
        let start = range_start(&range);
        match text.get(range) {
            Some(part) => Ok(part),
            None => Err(Self::internal(text.as_bytes(), start)),
        }
    }

    // Out of line and cold: the parsers that cut on their hot paths keep only the check.
    #[cold]
    #[inline(never)]
    fn internal(input: &[u8], start: usize) -> Self {
        Self::new(K::INTERNAL, input, start)
    }
}

#[inline(always)]
fn range_start(range: &impl RangeBounds<usize>) -> usize {
    match range.start_bound() {
        Bound::Included(&n) => n,
        Bound::Excluded(&n) => n.saturating_add(1),
        Bound::Unbounded => 0,
    }
}

impl<K: fmt::Display> fmt::Display for ParseError<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at octet {}: ", self.kind, self.offset)?;
        write_escaped(f, &self.found)
    }
}

impl<K: fmt::Debug + fmt::Display> std::error::Error for ParseError<K> {}

/// Octets shown to people: `Debug` as a quoted string and `Display` bare, both escaped as
/// transcripts write them, so that protocol text reads as text (`"+OK ready"`) and not as a
/// list of numbers, whatever octets it holds.
///
/// ```
/// use proto_core::Escaped;
/// assert_eq!(format!("{:?}", Escaped(b"ma\xefl\r\n")), r#""ma\xefl\r\n""#);
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Escaped<'a>(pub &'a [u8]);

impl fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        write_escaped(f, self.0)?;
        f.write_str("\"")
    }
}

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_escaped(f, self.0)
    }
}

/// Writes octets as transcripts show them: printable ASCII as itself, `\r`, `\n`, `\t`, `\0`,
/// `\\` and `\xHH` for the rest.
pub fn write_escaped(f: &mut impl fmt::Write, bytes: &[u8]) -> fmt::Result {
    for &b in bytes {
        match b {
            b'\r' => f.write_str("\\r")?,
            b'\n' => f.write_str("\\n")?,
            b'\t' => f.write_str("\\t")?,
            b'\0' => f.write_str("\\0")?,
            b'\\' => f.write_str("\\\\")?,
            0x20..=0x7e => f.write_char(char::from(b))?,
            _ => write!(f, "\\x{b:02x}")?,
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    struct Bad;
    impl InternalFault for Bad {
        const INTERNAL: Self = Bad;
    }
    impl fmt::Display for Bad {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("bad")
        }
    }

    #[test]
    fn keeps_at_most_32_octets_from_the_offset() {
        let input = [b'a'; 100];
        let e = ParseError::new(Bad, &input, 10);
        assert_eq!(e.offset, 10);
        assert_eq!(e.found.len(), FOUND_OCTETS);
        let e = ParseError::new(Bad, &input, 90);
        assert_eq!(e.found.len(), 10);
    }

    #[test]
    fn an_offset_past_the_end_is_the_end() {
        let e = ParseError::new(Bad, b"abc", 7);
        assert_eq!(e.offset, 3);
        assert!(e.found.is_empty());
        assert_eq!(e.to_string(), "bad at octet 3: ");
    }

    #[test]
    fn a_cut_out_of_range_is_an_internal_fault_at_its_start() {
        let input = b"EHLO x";
        assert_eq!(ParseError::<Bad>::cut(input, 5..), Ok(&b"x"[..]));
        assert_eq!(ParseError::<Bad>::cut(input, ..6), Ok(&input[..]));
        let e = ParseError::<Bad>::cut(input, 4..7).unwrap_err();
        assert_eq!((e.offset, &e.found[..]), (4, &b" x"[..]));
        assert_eq!(ParseError::<Bad>::cut(input, 7..).unwrap_err().offset, 6);
        assert_eq!(ParseError::<Bad>::cut_str("a\u{e9}b", 1..3), Ok("\u{e9}"));
        // Inside the two octets of the e acute: not a boundary.
        let e = ParseError::<Bad>::cut_str("a\u{e9}b", 2..).unwrap_err();
        assert_eq!(e.offset, 2);
    }

    #[test]
    fn display_escapes_control_and_8bit_octets() {
        let e = ParseError::new(Bad, b"x\r\n\0\\\xff", 0).shifted(5);
        assert_eq!(e.to_string(), r"bad at octet 5: x\r\n\0\\\xff");
    }
}
