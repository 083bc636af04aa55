//! Replies: the three-digit code (RFC 5321 4.2), the enhanced status code (RFC 3463) and the
//! lines of a reply as received.

use std::borrow::Cow;
use std::fmt;

use crate::error::EncodeError;

/// A three-digit reply code (RFC 5321 4.2): first digit 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ReplyCode(u16);

impl ReplyCode {
    /// 211 System status.
    pub const SYSTEM_STATUS: Self = Self(211);
    /// 214 Help message.
    pub const HELP: Self = Self(214);
    /// 220 Service ready.
    pub const READY: Self = Self(220);
    /// 221 Service closing transmission channel.
    pub const CLOSING: Self = Self(221);
    /// 235 Authentication succeeded (RFC 4954).
    pub const AUTH_OK: Self = Self(235);
    /// 250 Requested mail action okay, completed.
    pub const OK: Self = Self(250);
    /// 252 Cannot VRFY user, but will accept message.
    pub const CANNOT_VRFY: Self = Self(252);
    /// 334 SASL challenge (RFC 4954).
    pub const AUTH_CONTINUE: Self = Self(334);
    /// 354 Start mail input.
    pub const START_DATA: Self = Self(354);
    /// 421 Service not available, closing transmission channel.
    pub const SERVICE_NOT_AVAILABLE: Self = Self(421);
    /// 452 Insufficient system storage (too many recipients).
    pub const INSUFFICIENT_STORAGE: Self = Self(452);
    /// 500 Syntax error, command unrecognized.
    pub const SYNTAX_ERROR: Self = Self(500);
    /// 501 Syntax error in parameters or arguments.
    pub const PARAMETER_SYNTAX_ERROR: Self = Self(501);
    /// 502 Command not implemented.
    pub const NOT_IMPLEMENTED: Self = Self(502);
    /// 503 Bad sequence of commands.
    pub const BAD_SEQUENCE: Self = Self(503);
    /// 504 Command parameter not implemented.
    pub const PARAMETER_NOT_IMPLEMENTED: Self = Self(504);
    /// 535 Authentication credentials invalid (RFC 4954).
    pub const AUTH_FAILED: Self = Self(535);
    /// 550 Mailbox unavailable.
    pub const MAILBOX_UNAVAILABLE: Self = Self(550);
    /// 552 Exceeded storage allocation.
    pub const EXCEEDED_STORAGE: Self = Self(552);
    /// 554 Transaction failed.
    pub const TRANSACTION_FAILED: Self = Self(554);
    /// 555 MAIL/RCPT parameters not recognized.
    pub const PARAMETERS_NOT_RECOGNIZED: Self = Self(555);

    /// The code `n`, if it has three digits and a first digit from 1 to 5.
    pub const fn new(n: u16) -> Option<Self> {
        if n >= 100 && n <= 599 {
            Some(Self(n))
        } else {
            None
        }
    }

    /// The number.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// The first digit.
    pub const fn class(self) -> u8 {
        (self.0 / 100) as u8
    }

    /// 2yz: positive completion.
    pub const fn is_positive(self) -> bool {
        self.class() == 2
    }

    /// 3yz: positive intermediate (354, 334).
    pub const fn is_intermediate(self) -> bool {
        self.class() == 3
    }

    /// 4yz: transient negative.
    pub const fn is_transient(self) -> bool {
        self.class() == 4
    }

    /// 5yz: permanent negative.
    pub const fn is_permanent(self) -> bool {
        self.class() == 5
    }
}

impl fmt::Display for ReplyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// An enhanced status code (RFC 3463): `class.subject.detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnhancedStatusCode {
    class: u8,
    subject: u16,
    detail: u16,
}

impl EnhancedStatusCode {
    /// The code, if the class is 2, 4 or 5 and subject and detail have at most three digits.
    pub const fn new(class: u8, subject: u16, detail: u16) -> Option<Self> {
        if (class == 2 || class == 4 || class == 5) && subject <= 999 && detail <= 999 {
            Some(Self {
                class,
                subject,
                detail,
            })
        } else {
            None
        }
    }

    /// The class: 2 success, 4 persistent transient failure, 5 permanent failure.
    pub const fn class(self) -> u8 {
        self.class
    }

    /// The subject.
    pub const fn subject(self) -> u16 {
        self.subject
    }

    /// The detail.
    pub const fn detail(self) -> u16 {
        self.detail
    }

    /// Reads a code at the start of `text`, followed by SP or the end: the code and its
    /// length.
    pub fn parse_prefix(text: &[u8]) -> Option<(Self, usize)> {
        let class = *text.first()?;
        if !matches!(class, b'2' | b'4' | b'5') || text.get(1) != Some(&b'.') {
            return None;
        }
        let (subject, n1) = digits3(text.get(2..)?)?;
        let at = 2 + n1;
        if text.get(at) != Some(&b'.') {
            return None;
        }
        let (detail, n2) = digits3(text.get(at + 1..)?)?;
        let end = at + 1 + n2;
        match text.get(end) {
            None | Some(b' ') => Some((Self::new(class - b'0', subject, detail)?, end)),
            _ => None,
        }
    }
}

fn digits3(text: &[u8]) -> Option<(u16, usize)> {
    let mut value = 0u16;
    let mut n = 0;
    for &b in text.iter().take(4) {
        if !b.is_ascii_digit() {
            break;
        }
        value = value * 10 + u16::from(b - b'0');
        n += 1;
    }
    if n == 0 || n > 3 {
        None
    } else {
        Some((value, n))
    }
}

impl fmt::Display for EnhancedStatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// A reply: its code, the enhanced status code of its first line (parsed once), and every
/// text line.
///
/// The lines are kept as received (`Cow` into the input); [`Reply::lines`] gives the text of
/// each line after the code and separator, [`Reply::texts`] the same without a leading
/// enhanced status code equal to the reply's.
#[derive(Clone)]
pub struct Reply<'a> {
    code: ReplyCode,
    enhanced: Option<EnhancedStatusCode>,
    /// Wire form: lines with codes and line ends (CRLF, or LF alone as some servers send).
    raw: Cow<'a, [u8]>,
}

impl<'a> Reply<'a> {
    pub(crate) fn from_parts(
        code: ReplyCode,
        enhanced: Option<EnhancedStatusCode>,
        raw: Cow<'a, [u8]>,
    ) -> Self {
        Self {
            code,
            enhanced,
            raw,
        }
    }

    /// A one-line reply. `text` must hold no CR, LF or NUL.
    pub fn new(
        code: ReplyCode,
        enhanced: Option<EnhancedStatusCode>,
        text: &str,
    ) -> Result<Reply<'static>, EncodeError> {
        Reply::multiline(code, enhanced, &[text])
    }

    /// A reply of one or more lines; the enhanced code, if any, starts every line (as
    /// Postfix sends it).
    pub fn multiline(
        code: ReplyCode,
        enhanced: Option<EnhancedStatusCode>,
        lines: &[&str],
    ) -> Result<Reply<'static>, EncodeError> {
        if let Some(e) = enhanced
            && e.class() != code.class()
        {
            return Err(EncodeError::Invalid(
                "enhanced status code of another class",
            ));
        }
        let mut raw = Vec::new();
        // No text is one line of the code alone.
        let lines = if lines.is_empty() { &[""][..] } else { lines };
        let count = lines.len();
        for (i, &text) in lines.iter().enumerate() {
            if text.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
                return Err(EncodeError::ForbiddenOctet("reply text"));
            }
            if i == 0
                && enhanced.is_none()
                && code.class() != 3
                && EnhancedStatusCode::parse_prefix(text.as_bytes())
                    .is_some_and(|(e, _)| e.class() == code.class())
            {
                return Err(EncodeError::Invalid(
                    "reply text that starts like an enhanced status code",
                ));
            }
            raw.extend_from_slice(code.0.to_string().as_bytes());
            let last = i + 1 == count;
            let mut body = Vec::new();
            if let Some(e) = enhanced {
                body.extend_from_slice(e.to_string().as_bytes());
                if !text.is_empty() {
                    body.push(b' ');
                }
            }
            body.extend_from_slice(text.as_bytes());
            if !last {
                raw.push(b'-');
            } else if !body.is_empty() {
                raw.push(b' ');
            }
            raw.extend_from_slice(&body);
            raw.extend_from_slice(b"\r\n");
        }
        Ok(Reply {
            code,
            enhanced,
            raw: Cow::Owned(raw),
        })
    }

    /// The code.
    pub fn code(&self) -> ReplyCode {
        self.code
    }

    /// The enhanced status code of the first line (RFC 3463, RFC 2034), when its class
    /// matches the code's.
    pub fn enhanced(&self) -> Option<EnhancedStatusCode> {
        self.enhanced
    }

    /// The reply as received or built, line ends included.
    pub fn raw(&self) -> &[u8] {
        &self.raw
    }

    /// The text of each line after the code and its separator.
    pub fn lines(&self) -> impl Iterator<Item = &[u8]> + '_ {
        Lines { rest: &self.raw }
    }

    /// The text of each line without a leading enhanced status code equal to the reply's.
    pub fn texts(&self) -> impl Iterator<Item = &[u8]> + '_ {
        let enhanced = self.enhanced;
        self.lines().map(move |line| match enhanced {
            Some(e) => match EnhancedStatusCode::parse_prefix(line) {
                Some((found, n)) if found == e => match line.split_at_checked(n) {
                    Some((_, rest)) => rest.strip_prefix(b" ").unwrap_or(rest),
                    // `n` is the length of the prefix just read from `line`: never past its
                    // end; were it, the line is kept whole rather than emptied.
                    None => line,
                },
                _ => line,
            },
            None => line,
        })
    }

    /// The first line's text (after the enhanced code), lossily as UTF-8.
    pub fn text(&self) -> String {
        self.texts()
            .next()
            .map(|t| String::from_utf8_lossy(t).into_owned())
            .unwrap_or_default()
    }

    /// Number of lines.
    pub fn line_count(&self) -> usize {
        self.lines().count()
    }

    /// An owned copy.
    pub fn into_owned(self) -> Reply<'static> {
        Reply {
            code: self.code,
            enhanced: self.enhanced,
            raw: Cow::Owned(self.raw.into_owned()),
        }
    }
}

/// The text of each line of a reply's wire form (see [`Reply::lines`]).
struct Lines<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Lines<'a> {
    type Item = &'a [u8];

    #[inline(always)]
    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let rest = self.rest;
            if rest.is_empty() {
                return None;
            }
            let (text, after) = first_line(rest);
            self.rest = after;
            // An empty line (none in a parsed or built reply) is skipped.
            if rest.first() != Some(&b'\n') {
                return Some(text);
            }
        }
    }
}

impl PartialEq for Reply<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.code == other.code && self.enhanced == other.enhanced && self.lines().eq(other.lines())
    }
}

impl Eq for Reply<'_> {}

impl fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lines: Vec<Cow<'_, str>> = self.lines().map(String::from_utf8_lossy).collect();
        f.debug_struct("Reply")
            .field("code", &self.code)
            .field("enhanced", &self.enhanced)
            .field("lines", &lines)
            .finish()
    }
}

impl fmt::Display for Reply<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code)?;
        for (i, line) in self.lines().enumerate() {
            let sep = if i == 0 { " " } else { " / " };
            write!(f, "{sep}{}", String::from_utf8_lossy(line))?;
        }
        Ok(())
    }
}

/// The first line of a reply's wire form (`raw` starts at a line start): its text, after the
/// code and its separator and without the line end, as [`Reply::lines`] reads it; and the
/// wire form after its line end.
pub(super) fn first_line(raw: &[u8]) -> (&[u8], &[u8]) {
    let (line, after) = proto_core::swar::split_once_byte(b'\n', raw).unwrap_or((raw, &[]));
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    (text_of(line), after)
}

/// The text of a reply line without its line end: what follows the code and its separator,
/// none for a line of the code alone.
pub(super) fn text_of(line: &[u8]) -> &[u8] {
    match line {
        [_, _, _, _, text @ ..] => text,
        _ => &[],
    }
}
