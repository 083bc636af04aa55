//! The values of SMTP: commands, paths, parameters, replies, enhanced status codes and the
//! capabilities of an EHLO reply.
//!
//! Borrowed types (`T<'a>`, holding `Cow`s into the input) come out of the codec without a
//! copy; `into_owned()` gives a `T<'static>` for events.

use std::borrow::Cow;
use std::fmt;

use sasl_proto::Mechanism;
use sasl_proto::mechanism::MechanismSet;

use crate::codec::is_name;
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
        let count = lines.len().max(1);
        for i in 0..count {
            let text = lines.get(i).copied().unwrap_or_default();
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
                Some((found, n)) if found == e => {
                    let rest = line.get(n..).unwrap_or_default();
                    rest.strip_prefix(b" ").unwrap_or(rest)
                }
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
            let (text, next) = line_text(rest, 0);
            self.rest = rest.get(next..).unwrap_or_default();
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

/// A domain or an address literal (`[192.0.2.1]`, `[IPv6:...]`), as written.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Domain<'a>(pub(crate) Cow<'a, str>);

impl<'a> Domain<'a> {
    /// The domain as written.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True for an address literal.
    pub fn is_literal(&self) -> bool {
        self.0.starts_with('[')
    }

    /// An owned copy.
    pub fn into_owned(self) -> Domain<'static> {
        Domain(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Display for Domain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A mailbox `local@domain` (RFC 5321 4.1.2). The local part is kept as written: a
/// dot-string or a quoted string with its quotes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mailbox<'a> {
    pub(crate) local: Cow<'a, str>,
    pub(crate) domain: Domain<'a>,
}

impl<'a> Mailbox<'a> {
    /// Parses `local@domain` with the default limits.
    pub fn parse(text: &'a str) -> Result<Self, crate::ParseError> {
        crate::codec::parse_mailbox(text, &crate::Limits::default())
    }

    /// The local part as written (quotes included).
    pub fn local_part(&self) -> &str {
        &self.local
    }

    /// The domain.
    pub fn domain(&self) -> &Domain<'a> {
        &self.domain
    }

    /// True when every octet is ASCII (else the address needs SMTPUTF8, RFC 6531).
    pub fn is_ascii(&self) -> bool {
        self.local.is_ascii() && self.domain.0.is_ascii()
    }

    /// An owned copy.
    pub fn into_owned(self) -> Mailbox<'static> {
        Mailbox {
            local: Cow::Owned(self.local.into_owned()),
            domain: self.domain.into_owned(),
        }
    }
}

impl fmt::Display for Mailbox<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.domain)
    }
}

/// The argument of MAIL FROM: the null path `<>` (bounces) or a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReversePath<'a> {
    /// `<>`.
    Null,
    /// `<local@domain>` (a source route before it is dropped).
    Mailbox(Mailbox<'a>),
}

impl ReversePath<'_> {
    /// An owned copy.
    pub fn into_owned(self) -> ReversePath<'static> {
        match self {
            Self::Null => ReversePath::Null,
            Self::Mailbox(m) => ReversePath::Mailbox(m.into_owned()),
        }
    }
}

impl fmt::Display for ReversePath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Null => f.write_str("<>"),
            Self::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// The argument of RCPT TO: `<Postmaster>` or a mailbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ForwardPath<'a> {
    /// `<Postmaster>` without a domain (RFC 5321 4.1.1.3).
    Postmaster,
    /// `<local@domain>`.
    Mailbox(Mailbox<'a>),
}

impl ForwardPath<'_> {
    /// An owned copy.
    pub fn into_owned(self) -> ForwardPath<'static> {
        match self {
            Self::Postmaster => ForwardPath::Postmaster,
            Self::Mailbox(m) => ForwardPath::Mailbox(m.into_owned()),
        }
    }
}

impl fmt::Display for ForwardPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Postmaster => f.write_str("<Postmaster>"),
            Self::Mailbox(m) => write!(f, "<{m}>"),
        }
    }
}

/// BODY= (RFC 6152, RFC 3030).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Body {
    /// 7BIT.
    SevenBit,
    /// 8BITMIME.
    EightBitMime,
    /// BINARYMIME (needs BDAT).
    BinaryMime,
}

impl Body {
    /// The keyword value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SevenBit => "7BIT",
            Self::EightBitMime => "8BITMIME",
            Self::BinaryMime => "BINARYMIME",
        }
    }
}

/// RET= (RFC 3461 4.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ret {
    /// FULL: return the whole message.
    Full,
    /// HDRS: return the headers only.
    Hdrs,
}

/// NOTIFY= (RFC 3461 4.1). All three false is NEVER.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Notify {
    /// SUCCESS.
    pub success: bool,
    /// FAILURE.
    pub failure: bool,
    /// DELAY.
    pub delay: bool,
}

impl Notify {
    /// NOTIFY=NEVER.
    pub const NEVER: Self = Self {
        success: false,
        failure: false,
        delay: false,
    };

    /// True for NEVER.
    pub fn is_never(self) -> bool {
        self == Self::NEVER
    }
}

/// ORCPT= (RFC 3461 4.2): an address type and the original address in xtext.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Orcpt<'a> {
    /// The address type, usually `rfc822` (or `utf-8`, RFC 6533).
    pub addr_type: Cow<'a, str>,
    /// The address, xtext-encoded as on the wire.
    pub xtext: Cow<'a, str>,
}

impl Orcpt<'_> {
    /// `rfc822;` and the address, xtext-encoded.
    pub fn rfc822(address: &str) -> Orcpt<'static> {
        Orcpt {
            addr_type: Cow::Borrowed("rfc822"),
            xtext: Cow::Owned(xtext_encode(address.as_bytes())),
        }
    }

    /// The address, xtext-decoded.
    pub fn address(&self) -> Option<Vec<u8>> {
        xtext_decode(&self.xtext)
    }

    /// An owned copy.
    pub fn into_owned(self) -> Orcpt<'static> {
        Orcpt {
            addr_type: Cow::Owned(self.addr_type.into_owned()),
            xtext: Cow::Owned(self.xtext.into_owned()),
        }
    }
}

/// Encodes octets as xtext (RFC 3461 4): `+XX` for "+", "=", controls, space and 8-bit.
pub fn xtext_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len());
    for &b in data {
        if (33..=126).contains(&b) && b != b'+' && b != b'=' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("+{b:02X}"));
        }
    }
    out
}

/// Decodes xtext; `None` when it is not valid xtext.
pub fn xtext_decode(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'+' {
            let hi = hex_upper(*bytes.get(i + 1)?)?;
            let lo = hex_upper(*bytes.get(i + 2)?)?;
            out.push(hi << 4 | lo);
            i += 3;
        } else if (33..=126).contains(&b) && b != b'=' {
            out.push(b);
            i += 1;
        } else {
            return None;
        }
    }
    Some(out)
}

/// True for valid xtext (RFC 3461 4); allocates nothing (the codec's borrowed path uses it).
pub(crate) fn is_xtext(text: &str) -> bool {
    let bytes = text.as_bytes();
    // One branch-free pass for the common case, a value without "+" hex escapes.
    let (plain, plus) = bytes.iter().fold((true, false), |(plain, plus), &b| {
        let xchar = b.wrapping_sub(33) < 94 && b != b'=';
        (plain & xchar, plus | (b == b'+'))
    });
    if !plus {
        return plain;
    }
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b == b'+' {
            let ok = bytes.get(i + 1).and_then(|&h| hex_upper(h)).is_some()
                && bytes.get(i + 2).and_then(|&h| hex_upper(h)).is_some();
            if !ok {
                return false;
            }
            i += 3;
        } else if (33..=126).contains(&b) && b != b'=' {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

fn hex_upper(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// BY= (RFC 2852): deliver within `seconds` or notify/return.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeliverBy {
    /// The by-time in seconds (may be negative with mode N).
    pub seconds: i64,
    /// True for mode R (return the message), false for N (notify).
    pub return_on_failure: bool,
    /// The T (trace) modifier.
    pub trace: bool,
}

/// The parameters of MAIL FROM. Unknown parameters are kept raw in [`Self::extra`].
#[derive(Debug, Clone, Default, Eq)]
#[non_exhaustive]
pub struct MailParameters<'a> {
    /// SIZE= (RFC 1870).
    pub size: Option<u64>,
    /// BODY= (RFC 6152, RFC 3030).
    pub body: Option<Body>,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// RET= (RFC 3461).
    pub ret: Option<Ret>,
    /// ENVID= in xtext (RFC 3461).
    pub envid: Option<Cow<'a, str>>,
    /// AUTH= in xtext, or `<>` (RFC 4954 5).
    pub auth: Option<Cow<'a, str>>,
    /// REQUIRETLS (RFC 8689).
    pub requiretls: bool,
    /// MT-PRIORITY= from -9 to 9 (RFC 6710).
    pub mt_priority: Option<i8>,
    /// BY= (RFC 2852).
    pub by: Option<DeliverBy>,
    /// HOLDFOR= seconds (RFC 4865).
    pub hold_for: Option<u64>,
    /// HOLDUNTIL= date-time as written (RFC 4865).
    pub hold_until: Option<Cow<'a, str>>,
    /// Parameters this crate does not know, space-separated as received. Keywords known to
    /// this type are ignored inside it; [`Self::unknown`] lists the rest.
    pub extra: Cow<'a, str>,
}

pub(crate) const MAIL_KEYWORDS: &[&str] = &[
    "SIZE",
    "BODY",
    "SMTPUTF8",
    "RET",
    "ENVID",
    "AUTH",
    "REQUIRETLS",
    "MT-PRIORITY",
    "BY",
    "HOLDFOR",
    "HOLDUNTIL",
];
pub(crate) const RCPT_KEYWORDS: &[&str] = &["NOTIFY", "ORCPT", "RRVS"];

fn unknown_params<'s>(
    extra: &'s str,
    known: &'static [&'static str],
) -> impl Iterator<Item = (&'s str, Option<&'s str>)> + 's {
    extra
        .split(' ')
        .filter(|t| !t.is_empty())
        .filter_map(move |token| {
            let (keyword, value) = match token.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (token, None),
            };
            if known.iter().any(|k| k.eq_ignore_ascii_case(keyword)) {
                None
            } else {
                Some((keyword, value))
            }
        })
}

impl<'a> MailParameters<'a> {
    /// No parameter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The unknown parameters: keyword and optional value.
    pub fn unknown(&self) -> impl Iterator<Item = (&str, Option<&str>)> + '_ {
        unknown_params(&self.extra, MAIL_KEYWORDS)
    }

    /// True when no parameter is set.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// An owned copy.
    pub fn into_owned(self) -> MailParameters<'static> {
        MailParameters {
            size: self.size,
            body: self.body,
            smtputf8: self.smtputf8,
            ret: self.ret,
            envid: self.envid.map(|c| Cow::Owned(c.into_owned())),
            auth: self.auth.map(|c| Cow::Owned(c.into_owned())),
            requiretls: self.requiretls,
            mt_priority: self.mt_priority,
            by: self.by,
            hold_for: self.hold_for,
            hold_until: self.hold_until.map(|c| Cow::Owned(c.into_owned())),
            extra: Cow::Owned(self.extra.into_owned()),
        }
    }
}

impl PartialEq for MailParameters<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.size == other.size
            && self.body == other.body
            && self.smtputf8 == other.smtputf8
            && self.ret == other.ret
            && self.envid == other.envid
            && self.auth == other.auth
            && self.requiretls == other.requiretls
            && self.mt_priority == other.mt_priority
            && self.by == other.by
            && self.hold_for == other.hold_for
            && self.hold_until == other.hold_until
            && self.unknown().eq(other.unknown())
    }
}

/// The parameters of RCPT TO. Unknown parameters are kept raw in [`Self::extra`].
#[derive(Debug, Clone, Default, Eq)]
#[non_exhaustive]
pub struct RcptParameters<'a> {
    /// NOTIFY= (RFC 3461).
    pub notify: Option<Notify>,
    /// ORCPT= (RFC 3461).
    pub orcpt: Option<Orcpt<'a>>,
    /// RRVS= date-time and optional `;C` or `;R`, as written (RFC 7293).
    pub rrvs: Option<Cow<'a, str>>,
    /// Parameters this crate does not know, as received (see [`MailParameters::extra`]).
    pub extra: Cow<'a, str>,
}

impl<'a> RcptParameters<'a> {
    /// No parameter.
    pub fn new() -> Self {
        Self::default()
    }

    /// The unknown parameters: keyword and optional value.
    pub fn unknown(&self) -> impl Iterator<Item = (&str, Option<&str>)> + '_ {
        unknown_params(&self.extra, RCPT_KEYWORDS)
    }

    /// True when no parameter is set.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }

    /// An owned copy.
    pub fn into_owned(self) -> RcptParameters<'static> {
        RcptParameters {
            notify: self.notify,
            orcpt: self.orcpt.map(Orcpt::into_owned),
            rrvs: self.rrvs.map(|c| Cow::Owned(c.into_owned())),
            extra: Cow::Owned(self.extra.into_owned()),
        }
    }
}

impl PartialEq for RcptParameters<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.notify == other.notify
            && self.orcpt == other.orcpt
            && self.rrvs == other.rrvs
            && self.unknown().eq(other.unknown())
    }
}

/// An SMTP or LMTP command (RFC 5321 4.1.1 and the extensions).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command<'a> {
    /// EHLO domain-or-literal.
    Ehlo(Cow<'a, str>),
    /// HELO domain.
    Helo(Cow<'a, str>),
    /// LHLO domain (RFC 2033).
    Lhlo(Cow<'a, str>),
    /// `MAIL FROM:<path> parameters`.
    Mail {
        /// The reverse path.
        from: ReversePath<'a>,
        /// The parameters.
        params: MailParameters<'a>,
    },
    /// `RCPT TO:<path> parameters`.
    Rcpt {
        /// The forward path.
        to: ForwardPath<'a>,
        /// The parameters.
        params: RcptParameters<'a>,
    },
    /// DATA.
    Data,
    /// `BDAT size [LAST]` (RFC 3030).
    Bdat {
        /// Octets of the chunk that follows the line.
        size: u64,
        /// LAST: the final chunk.
        last: bool,
    },
    /// RSET.
    Rset,
    /// VRFY string.
    Vrfy(Cow<'a, str>),
    /// EXPN string.
    Expn(Cow<'a, str>),
    /// `HELP [string]`.
    Help(Option<Cow<'a, str>>),
    /// `NOOP [string]`.
    Noop(Option<Cow<'a, str>>),
    /// QUIT.
    Quit,
    /// STARTTLS (RFC 3207).
    StartTls,
    /// `AUTH mechanism [initial-response]` (RFC 4954).
    Auth {
        /// The mechanism name as written.
        mechanism: Cow<'a, str>,
        /// The initial response, base64 or `=`, as written.
        initial_response: Option<Cow<'a, str>>,
    },
    /// ETRN node (RFC 1985).
    Etrn(Cow<'a, str>),
}

fn own(c: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(c.into_owned())
}

impl<'a> Command<'a> {
    /// `EHLO domain`.
    pub fn ehlo(domain: impl Into<Cow<'a, str>>) -> Self {
        Self::Ehlo(domain.into())
    }

    /// `MAIL FROM:<mailbox>` without parameters; `""` gives the null path.
    pub fn mail_from(address: &'a str) -> Result<Self, crate::ParseError> {
        let from = if address.is_empty() {
            ReversePath::Null
        } else {
            ReversePath::Mailbox(Mailbox::parse(address)?)
        };
        Ok(Self::Mail {
            from,
            params: MailParameters::default(),
        })
    }

    /// `RCPT TO:<mailbox>` without parameters.
    pub fn rcpt_to(address: &'a str) -> Result<Self, crate::ParseError> {
        Ok(Self::Rcpt {
            to: ForwardPath::Mailbox(Mailbox::parse(address)?),
            params: RcptParameters::default(),
        })
    }

    /// The verb, upper case.
    pub fn verb(&self) -> &'static str {
        match self {
            Self::Ehlo(_) => "EHLO",
            Self::Helo(_) => "HELO",
            Self::Lhlo(_) => "LHLO",
            Self::Mail { .. } => "MAIL",
            Self::Rcpt { .. } => "RCPT",
            Self::Data => "DATA",
            Self::Bdat { .. } => "BDAT",
            Self::Rset => "RSET",
            Self::Vrfy(_) => "VRFY",
            Self::Expn(_) => "EXPN",
            Self::Help(_) => "HELP",
            Self::Noop(_) => "NOOP",
            Self::Quit => "QUIT",
            Self::StartTls => "STARTTLS",
            Self::Auth { .. } => "AUTH",
            Self::Etrn(_) => "ETRN",
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Command<'static> {
        match self {
            Self::Ehlo(d) => Command::Ehlo(own(d)),
            Self::Helo(d) => Command::Helo(own(d)),
            Self::Lhlo(d) => Command::Lhlo(own(d)),
            Self::Mail { from, params } => Command::Mail {
                from: from.into_owned(),
                params: params.into_owned(),
            },
            Self::Rcpt { to, params } => Command::Rcpt {
                to: to.into_owned(),
                params: params.into_owned(),
            },
            Self::Data => Command::Data,
            Self::Bdat { size, last } => Command::Bdat { size, last },
            Self::Rset => Command::Rset,
            Self::Vrfy(s) => Command::Vrfy(own(s)),
            Self::Expn(s) => Command::Expn(own(s)),
            Self::Help(s) => Command::Help(s.map(own)),
            Self::Noop(s) => Command::Noop(s.map(own)),
            Self::Quit => Command::Quit,
            Self::StartTls => Command::StartTls,
            Self::Auth {
                mechanism,
                initial_response,
            } => Command::Auth {
                mechanism: own(mechanism),
                initial_response: initial_response.map(own),
            },
            Self::Etrn(s) => Command::Etrn(own(s)),
        }
    }
}

/// The text of the line at `pos` of a reply's wire form (after the code and its separator,
/// without the line end) and where the next line starts, as [`Reply::lines`] reads it.
fn line_text(raw: &[u8], pos: usize) -> (&[u8], usize) {
    let rest = raw.get(pos..).unwrap_or_default();
    let (line, next) = match proto_core::swar::find_byte(b'\n', rest) {
        Some(lf) => (rest.get(..lf).unwrap_or_default(), pos + lf + 1),
        None => (rest, raw.len()),
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    (line.get(4..).unwrap_or_default(), next)
}

/// The words of an EHLO line's arguments: runs of octets between SP and "=".
struct Words<'a>(&'a [u8]);

impl<'a> Iterator for Words<'a> {
    type Item = &'a [u8];

    #[inline(always)]
    fn next(&mut self) -> Option<&'a [u8]> {
        let mut rest = self.0;
        while let [b' ' | b'=', tail @ ..] = rest {
            rest = tail;
        }
        if rest.is_empty() {
            self.0 = rest;
            return None;
        }
        let mut end = 0;
        while let Some(b) = rest.get(end)
            && !matches!(b, b' ' | b'=')
        {
            end += 1;
        }
        let (word, tail) = rest.split_at(end);
        self.0 = tail;
        Some(word)
    }
}

/// The first `a` or `b` (both nonzero) from `at`, and which.
fn first_of2(s: &[u8], at: usize, a: u8, b: u8) -> Option<(usize, u8)> {
    use proto_core::swar::{first, splat, word_at, zero_bytes};
    let mut i = at;
    while i < s.len() {
        let w = word_at(s, i);
        // Exact per byte; the zeros past the end are neither (both are nonzero).
        let found = zero_bytes(w ^ splat(a)) | zero_bytes(w ^ splat(b));
        if found != 0 {
            let at = i + first(found);
            return s.get(at).map(|&c| (at, c));
        }
        i += 8;
    }
    None
}

/// A number from `at` and the line end right after it: the number and where the next line
/// starts.
#[inline(always)]
fn number_line(raw: &[u8], at: usize) -> Option<(u64, usize)> {
    let rest = raw.get(at..)?;
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let n = crate::codec::parse_u64_bytes(rest.get(..digits)?)?;
    let end = match rest.get(digits..)? {
        [b'\r', b'\n', ..] => digits + 2,
        [b'\n', ..] => digits + 1,
        _ => return None,
    };
    Some((n, at + end))
}

/// LIMITS (RFC 9422) values of an EHLO reply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerLimits {
    /// MAILMAX: transactions per connection.
    pub mailmax: Option<u32>,
    /// RCPTMAX: recipients per transaction.
    pub rcptmax: Option<u32>,
    /// RCPTDOMAINMAX: recipient domains per transaction.
    pub rcptdomainmax: Option<u32>,
}

/// The capabilities of an EHLO (or LHLO) reply, typed; unknown keywords kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Capabilities {
    /// The domain of the first line.
    pub domain: String,
    /// SIZE (RFC 1870), with its value (0: no fixed maximum).
    pub size: Option<u64>,
    /// PIPELINING (RFC 2920).
    pub pipelining: bool,
    /// 8BITMIME (RFC 6152).
    pub eight_bit_mime: bool,
    /// BINARYMIME (RFC 3030).
    pub binary_mime: bool,
    /// CHUNKING (RFC 3030).
    pub chunking: bool,
    /// DSN (RFC 3461).
    pub dsn: bool,
    /// SMTPUTF8 (RFC 6531).
    pub smtputf8: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034).
    pub enhanced_status_codes: bool,
    /// STARTTLS (RFC 3207).
    pub starttls: bool,
    /// AUTH mechanisms (RFC 4954); also from the old `AUTH=` form. A set of known mechanisms
    /// takes no allocation.
    pub auth: MechanismSet,
    /// REQUIRETLS (RFC 8689).
    pub requiretls: bool,
    /// DELIVERBY (RFC 2852), with its minimum by-time (0 when absent).
    pub deliver_by: Option<u64>,
    /// MT-PRIORITY (RFC 6710), with its policy name if any.
    pub mt_priority: Option<String>,
    /// FUTURERELEASE (RFC 4865): max interval and max date-time.
    pub future_release: Option<(u64, String)>,
    /// RRVS (RFC 7293).
    pub rrvs: bool,
    /// ETRN (RFC 1985).
    pub etrn: bool,
    /// LIMITS (RFC 9422).
    pub limits: Option<ServerLimits>,
    /// Any other line, as received.
    pub unknown: Vec<String>,
}

/// The flag keywords of [`Capabilities`] (upper case) and their fields, listed once: `flag`
/// finds a keyword in any case, `flag_line` a line that is one exactly.
macro_rules! flags {
    ($($name:literal => $field:ident),* $(,)?) => {
        /// The flag a keyword sets, if it is one of them.
        #[inline(always)]
        fn flag(&mut self, keyword: &[u8]) -> Option<&mut bool> {
            // By length and first letter first: one comparison per keyword, not a chain.
            let first = keyword.first()?.to_ascii_uppercase();
            $(
                if keyword.len() == $name.len() && first == $name[0] && is_name(keyword, $name) {
                    return Some(&mut self.$field);
                }
            )*
            None
        }

        /// Sets the flag of a line whose text is a flag keyword in upper case and its line
        /// end, as servers send them; answers the length of both. The next line's start is
        /// then a constant past this one's once the branch is taken, not the end of a search
        /// through its octets.
        #[inline(always)]
        fn flag_line(&mut self, text: &[u8]) -> Option<usize> {
            let first = *text.first()?;
            let (flag, n) = 'found: {
                $(
                    if first == $name[0] && text.starts_with($name) {
                        break 'found (&mut self.$field, $name.len());
                    }
                )*
                return None;
            };
            let end = match text.get(n..) {
                Some([b'\r', b'\n', ..]) => n + 2,
                Some([b'\n', ..]) => n + 1,
                _ => return None,
            };
            *flag = true;
            Some(end)
        }
    };
}

impl Capabilities {
    /// Reads the capabilities of a positive EHLO or LHLO reply.
    pub fn from_ehlo(reply: &Reply<'_>) -> Self {
        let mut caps = Self::default();
        let raw = reply.raw();
        let mut pos = caps.read_domain(raw);
        while pos < raw.len() {
            pos = caps.read_line(raw, pos);
        }
        caps
    }

    /// The domain of the first line (up to its first SP); where the next line starts.
    fn read_domain(&mut self, raw: &[u8]) -> usize {
        let (domain, next) = match raw.get(3) {
            // Every line of a reply starts with three digits: a separator after them means
            // text from octet 4. One scan for the SP after the domain or the LF.
            Some(b' ' | b'-') => match first_of2(raw, 4, b' ', b'\n') {
                Some((at, b' ')) => {
                    let next =
                        proto_core::swar::find_byte(b'\n', raw.get(at..).unwrap_or_default())
                            .map_or(raw.len(), |lf| at + lf + 1);
                    (raw.get(4..at).unwrap_or_default(), next)
                }
                Some((at, _)) => {
                    let text = raw.get(4..at).unwrap_or_default();
                    (text.strip_suffix(b"\r").unwrap_or(text), at + 1)
                }
                None => (raw.get(4..).unwrap_or_default(), raw.len()),
            },
            _ => {
                let (text, next) = line_text(raw, 0);
                let end = proto_core::swar::find_byte(b' ', text).unwrap_or(text.len());
                (text.get(..end).unwrap_or_default(), next)
            }
        };
        // Checked in its own (aligned) allocation: UTF-8 is checked a word at a time there.
        self.domain = String::from_utf8(domain.to_vec())
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
        next
    }

    /// Reads the line starting at `pos`; where the next one starts.
    #[inline(always)]
    fn read_line(&mut self, raw: &[u8], pos: usize) -> usize {
        use proto_core::swar::{bytes_below, first, splat, word_at, zero_bytes};
        let text_at = pos + 4;
        if matches!(raw.get(pos + 3), Some(b' ' | b'-')) {
            if let Some(len) = self.flag_line(raw.get(text_at..).unwrap_or_default()) {
                return text_at + len;
            }
            // The keyword ends at the first octet below "!" or "=": looked for in up to three
            // words (the longest keyword and its CR fit), without finding the LF first.
            let mut stop = None;
            for i in 0..3 {
                let w = word_at(raw, text_at + 8 * i);
                let stops = bytes_below(w, 0x21) | zero_bytes(w ^ splat(b'='));
                if stops != 0 {
                    stop = Some(text_at + 8 * i + first(stops));
                    break;
                }
            }
            if let Some(at) = stop {
                let keyword = raw.get(text_at..at).unwrap_or_default();
                match (raw.get(at), raw.get(at + 1)) {
                    // A keyword alone on its line, most lines.
                    (Some(b'\n'), _) => {
                        self.add_keyword(keyword);
                        return at + 1;
                    }
                    (Some(b'\r'), Some(b'\n')) => {
                        self.add_keyword(keyword);
                        return at + 2;
                    }
                    // The keyword is known to end here: its arguments read in the same
                    // pass where their form is the usual one, else the line end looked for.
                    (Some(b' ' | b'='), _) => {
                        if let Some(next) = self.read_args(raw, keyword, at + 1) {
                            return next;
                        }
                        let (line, next) = match proto_core::swar::find_byte(
                            b'\n',
                            raw.get(at..).unwrap_or_default(),
                        ) {
                            Some(lf) => {
                                (raw.get(text_at..at + lf).unwrap_or_default(), at + lf + 1)
                            }
                            None => (raw.get(text_at..).unwrap_or_default(), raw.len()),
                        };
                        self.add_args(line.strip_suffix(b"\r").unwrap_or(line), keyword.len());
                        return next;
                    }
                    _ => {}
                }
            }
        }
        let (line, next) = line_text(raw, pos);
        // An empty line (none in a parsed or built reply) is skipped, as `lines` does.
        if raw.get(pos) != Some(&b'\n') {
            self.add_line(line);
        }
        next
    }

    flags! {
        b"PIPELINING" => pipelining,
        b"8BITMIME" => eight_bit_mime,
        b"BINARYMIME" => binary_mime,
        b"CHUNKING" => chunking,
        b"DSN" => dsn,
        b"SMTPUTF8" => smtputf8,
        b"ENHANCEDSTATUSCODES" => enhanced_status_codes,
        b"STARTTLS" => starttls,
        b"REQUIRETLS" => requiretls,
        b"RRVS" => rrvs,
        b"ETRN" => etrn,
    }

    /// The arguments from `at` of the usual SIZE, DELIVERBY and AUTH lines (one number, or
    /// mechanisms, then the line end), read without finding the line end first; where the
    /// next line starts, or `None` for any other line (read then by `add_args`).
    #[inline(always)]
    fn read_args(&mut self, raw: &[u8], keyword: &[u8], mut at: usize) -> Option<usize> {
        let first = keyword.first()?.to_ascii_uppercase();
        match (keyword.len(), first) {
            (4, b'S') if is_name(keyword, b"SIZE") => {
                let (n, next) = number_line(raw, at)?;
                self.size = Some(n);
                Some(next)
            }
            (9, b'D') if is_name(keyword, b"DELIVERBY") => {
                let (n, next) = number_line(raw, at)?;
                self.deliver_by = Some(n);
                Some(next)
            }
            // Mechanisms inserted before an unusual octet is met are the first of those
            // `add_args` then inserts again, in the same order: the set is the same.
            (4, b'A') if is_name(keyword, b"AUTH") => loop {
                let start = at;
                while let Some(&b) = raw.get(at)
                    && b > b' '
                    && b != b'='
                {
                    at += 1;
                }
                // A word is taken once its end is known to be one `add_args` sees too.
                let next = match raw.get(at..)? {
                    [b' ' | b'=', ..] => None,
                    [b'\r', b'\n', ..] => Some(at + 2),
                    [b'\n', ..] => Some(at + 1),
                    _ => return None,
                };
                if let Some(m) = raw
                    .get(start..at)
                    .and_then(|word| Mechanism::parse_bytes(word).ok())
                {
                    self.auth.insert(m);
                }
                match next {
                    Some(next) => return Some(next),
                    None => at += 1,
                }
            },
            _ => None,
        }
    }

    /// A line that is a keyword alone.
    #[inline(always)]
    fn add_keyword(&mut self, keyword: &[u8]) {
        match self.flag(keyword) {
            Some(flag) => *flag = true,
            None => self.add_args(keyword, keyword.len()),
        }
    }

    fn add_line(&mut self, line: &[u8]) {
        // Most lines are a flag keyword alone: the whole line is tried first.
        if let Some(flag) = self.flag(line) {
            *flag = true;
            return;
        }
        let kw_end = line
            .iter()
            .position(|&b| b == b' ' || b == b'=')
            .unwrap_or(line.len());
        self.add_args(line, kw_end);
    }

    /// A line whose keyword ends at `kw_end` (its first SP or "=", or its end).
    fn add_args(&mut self, line: &[u8], kw_end: usize) {
        let keyword = line.get(..kw_end).unwrap_or_default();
        if keyword.is_empty() {
            return;
        }
        let args = line.get(kw_end..).unwrap_or_default();
        let mut words = Words(args);
        // Numbers are read from the octets; text is made a string only where kept.
        let number = |w: Option<&[u8]>| w.and_then(crate::codec::parse_u64_bytes).unwrap_or(0);
        let text = |bytes: &[u8]| String::from_utf8_lossy(bytes).into_owned();
        if let Some(flag) = self.flag(keyword) {
            *flag = true;
            return;
        }
        // `is_name` compares the length first: no call per keyword tried.
        if is_name(keyword, b"SIZE") {
            self.size = Some(number(words.next()));
        } else if is_name(keyword, b"AUTH") {
            for m in words.filter_map(|word| Mechanism::parse_bytes(word).ok()) {
                self.auth.insert(m);
            }
        } else if is_name(keyword, b"DELIVERBY") {
            self.deliver_by = Some(number(words.next()));
        } else if is_name(keyword, b"MT-PRIORITY") {
            let start = args
                .iter()
                .position(|&b| b != b' ' && b != b'=')
                .unwrap_or(args.len());
            self.mt_priority = Some(text(args.get(start..).unwrap_or_default()));
        } else if is_name(keyword, b"FUTURERELEASE") {
            let interval = number(words.next());
            let until = text(words.next().unwrap_or_default());
            self.future_release = Some((interval, until));
        } else if is_name(keyword, b"LIMITS") {
            let mut limits = ServerLimits::default();
            for token in args.split(|&b| b == b' ').filter(|t| !t.is_empty()) {
                let Some(eq) = token.iter().position(|&b| b == b'=') else {
                    continue;
                };
                let k = token.get(..eq).unwrap_or_default();
                let v = std::str::from_utf8(token.get(eq + 1..).unwrap_or_default())
                    .ok()
                    .and_then(|v| v.parse().ok());
                if k.eq_ignore_ascii_case(b"MAILMAX") {
                    limits.mailmax = v;
                } else if k.eq_ignore_ascii_case(b"RCPTMAX") {
                    limits.rcptmax = v;
                } else if k.eq_ignore_ascii_case(b"RCPTDOMAINMAX") {
                    limits.rcptdomainmax = v;
                }
            }
            self.limits = Some(limits);
        } else {
            self.unknown.push(text(line));
        }
    }

    /// The keyword lines of an EHLO reply for these capabilities (without the domain line).
    pub fn ehlo_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.pipelining {
            lines.push("PIPELINING".to_owned());
        }
        if let Some(size) = self.size {
            lines.push(if size == 0 {
                "SIZE".to_owned()
            } else {
                format!("SIZE {size}")
            });
        }
        if self.starttls {
            lines.push("STARTTLS".to_owned());
        }
        if !self.auth.is_empty() {
            let names: Vec<&str> = self.auth.iter().map(Mechanism::as_str).collect();
            lines.push(format!("AUTH {}", names.join(" ")));
        }
        let flags = [
            (self.enhanced_status_codes, "ENHANCEDSTATUSCODES"),
            (self.eight_bit_mime, "8BITMIME"),
            (self.binary_mime, "BINARYMIME"),
            (self.chunking, "CHUNKING"),
            (self.dsn, "DSN"),
            (self.smtputf8, "SMTPUTF8"),
            (self.requiretls, "REQUIRETLS"),
            (self.rrvs, "RRVS"),
            (self.etrn, "ETRN"),
        ];
        for (on, name) in flags {
            if on {
                lines.push(name.to_owned());
            }
        }
        if let Some(by) = self.deliver_by {
            lines.push(if by == 0 {
                "DELIVERBY".to_owned()
            } else {
                format!("DELIVERBY {by}")
            });
        }
        if let Some(profile) = &self.mt_priority {
            lines.push(if profile.is_empty() {
                "MT-PRIORITY".to_owned()
            } else {
                format!("MT-PRIORITY {profile}")
            });
        }
        if let Some((interval, until)) = &self.future_release {
            lines.push(format!("FUTURERELEASE {interval} {until}"));
        }
        if let Some(l) = &self.limits {
            let mut line = "LIMITS".to_owned();
            for (name, v) in [
                ("MAILMAX", l.mailmax),
                ("RCPTMAX", l.rcptmax),
                ("RCPTDOMAINMAX", l.rcptdomainmax),
            ] {
                if let Some(v) = v {
                    line.push_str(&format!(" {name}={v}"));
                }
            }
            lines.push(line);
        }
        lines.extend(self.unknown.iter().cloned());
        lines
    }

    /// The whole positive EHLO reply: the domain line, then [`Self::ehlo_lines`].
    pub fn to_reply(&self, greeting: &str) -> Result<Reply<'static>, EncodeError> {
        let first = if greeting.is_empty() {
            self.domain.clone()
        } else {
            format!("{} {greeting}", self.domain)
        };
        let lines = self.ehlo_lines();
        let mut all: Vec<&str> = vec![first.as_str()];
        all.extend(lines.iter().map(String::as_str));
        Reply::multiline(ReplyCode::OK, None, &all)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::codec::{Parsed, parse_reply};

    /// The capabilities read line by line through [`Reply::lines`], as `from_ehlo` did
    /// before it walked the wire form once.
    fn by_lines(reply: &Reply<'_>) -> Capabilities {
        let mut caps = Capabilities::default();
        let mut lines = reply.lines();
        if let Some(first) = lines.next() {
            let end = first.iter().position(|&b| b == b' ').unwrap_or(first.len());
            caps.domain = String::from_utf8_lossy(first.get(..end).unwrap_or_default()).into();
        }
        for line in lines {
            caps.add_line(line);
        }
        caps
    }

    fn text_octet() -> impl Strategy<Value = u8> {
        prop_oneof![
            4 => prop::sample::select(b"ABCDEFGHIJKLMNOPRSTUVWXYZ0123456789-.".to_vec()),
            1 => prop::sample::select(b" =\r\t\x0b\x00\x7f\x80\xc3\xa9abc".to_vec()),
        ]
    }

    fn keyword() -> impl Strategy<Value = Vec<u8>> {
        prop_oneof![
            prop::sample::select(vec![
                &b"PIPELINING"[..],
                b"8BITMIME",
                b"BINARYMIME",
                b"CHUNKING",
                b"DSN",
                b"SMTPUTF8",
                b"ENHANCEDSTATUSCODES",
                b"STARTTLS",
                b"REQUIRETLS",
                b"RRVS",
                b"ETRN",
                b"SIZE",
                b"AUTH",
                b"DELIVERBY",
                b"MT-PRIORITY",
                b"FUTURERELEASE",
                b"LIMITS",
                b"pipelining",
                b"Size",
                b"auth",
            ])
            .prop_map(<[u8]>::to_vec),
            prop::collection::vec(text_octet(), 0..24),
        ]
    }

    fn line() -> impl Strategy<Value = Vec<u8>> {
        (
            keyword(),
            prop::option::of((
                prop::sample::select(vec![&b" "[..], b"=", b"  ", b"\t"]),
                prop_oneof![
                    prop::collection::vec(text_octet(), 0..30),
                    "[0-9]{0,22}( [0-9x]{1,3})?".prop_map(String::into_bytes),
                    "((PLAIN|login|SCRAM-SHA-256|X|A\t|-|=) ?){1,4}".prop_map(String::into_bytes),
                ],
            )),
        )
            .prop_map(|(mut k, args)| {
                if let Some((sep, a)) = args {
                    k.extend_from_slice(sep);
                    k.extend_from_slice(&a);
                }
                k
            })
    }

    proptest! {
        #[test]
        fn from_ehlo_agrees_with_the_lines(
            first in prop::collection::vec(text_octet(), 0..40),
            lines in prop::collection::vec((line(), any::<bool>()), 0..12),
            bare_first in any::<bool>(),
            bare_last in any::<bool>(),
        ) {
            let mut raw = Vec::new();
            let count = lines.len() + 1;
            for (i, (text, lf_only)) in std::iter::once((first, false)).chain(lines).enumerate() {
                let last = i + 1 == count;
                raw.extend_from_slice(b"250");
                if !(last && bare_last || i == 0 && bare_first && last) {
                    raw.push(if last { b' ' } else { b'-' });
                    raw.extend_from_slice(&text);
                }
                raw.extend_from_slice(if lf_only { b"\n" } else { b"\r\n" });
            }
            let Ok(Parsed::Complete { value, .. }) = parse_reply(&raw) else {
                return Ok(());
            };
            prop_assert_eq!(Capabilities::from_ehlo(&value), by_lines(&value));
        }
    }
}
