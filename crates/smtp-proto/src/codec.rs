//! The stateless codec: `parse_*` answers complete (value and octets consumed), incomplete,
//! or an error with its offset; `encode_*` writes the wire form and refuses CR, LF and NUL
//! inside arguments and text.
//!
//! Grammar: RFC 5321 4.1 (commands, paths), 4.2 (replies); parameters of RFC 1870, 6152,
//! 3030, 3461, 4954, 6531, 8689, 6710, 2852, 4865, 7293.
//!
//! Over 1,200 lines: one grammar's parsers and encoders, kept in one file so that each encoder
//! sits beside the parser it must round-trip with, and the short paths beside the general
//! path they must agree with.

use bytes::BufMut;
use proto_core::swar::find_byte;
use std::borrow::Cow;

use crate::error::{EncodeError, ParseError, ParseErrorKind};
use crate::limits::Limits;
use crate::types::{
    Body, Command, DeliverBy, Domain, EnhancedStatusCode, ForwardPath, MailParameters, Mailbox,
    Notify, Orcpt, RcptParameters, Reply, ReplyCode, Ret, ReversePath, is_xtext,
};

pub use proto_core::Parsed;

use ParseErrorKind as K;

fn err(kind: ParseErrorKind, input: &[u8], offset: usize) -> ParseError {
    ParseError::new(kind, input, offset)
}

/// Parses one command line ended by CRLF from the front of `input`, with the default limits.
#[inline]
pub fn parse_command(input: &[u8]) -> Result<Parsed<Command<'_>>, ParseError> {
    parse_command_with(input, &Limits::DEFAULT)
}

/// Parses one command line ended by CRLF from the front of `input`.
///
/// A line ended by LF alone, or holding a CR, is an error ([`ParseErrorKind::BareLineEnding`]);
/// the line to skip ends at the next LF. The line length is not checked here (a server's
/// framer does it).
#[inline(always)]
pub fn parse_command_with<'a>(
    input: &'a [u8],
    limits: &Limits,
) -> Result<Parsed<Command<'a>>, ParseError> {
    if let Some(parsed) = short_command(input) {
        return Ok(parsed);
    }
    let Some((line, _)) = proto_core::swar::split_once_byte(b'\n', input) else {
        return Ok(Parsed::Incomplete);
    };
    let lf = line.len();
    let Some(line) = line.strip_suffix(b"\r") else {
        return Err(err(K::BareLineEnding, input, lf));
    };
    let value = parse_command_line(line, limits)?;
    Ok(Parsed::Complete {
        value,
        consumed: lf + 1,
    })
}

/// The commonest short commands read straight from the front of the input, without the
/// searches for the line end and the space: a verb alone (`QUIT`, `DATA`, `RSET`, `NOOP`,
/// `HELP`), `STARTTLS`, and `BDAT` with its size. Each answer is the one the general path
/// gives for the same input; anything else (other commands, other spellings, errors) is
/// `None` and takes the general path.
#[inline(always)]
fn short_command(input: &[u8]) -> Option<Parsed<Command<'_>>> {
    let complete = |value, consumed| Some(Parsed::Complete { value, consumed });
    match input {
        [a, b, c, d, b'\r', b'\n', ..] => {
            let value = match &verb_code(&[*a, *b, *c, *d]) {
                b"DATA" => Command::Data,
                b"QUIT" => Command::Quit,
                b"RSET" => Command::Rset,
                b"NOOP" => Command::Noop(None),
                b"HELP" => Command::Help(None),
                _ => return None,
            };
            complete(value, 6)
        }
        _ if input
            .get(..10)
            .is_some_and(|v| v.eq_ignore_ascii_case(b"STARTTLS\r\n")) =>
        {
            complete(Command::StartTls, 10)
        }
        [v, d, a, t, b' ', rest @ ..] if verb_code(&[*v, *d, *a, *t]) == *b"BDAT" => {
            // 1 to 20 digits (as `parse_u64_bytes` takes), then CRLF or " LAST" CRLF.
            let digits = rest
                .iter()
                .take(21)
                .take_while(|b| b.is_ascii_digit())
                .count();
            let size = parse_u64_bytes(rest.get(..digits)?)?;
            let (last, end) = match rest.get(digits..)? {
                [b'\r', b'\n', ..] => (false, 2),
                [b' ', l, a, s, t, b'\r', b'\n', ..]
                    if verb_code(&[*l, *a, *s, *t]) == *b"LAST" =>
                {
                    (true, 7)
                }
                _ => return None,
            };
            complete(Command::Bdat { size, last }, 5 + digits + end)
        }
        _ => None,
    }
}

/// Parses a command line given without its CRLF.
#[inline(always)]
pub fn parse_command_line<'a>(line: &'a [u8], limits: &Limits) -> Result<Command<'a>, ParseError> {
    // CR, LF and NUL are refused by every rule of the grammar that could meet them (free
    // text is checked where it is taken); an error names them when they caused it.
    parse_line(line, limits).map_err(|e| match memchr::memchr3(b'\r', b'\n', 0, line) {
        Some(at) if at <= e.offset => {
            let kind = if line.get(at) == Some(&0) {
                K::Syntax
            } else {
                K::BareLineEnding
            };
            err(kind, line, at)
        }
        _ => e,
    })
}

/// Free text (VRFY, EXPN, HELP, NOOP, ETRN arguments): no control octet but TAB.
fn free_text<'a>(text: &'a str, line: &[u8], at: usize) -> Result<&'a str, ParseError> {
    match text.bytes().position(|b| b < 0x20 && b != b'\t') {
        Some(i) => Err(err(K::Syntax, line, at + i)),
        None => Ok(text),
    }
}

#[inline(always)]
fn parse_line<'a>(line: &'a [u8], limits: &Limits) -> Result<Command<'a>, ParseError> {
    // Commands without text arguments need no UTF-8 check.
    let space = find_byte(b' ', line);
    let verb_bytes = match space {
        Some(i) => ParseError::cut(line, ..i)?,
        None => line,
    };
    match (&verb_code(verb_bytes), space) {
        (b"DATA", None) => return Ok(Command::Data),
        (b"RSET", None) => return Ok(Command::Rset),
        (b"QUIT", None) => return Ok(Command::Quit),
        (b"NOOP", None) => return Ok(Command::Noop(None)),
        (b"HELP", None) => return Ok(Command::Help(None)),
        (b"MAIL", Some(_)) => return mail_or_rcpt(line, limits, true),
        (b"RCPT", Some(_)) => return mail_or_rcpt(line, limits, false),
        (b"BDAT", Some(i)) => {
            let a = ParseError::cut(line, i + 1..)?;
            let (size, last) = match find_byte(b' ', a) {
                Some(j) => {
                    let tail = ParseError::cut(a, j + 1..)?;
                    if !tail.eq_ignore_ascii_case(b"LAST") {
                        return Err(err(K::Syntax, line, i + 1));
                    }
                    (ParseError::cut(a, ..j)?, true)
                }
                None => (a, false),
            };
            let size = parse_u64_bytes(size).ok_or_else(|| err(K::Syntax, line, i + 1))?;
            return Ok(Command::Bdat { size, last });
        }
        _ if space.is_none() && line.eq_ignore_ascii_case(b"STARTTLS") => {
            return Ok(Command::StartTls);
        }
        // A well-formed AUTH is ASCII: checked at the octet level, then made text. A
        // malformed one takes the general path below, for its error.
        (b"AUTH", Some(i)) => {
            if let Some(command) = auth_ascii(ParseError::cut(line, i + 1..)?) {
                return Ok(command);
            }
        }
        _ => {}
    }
    let text = match std::str::from_utf8(line) {
        Ok(text) => text,
        Err(e) => return Err(err(K::NotUtf8, line, e.valid_up_to())),
    };
    let (verb, rest) = match space {
        Some(i) => match text.split_at_checked(i) {
            Some((verb, rest)) => (verb, Some(rest)),
            None => return Err(err(K::Internal, line, i)),
        },
        None => (text, None),
    };
    let vlen = verb.len();
    let bad = |kind, at: usize| err(kind, line, at);
    // `rest` starts with the SP after the verb.
    let arg = |rest: Option<&'a str>| -> Result<&'a str, ParseError> {
        match rest.and_then(|r| r.strip_prefix(' ')) {
            Some(a) if !a.is_empty() => Ok(a),
            _ => Err(bad(K::Syntax, vlen)),
        }
    };
    let none = |rest: Option<&str>| -> Result<(), ParseError> {
        if rest.is_some() {
            Err(bad(K::Syntax, vlen))
        } else {
            Ok(())
        }
    };
    let upper = verb_code(verb.as_bytes());
    let command = match &upper {
        b"EHLO" => Command::Ehlo(Cow::Borrowed(hello_arg(arg(rest)?, line, vlen + 1)?)),
        b"HELO" => Command::Helo(Cow::Borrowed(hello_arg(arg(rest)?, line, vlen + 1)?)),
        b"LHLO" => Command::Lhlo(Cow::Borrowed(hello_arg(arg(rest)?, line, vlen + 1)?)),
        // Without an argument these were answered by the byte-level match above; BDAT, MAIL
        // and RCPT with one were too. What reaches here is malformed.
        b"DATA" | b"RSET" | b"QUIT" | b"BDAT" | b"MAIL" | b"RCPT" => {
            return Err(bad(K::Syntax, vlen));
        }
        b"VRFY" => Command::Vrfy(Cow::Borrowed(free_text(arg(rest)?, line, vlen + 1)?)),
        b"EXPN" => Command::Expn(Cow::Borrowed(free_text(arg(rest)?, line, vlen + 1)?)),
        b"ETRN" => Command::Etrn(Cow::Borrowed(free_text(arg(rest)?, line, vlen + 1)?)),
        b"HELP" => match optional_arg(rest) {
            Some(a) => Command::Help(Some(Cow::Borrowed(free_text(a, line, vlen + 1)?))),
            None => Command::Help(None),
        },
        b"NOOP" => match optional_arg(rest) {
            Some(a) => Command::Noop(Some(Cow::Borrowed(free_text(a, line, vlen + 1)?))),
            None => Command::Noop(None),
        },
        b"AUTH" => {
            let a = arg(rest)?;
            let (mechanism, ir) = match split_byte(a, b' ') {
                Some((m, ir)) => (m, Some(ir)),
                None => (a, None),
            };
            if !is_mechanism_octets(mechanism.as_bytes()) {
                return Err(bad(K::Syntax, vlen + 1));
            }
            if let Some(ir) = ir
                && !is_base64_or_eq_octets(ir.as_bytes())
            {
                return Err(bad(K::Syntax, vlen + 2 + mechanism.len()));
            }
            Command::Auth {
                mechanism: Cow::Borrowed(mechanism),
                initial_response: ir.map(Cow::Borrowed),
            }
        }
        _ if verb.eq_ignore_ascii_case("STARTTLS") => {
            none(rest)?;
            Command::StartTls
        }
        _ => return Err(bad(K::UnknownCommand, 0)),
    };
    Ok(command)
}

/// MAIL and RCPT with an argument: "FROM:" or "TO:" is compared as octets and only what
/// follows it is made a string. The verb and keyword are ASCII, so offsets and error kinds
/// are those of the whole line (UTF-8 checked first, then the argument).
#[inline(always)]
fn mail_or_rcpt<'a>(
    line: &'a [u8],
    limits: &Limits,
    mail: bool,
) -> Result<Command<'a>, ParseError> {
    let keyword: &[u8] = if mail { b"FROM:" } else { b"TO:" };
    let arg = ParseError::cut(line, 5..)?;
    let start = 5 + keyword.len();
    if !arg
        .get(..keyword.len())
        .is_some_and(|k| k.eq_ignore_ascii_case(keyword))
    {
        if let Err(e) = std::str::from_utf8(line) {
            return Err(err(K::NotUtf8, line, e.valid_up_to()));
        }
        return Err(err(K::Syntax, line, if arg.is_empty() { 4 } else { 5 }));
    }
    let text = match std::str::from_utf8(ParseError::cut(line, start..)?) {
        Ok(text) => text,
        Err(e) => return Err(err(K::NotUtf8, line, start + e.valid_up_to())),
    };
    if mail {
        parse_mail_args(text, line, start, limits)
    } else {
        parse_rcpt_args(text, line, start, limits)
    }
}

/// Splits at the first `sep` (an ASCII octet).
#[inline]
fn split_byte(text: &str, sep: u8) -> Option<(&str, &str)> {
    let i = find_byte(sep, text.as_bytes())?;
    Some((text.get(..i)?, text.get(i + 1..)?))
}

/// The verb in upper case when it has four letters; zeros otherwise.
#[inline]
fn verb_code(verb: &[u8]) -> [u8; 4] {
    match verb {
        [a, b, c, d] => [
            a.to_ascii_uppercase(),
            b.to_ascii_uppercase(),
            c.to_ascii_uppercase(),
            d.to_ascii_uppercase(),
        ],
        _ => [0; 4],
    }
}

fn optional_arg(rest: Option<&str>) -> Option<&str> {
    rest.and_then(|r| r.strip_prefix(' '))
        .filter(|a| !a.is_empty())
}

/// `text` after `keyword` (ASCII, compared without regard to case), if it starts with it.
#[inline]
fn strip_keyword<'a>(text: &'a str, keyword: &str) -> Option<&'a str> {
    let head = text.as_bytes().get(..keyword.len())?;
    if head.eq_ignore_ascii_case(keyword.as_bytes()) {
        text.get(keyword.len()..)
    } else {
        None
    }
}

#[inline]
fn parse_u64(digits: &str) -> Option<u64> {
    parse_u64_bytes(digits.as_bytes())
}

/// Decimal digits (at most 20) as a `u64`; `None` on anything else or overflow.
#[inline]
pub(crate) fn parse_u64_bytes(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() || digits.len() > 20 {
        return None;
    }
    let mut n: u64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

fn hello_arg<'a>(arg: &'a str, line: &[u8], at: usize) -> Result<&'a str, ParseError> {
    // Real clients send names outside the strict grammar (underscores, bare IPs): any
    // printable token is taken; the application judges it.
    if arg.bytes().all(|b| b > b' ' && b != 0x7f) {
        Ok(arg)
    } else {
        Err(err(K::Syntax, line, at))
    }
}

/// `AUTH`'s argument when it is well formed (a mechanism name, then optionally one space and
/// a base64 initial response or "="): the command, as the general path makes it.
#[inline(always)]
fn auth_ascii(arg: &[u8]) -> Option<Command<'_>> {
    let (mechanism, ir) = match find_byte(b' ', arg) {
        Some(j) => (arg.get(..j)?, Some(arg.get(j + 1..)?)),
        None => (arg, None),
    };
    if !is_mechanism_octets(mechanism) || !ir.is_none_or(is_base64_or_eq_octets) {
        return None;
    }
    // ASCII, as just checked: the conversion does not fail.
    let text = std::str::from_utf8(arg).ok()?;
    let mechanism_len = mechanism.len();
    let initial_response = match ir {
        Some(_) => Some(Cow::Borrowed(text.get(mechanism_len + 1..)?)),
        None => None,
    };
    Some(Command::Auth {
        mechanism: Cow::Borrowed(text.get(..mechanism_len)?),
        initial_response,
    })
}

/// A SASL mechanism name (RFC 4422 3.1): 1 to 20 of upper-case letters, digits, "-" and "_"
/// (lower case taken too). Tested octet by octet without an early exit, like the base64 below.
fn is_mechanism_octets(name: &[u8]) -> bool {
    let is_name = |b: u8| {
        ((b | 0x20).wrapping_sub(b'a') < 26)
            | (b.wrapping_sub(b'0') < 10)
            | (b == b'-')
            | (b == b'_')
    };
    (1..=20).contains(&name.len()) && name.iter().fold(true, |ok, &b| ok & is_name(b))
}

/// Base64 text or "=" (the empty initial response). Every octet is tested without an early
/// exit, so that the loop is vectorised: initial responses are tens of octets.
fn is_base64_or_eq_octets(text: &[u8]) -> bool {
    let is_base64 = |b: u8| {
        ((b | 0x20).wrapping_sub(b'a') < 26)
            | (b.wrapping_sub(b'0') < 10)
            | (b == b'+')
            | (b == b'/')
            | (b == b'=')
    };
    text == b"=" || (!text.is_empty() && text.iter().fold(true, |ok, &b| ok & is_base64(b)))
}

/// atext (RFC 5321 4.1.2, RFC 5322 3.2.3), plus every non-ASCII octet (RFC 6531).
#[inline(always)]
const fn is_atext(b: u8) -> bool {
    matches!(
        b,
        b'a'..=b'z'
            | b'A'..=b'Z'
            | b'0'..=b'9'
            | b'!'
            | b'#'..=b'\''
            | b'*'
            | b'+'
            | b'-'
            | b'/'
            | b'='
            | b'?'
            | b'^'..=b'`'
            | b'{'..=b'~'
            | 0x80..=0xff
    )
}

/// Parses a bare `local@domain` (no angle brackets).
pub(crate) fn parse_mailbox<'a>(text: &'a str, limits: &Limits) -> Result<Mailbox<'a>, ParseError> {
    let bytes = text.as_bytes();
    let (mailbox, end) = mailbox_at(text, 0, limits)?;
    if end != bytes.len() {
        return Err(err(K::BadPath, bytes, end));
    }
    Ok(mailbox)
}

/// Reads a mailbox starting at `start`; returns it and the offset after it.
fn mailbox_at<'a>(
    text: &'a str,
    start: usize,
    limits: &Limits,
) -> Result<(Mailbox<'a>, usize), ParseError> {
    let bytes = text.as_bytes();
    let local_end = local_part_end(bytes, start).ok_or_else(|| err(K::BadPath, bytes, start))?;
    if local_end - start > limits.max_local_part {
        return Err(err(K::TooLong, bytes, start));
    }
    if bytes.get(local_end) != Some(&b'@') {
        return Err(err(K::BadPath, bytes, local_end));
    }
    let domain_start = local_end + 1;
    let domain_end =
        domain_end(bytes, domain_start).ok_or_else(|| err(K::BadPath, bytes, domain_start))?;
    if domain_end - domain_start > limits.max_domain {
        return Err(err(K::TooLong, bytes, domain_start));
    }
    let local = ParseError::cut_str(text, start..local_end)?;
    let domain = ParseError::cut_str(text, domain_start..domain_end)?;
    Ok((
        Mailbox {
            local: Cow::Borrowed(local),
            domain: Domain(Cow::Borrowed(domain)),
        },
        domain_end,
    ))
}

/// End of a dot-string or quoted-string local part starting at `start`.
fn local_part_end(bytes: &[u8], start: usize) -> Option<usize> {
    if bytes.get(start) == Some(&b'"') {
        return quoted_string_end(bytes, start);
    }
    // Dot-string: atoms of atext joined by single dots, each atom one tight scan.
    let mut i = start;
    loop {
        let atom = run(bytes, i, C_ATEXT);
        if atom == 0 {
            return None;
        }
        i += atom;
        if bytes.get(i) != Some(&b'.') {
            return Some(i);
        }
        i += 1;
    }
}

/// The length of the run of octets of class `c` from `at`.
#[inline(always)]
fn run(bytes: &[u8], at: usize, c: u8) -> usize {
    // From `at` on; none when `at` is at or past the end.
    bytes.split_at_checked(at).map_or(0, |(_, rest)| {
        rest.iter()
            .position(|&b| class(b) & c == 0)
            .unwrap_or(rest.len())
    })
}

/// End of a quoted-string local part (RFC 5321 4.1.2) whose opening quote is at `start`.
fn quoted_string_end(bytes: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    loop {
        match *bytes.get(i)? {
            b'"' => return Some(i + 1),
            b'\\' => {
                let next = *bytes.get(i + 1)?;
                if !(32..=126).contains(&next) {
                    return None;
                }
                i += 2;
            }
            b if b == 32
                || b == 33
                || (35..=91).contains(&b)
                || (93..=126).contains(&b)
                || b >= 0x80 =>
            {
                i += 1
            }
            _ => return None,
        }
    }
}

/// End of a domain or address literal starting at `start`.
fn domain_end(bytes: &[u8], start: usize) -> Option<usize> {
    if bytes.get(start) == Some(&b'[') {
        let close = start + memchr::memchr(b']', bytes.get(start..)?)?;
        let inner = std::str::from_utf8(bytes.get(start + 1..close)?).ok()?;
        if valid_literal(inner) {
            return Some(close + 1);
        }
        return None;
    }
    // Labels of letters, digits and hyphens (not first or last), joined by single dots;
    // UTF-8 labels under SMTPUTF8. Each label is one tight scan.
    let mut i = start;
    loop {
        if class(*bytes.get(i)?) & C_LDH == 0 {
            return None;
        }
        i += run(bytes, i, C_LABEL);
        if bytes.get(i - 1) == Some(&b'-') {
            return None;
        }
        if bytes.get(i) != Some(&b'.') {
            return Some(i);
        }
        i += 1;
    }
}

fn valid_literal(inner: &str) -> bool {
    if let Some(v6) = strip_keyword(inner, "IPv6:") {
        return v6.parse::<std::net::Ipv6Addr>().is_ok();
    }
    if inner.bytes().next().is_some_and(|b| b.is_ascii_digit()) {
        let mut parts = 0;
        for part in inner.split('.') {
            parts += 1;
            if part.is_empty() || part.len() > 3 || !part.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            if part.parse::<u16>().map_or(true, |n| n > 255) {
                return false;
            }
        }
        return parts == 4;
    }
    // General-address-literal: Standardized-tag ":" 1*dcontent.
    match inner.split_once(':') {
        Some((tag, content)) => {
            !tag.is_empty()
                && tag.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !content.is_empty()
                && content
                    .bytes()
                    .all(|b| (33..=90).contains(&b) || (94..=126).contains(&b))
        }
        None => false,
    }
}

/// What a path held.
enum PathValue<'a> {
    Null,
    Postmaster,
    Mailbox(Mailbox<'a>),
}

/// Reads `<...>` at `start` of `text` (offsets for errors relative to `line_offset`).
fn path_at<'a>(
    text: &'a str,
    start: usize,
    limits: &Limits,
) -> Result<(PathValue<'a>, usize), ParseError> {
    let bytes = text.as_bytes();
    if bytes.get(start) != Some(&b'<') {
        return Err(err(K::BadPath, bytes, start));
    }
    let mut i = start + 1;
    let value = if bytes.get(i) == Some(&b'>') {
        PathValue::Null
    } else {
        // A source route (A-d-l ":"), accepted and dropped (RFC 5321 4.1.2, C.).
        if bytes.get(i) == Some(&b'@') {
            loop {
                let d = domain_end(bytes, i + 1).ok_or_else(|| err(K::BadPath, bytes, i + 1))?;
                match bytes.get(d) {
                    Some(b',') if bytes.get(d + 1) == Some(&b'@') => i = d + 1,
                    Some(b':') => {
                        i = d + 1;
                        break;
                    }
                    _ => return Err(err(K::BadPath, bytes, d)),
                }
            }
        }
        let postmaster = matches!(bytes.get(i), Some(b'p' | b'P'))
            && bytes
                .get(i..i + 11)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"postmaster>"));
        if postmaster {
            i += 10;
            PathValue::Postmaster
        } else {
            let (mailbox, end) = mailbox_at(text, i, limits)?;
            i = end;
            PathValue::Mailbox(mailbox)
        }
    };
    if bytes.get(i) != Some(&b'>') {
        return Err(err(K::BadPath, bytes, i));
    }
    let end = i + 1;
    if end - start > limits.max_path {
        return Err(err(K::TooLong, bytes, start));
    }
    Ok((value, end))
}

fn shift(mut e: ParseError, line: &[u8], base: usize) -> ParseError {
    let offset = base + e.offset;
    e = ParseError::new(e.kind, line, offset);
    e
}

/// Skips optional spaces after "FROM:" / "TO:" (some clients send one).
#[inline(always)]
fn skip_spaces(text: &str) -> (&str, usize) {
    if !text.starts_with(' ') {
        return (text, 0);
    }
    let rest = text.trim_start_matches(' ');
    (rest, text.len() - rest.len())
}

#[inline(always)]
fn parse_mail_args<'a>(
    after: &'a str,
    line: &[u8],
    base: usize,
    limits: &Limits,
) -> Result<Command<'a>, ParseError> {
    let (text, skipped) = skip_spaces(after);
    let base = base + skipped;
    let (value, end) = path_at(text, 0, limits).map_err(|e| shift(e, line, base))?;
    let from = match value {
        PathValue::Null => ReversePath::Null,
        PathValue::Mailbox(m) => ReversePath::Mailbox(m),
        PathValue::Postmaster => return Err(err(K::BadPath, line, base)),
    };
    let mut params = MailParameters::default();
    let mut extra = Unknown::default();
    let bytes = text.as_bytes();
    // Each known value is read and checked in one pass by its own reader; the others are
    // taken whole (`value_at`) and checked after.
    for_params(text, end, line, base, |keyword, at, start| {
        let Some(index) = keyword_index(keyword, true) else {
            let end = value_end(bytes, at)?;
            extra.add((start, end));
            return Some(end);
        };
        let value = || value_at(text, at);
        match index {
            0 => {
                let (n, end) = read_u64(bytes, at.value()?)?;
                put(&mut params.size, n)?;
                Some(end)
            }
            1 => {
                let (body, end) = read_body(bytes, at.value()?)?;
                put(&mut params.body, body)?;
                Some(end)
            }
            2 => flag_once(&mut params.smtputf8, at),
            3 => {
                let (ret, end) = read_ret(bytes, at.value()?)?;
                put(&mut params.ret, ret)?;
                Some(end)
            }
            4 => {
                let start = at.value()?;
                let end = xtext_end(bytes, start).filter(|&e| e > start)?;
                put(&mut params.envid, Cow::Borrowed(text.get(start..end)?))?;
                Some(end)
            }
            5 => {
                let (v, end) = value()?;
                let v = v.filter(|v| *v == "<>" || is_xtext(v))?;
                put(&mut params.auth, Cow::Borrowed(v))?;
                Some(end)
            }
            6 => flag_once(&mut params.requiretls, at),
            7 => {
                let (v, end) = value()?;
                put(&mut params.mt_priority, v.and_then(parse_priority)?)?;
                Some(end)
            }
            8 => {
                let (v, end) = value()?;
                put(&mut params.by, v.and_then(parse_by)?)?;
                Some(end)
            }
            9 => {
                let (v, end) = value()?;
                let n = v.filter(|v| v.len() <= 9).and_then(parse_u64)?;
                put(&mut params.hold_for, n)?;
                Some(end)
            }
            _ => {
                let (v, end) = value()?;
                put(&mut params.hold_until, Cow::Borrowed(v?))?;
                Some(end)
            }
        }
    })?;
    params.extra = extra.of(text)?;
    Ok(Command::Mail { from, params })
}

#[inline(always)]
fn parse_rcpt_args<'a>(
    after: &'a str,
    line: &[u8],
    base: usize,
    limits: &Limits,
) -> Result<Command<'a>, ParseError> {
    let (text, skipped) = skip_spaces(after);
    let base = base + skipped;
    let (value, end) = path_at(text, 0, limits).map_err(|e| shift(e, line, base))?;
    let to = match value {
        PathValue::Null => return Err(err(K::BadPath, line, base)),
        PathValue::Mailbox(m) => ForwardPath::Mailbox(m),
        PathValue::Postmaster => ForwardPath::Postmaster,
    };
    let mut params = RcptParameters::default();
    let mut extra = Unknown::default();
    let bytes = text.as_bytes();
    for_params(
        text,
        end,
        line,
        base,
        |keyword, at, start| match keyword_index(keyword, false) {
            Some(0) => {
                let (notify, end) = read_notify(bytes, at.value()?)?;
                put(&mut params.notify, notify)?;
                Some(end)
            }
            Some(1) => {
                let (orcpt, end) = read_orcpt(text, at.value()?)?;
                put(&mut params.orcpt, orcpt)?;
                Some(end)
            }
            Some(_) => {
                let (v, end) = value_at(text, at)?;
                put(&mut params.rrvs, v.map(Cow::Borrowed)?)?;
                Some(end)
            }
            None => {
                let end = value_end(bytes, at)?;
                extra.add((start, end));
                Some(end)
            }
        },
    )?;
    params.extra = extra.of(text)?;
    Ok(Command::Rcpt { to, params })
}

/// Where a parameter's keyword ends: at "=" and its value, or alone.
#[derive(Clone, Copy)]
enum ValueAt {
    /// The value starts here (after "=").
    Value(usize),
    /// No "=": the parameter ends here.
    None(usize),
}

impl ValueAt {
    fn value(self) -> Option<usize> {
        match self {
            Self::Value(at) => Some(at),
            Self::None(_) => None,
        }
    }
}

/// The end of a generic esmtp-value (not empty) or of a parameter without one.
#[inline(always)]
fn value_end(bytes: &[u8], at: ValueAt) -> Option<usize> {
    match at {
        ValueAt::Value(start) => Some(start + run(bytes, start, C_VAL)).filter(|&e| e > start),
        ValueAt::None(end) => Some(end),
    }
}

/// A generic esmtp-value and where it ends; `None` inside for a parameter without one.
#[inline(always)]
fn value_at(text: &str, at: ValueAt) -> Option<(Option<&str>, usize)> {
    let end = value_end(text.as_bytes(), at)?;
    match at {
        ValueAt::Value(start) => Some((Some(text.get(start..end)?), end)),
        ValueAt::None(_) => Some((None, end)),
    }
}

/// Sets a parameter seen for the first time; `None` for a repeated one.
#[inline(always)]
fn put<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// Decimal digits (1 to 20, no overflow) at `at` as a `u64`, and where they end.
#[inline(always)]
fn read_u64(bytes: &[u8], at: usize) -> Option<(u64, usize)> {
    let mut n: u64 = 0;
    let mut i = at;
    while let Some(&b) = bytes.get(i) {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            break;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
        i += 1;
    }
    (i > at && i - at <= 20).then_some((n, i))
}

/// `word` (ASCII, upper case) at `at` of `bytes`, compared without regard to case; where it
/// ends.
#[inline(always)]
fn word_at(bytes: &[u8], at: usize, word: &[u8]) -> Option<usize> {
    let found = bytes.get(at..at + word.len())?;
    (found == word || found.eq_ignore_ascii_case(word)).then_some(at + word.len())
}

/// BODY=: 7BIT, 8BITMIME or BINARYMIME.
fn read_body(bytes: &[u8], at: usize) -> Option<(Body, usize)> {
    let body = match bytes.get(at)? {
        b'7' => Body::SevenBit,
        b'8' => Body::EightBitMime,
        _ => Body::BinaryMime,
    };
    Some((body, word_at(bytes, at, body.as_str().as_bytes())?))
}

/// RET=: FULL or HDRS.
fn read_ret(bytes: &[u8], at: usize) -> Option<(Ret, usize)> {
    let (ret, word): (Ret, &[u8]) = match bytes.get(at)? {
        b'F' | b'f' => (Ret::Full, b"FULL"),
        _ => (Ret::Hdrs, b"HDRS"),
    };
    Some((ret, word_at(bytes, at, word)?))
}

/// NOTIFY=: NEVER, or SUCCESS, FAILURE and DELAY (each at most once) joined by commas, read
/// word by word from the octets.
#[inline(always)]
fn read_notify(bytes: &[u8], at: usize) -> Option<(Notify, usize)> {
    if let Some(end) = word_at(bytes, at, b"NEVER") {
        return (bytes.get(end) != Some(&b',')).then_some((Notify::NEVER, end));
    }
    let mut n = Notify::default();
    let mut i = at;
    loop {
        let (slot, word): (&mut bool, &[u8]) = match bytes.get(i)? {
            b'S' | b's' => (&mut n.success, b"SUCCESS"),
            b'F' | b'f' => (&mut n.failure, b"FAILURE"),
            b'D' | b'd' => (&mut n.delay, b"DELAY"),
            _ => return None,
        };
        i = word_at(bytes, i, word)?;
        if *slot {
            return None;
        }
        *slot = true;
        if bytes.get(i) != Some(&b',') {
            return Some((n, i));
        }
        i += 1;
    }
}

/// ORCPT=: an addr-type of ASCII atext, ";", and xtext, checked as they are read.
#[inline(always)]
fn read_orcpt(text: &str, at: usize) -> Option<(Orcpt<'_>, usize)> {
    let bytes = text.as_bytes();
    let type_end = at + run(bytes, at, C_ATEXT7);
    if type_end == at || bytes.get(type_end) != Some(&b';') {
        return None;
    }
    let end = xtext_end(bytes, type_end + 1)?;
    let orcpt = Orcpt {
        addr_type: Cow::Borrowed(text.get(at..type_end)?),
        xtext: Cow::Borrowed(text.get(type_end + 1..end)?),
    };
    Some((orcpt, end))
}

/// The end of xtext (RFC 3461 4) starting at `at`: xchars, and "+" with two upper-case hex
/// digits; `None` for a "+" without them.
#[inline(always)]
fn xtext_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    loop {
        i += run(bytes, i, C_XCHAR);
        if bytes.get(i) != Some(&b'+') {
            return Some(i);
        }
        let hex = |b: Option<&u8>| b.is_some_and(|b| matches!(b, b'0'..=b'9' | b'A'..=b'F'));
        if !(hex(bytes.get(i + 1)) && hex(bytes.get(i + 2))) {
            return None;
        }
        i += 3;
    }
}

/// Where the parameters this crate does not know lie: from the first of them to the end of
/// the last, kept raw (the known ones between are skipped again when they are listed).
#[derive(Default)]
struct Unknown(Option<(usize, usize)>);

impl Unknown {
    fn add(&mut self, span: (usize, usize)) -> bool {
        self.0 = Some(match self.0 {
            Some((start, _)) => (start, span.1),
            None => span,
        });
        true
    }

    #[inline(always)]
    fn of(self, text: &str) -> Result<Cow<'_, str>, ParseError> {
        match self.0 {
            Some((start, end)) => Ok(Cow::Borrowed(ParseError::cut_str(text, start..end)?)),
            None => Ok(Cow::Borrowed("")),
        }
    }
}

/// True when `k` is `name` (ASCII, upper case), compared without regard to case. Peers send
/// keywords in upper case: the exact comparison, of a fixed length, almost always decides.
#[inline(always)]
pub(crate) fn is_name<const N: usize>(k: &[u8], name: &[u8; N]) -> bool {
    match <&[u8; N]>::try_from(k) {
        Ok(k) => k == name || k.eq_ignore_ascii_case(name),
        Err(_) => false,
    }
}

/// The index of a MAIL keyword in `MAIL_KEYWORDS`, or of a RCPT keyword in
/// `RCPT_KEYWORDS`, by length and first letter before comparing.
#[inline(always)]
fn keyword_index(k: &[u8], mail: bool) -> Option<usize> {
    let first = k.first()?.to_ascii_uppercase();
    let found = if mail {
        match (k.len(), first) {
            (4, b'S') if is_name(k, b"SIZE") => 0,
            (4, b'B') if is_name(k, b"BODY") => 1,
            (8, b'S') if is_name(k, b"SMTPUTF8") => 2,
            (3, b'R') if is_name(k, b"RET") => 3,
            (5, b'E') if is_name(k, b"ENVID") => 4,
            (4, b'A') if is_name(k, b"AUTH") => 5,
            (10, b'R') if is_name(k, b"REQUIRETLS") => 6,
            (11, b'M') if is_name(k, b"MT-PRIORITY") => 7,
            (2, b'B') if is_name(k, b"BY") => 8,
            (7, b'H') if is_name(k, b"HOLDFOR") => 9,
            (9, b'H') if is_name(k, b"HOLDUNTIL") => 10,
            _ => return None,
        }
    } else {
        match (k.len(), first) {
            (6, b'N') if is_name(k, b"NOTIFY") => 0,
            (5, b'O') if is_name(k, b"ORCPT") => 1,
            (4, b'R') if is_name(k, b"RRVS") => 2,
            _ => return None,
        }
    };
    Some(found)
}

/// A parameter without a value (SMTPUTF8, REQUIRETLS), at most once: where it ends.
fn flag_once(slot: &mut bool, at: ValueAt) -> Option<usize> {
    match at {
        ValueAt::None(end) if !*slot => {
            *slot = true;
            Some(end)
        }
        _ => None,
    }
}

fn parse_priority(v: &str) -> Option<i8> {
    let (neg, digits) = match v.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    match digits {
        [d @ b'0'..=b'9'] => {
            let n = (d - b'0') as i8;
            Some(if neg { -n } else { n })
        }
        _ => None,
    }
}

fn parse_by(v: &str) -> Option<DeliverBy> {
    let (time, mode) = split_byte(v, b';')?;
    let (neg, digits) = match time.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, time),
    };
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let seconds = if neg { -n } else { n };
    let (mode, trace) = match mode.as_bytes() {
        [m] => (*m, false),
        [m, t] if t.eq_ignore_ascii_case(&b'T') => (*m, true),
        _ => return None,
    };
    let return_on_failure = match mode.to_ascii_uppercase() {
        b'R' => true,
        b'N' => false,
        _ => return None,
    };
    // RFC 2852 4: with R the by-time must be positive.
    if return_on_failure && seconds <= 0 {
        return None;
    }
    Some(DeliverBy {
        seconds,
        return_on_failure,
        trace,
    })
}

/// xchar of xtext (RFC 3461 4) but "+": 33 to 126 without "=" and "+".
const C_XCHAR: u8 = 1;
/// A domain label's octets: letters, digits, UTF-8 and "-".
const C_LABEL: u8 = 2;
const C_KW: u8 = 4;
const C_VAL: u8 = 8;
const C_ATEXT: u8 = 16;
const C_LDH: u8 = 32;
/// ASCII atext but "=" (an ORCPT addr-type, inside an esmtp-value).
const C_ATEXT7: u8 = 64;

/// Octet classes of the path and parameter grammar (RFC 5321 4.1.2 atext, domain labels,
/// esmtp-keyword and esmtp-value; RFC 6531 for UTF-8).
// Evaluated at compile time: an index out of range would fail the build, never run.
#[allow(clippy::indexing_slicing)]
const CLASSES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        let mut c = 0;
        if b > 32 && b < 127 && b != b'=' && b != b'+' {
            c |= C_XCHAR;
        }
        if b.is_ascii_alphanumeric() || b >= 0x80 || b == b'-' {
            c |= C_LABEL;
        }
        if b.is_ascii_alphanumeric() || b == b'-' {
            c |= C_KW;
        }
        if b > 32 && b != b'=' && b != 0x7f {
            c |= C_VAL;
        }
        if is_atext(b) {
            c |= C_ATEXT;
        }
        if b < 0x80 && b != b'=' && is_atext(b) {
            c |= C_ATEXT7;
        }
        // Letters and digits of a domain label, and UTF-8 (RFC 6531).
        if b.is_ascii_alphanumeric() || b >= 0x80 {
            c |= C_LDH;
        }
        t[i] = c;
        i += 1;
    }
    t
};

#[inline(always)]
fn class(b: u8) -> u8 {
    CLASSES.get(usize::from(b)).copied().unwrap_or(0)
}

/// Walks the parameters after a path: `*(SP esmtp-param)`. `f` gets the keyword, where its
/// value starts (or where the parameter ends without one) and where the parameter starts;
/// it reads the value and answers where it ends, or `None` to refuse the parameter.
#[inline(always)]
fn for_params<'a>(
    text: &'a str,
    mut pos: usize,
    line: &[u8],
    base: usize,
    mut f: impl FnMut(&'a [u8], ValueAt, usize) -> Option<usize>,
) -> Result<(), ParseError> {
    let bytes = text.as_bytes();
    loop {
        match bytes.get(pos) {
            None => return Ok(()),
            Some(b' ') => pos += 1,
            Some(_) => return Err(err(K::BadPath, line, base + pos)),
        }
        while bytes.get(pos) == Some(&b' ') {
            pos += 1;
        }
        if pos >= bytes.len() {
            return Ok(());
        }
        // esmtp-keyword (one tight scan), then its value read by `f`, then SP or the end.
        let start = pos;
        let keyword_end = start + run(bytes, start, C_KW);
        let keyword_ok = bytes.get(start).is_some_and(u8::is_ascii_alphanumeric);
        let keyword = ParseError::cut(bytes, start..keyword_end)?;
        let at = if bytes.get(keyword_end) == Some(&b'=') {
            ValueAt::Value(keyword_end + 1)
        } else {
            ValueAt::None(keyword_end)
        };
        match keyword_ok.then(|| f(keyword, at, start)).flatten() {
            Some(end) if matches!(bytes.get(end), None | Some(b' ')) => pos = end,
            _ => return Err(err(K::BadParameter, line, base + start)),
        }
    }
}

/// Parses one reply from the front of `input` with the default limits (CRLF or LF line
/// ends).
pub fn parse_reply(input: &[u8]) -> Result<Parsed<Reply<'_>>, ParseError> {
    parse_reply_with(input, &Limits::default())
}

/// Parses one reply from the front of `input`: single or multi-line, code-only lines, LF
/// line ends tolerated. The enhanced status code of the first line is parsed once; lines
/// that disagree on the code are an error ([`ParseErrorKind::InconsistentCodes`]).
pub fn parse_reply_with<'a>(
    input: &'a [u8],
    limits: &Limits,
) -> Result<Parsed<Reply<'a>>, ParseError> {
    let mut pos = 0;
    let mut code: Option<(u16, [u8; 3])> = None;
    let mut enhanced = None;
    let mut count = 0;
    loop {
        let rest = ParseError::cut(input, pos..)?;
        let Some(lf) = find_byte(b'\n', rest) else {
            if rest.len() >= limits.max_reply_line {
                return Err(err(K::TooLong, input, pos));
            }
            return Ok(Parsed::Incomplete);
        };
        if lf + 1 > limits.max_reply_line {
            return Err(err(K::TooLong, input, pos));
        }
        let line = ParseError::cut(rest, ..lf)?;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        // A line without text ends the reply like one with SP.
        let (digits, sep) = match line {
            [a, b, c] => ([*a, *b, *c], b' '),
            [a, b, c, s, ..] => ([*a, *b, *c], *s),
            _ => return Err(err(K::BadReplyLine, input, pos)),
        };
        // Lines after the first repeat its code: equal to it, they need no other check.
        let same = matches!(code, Some((_, first)) if first == digits);
        if !same
            && (!matches!(digits[0], b'1'..=b'5')
                || !digits[1].is_ascii_digit()
                || !digits[2].is_ascii_digit())
        {
            return Err(err(K::BadReplyLine, input, pos));
        }
        let more = match sep {
            b' ' => false,
            b'-' => true,
            _ => return Err(err(K::BadReplyLine, input, pos + 3)),
        };
        if !same {
            if code.is_some() {
                return Err(err(K::InconsistentCodes, input, pos));
            }
            let n = u16::from(digits[0] - b'0') * 100
                + u16::from(digits[1] - b'0') * 10
                + u16::from(digits[2] - b'0');
            code = Some((n, digits));
            // A line of the code alone has no text.
            let text = match line {
                [_, _, _, _, text @ ..] => text,
                _ => &[],
            };
            if matches!(digits[0], b'2' | b'4' | b'5') {
                enhanced = EnhancedStatusCode::parse_prefix(text)
                    .filter(|(e, _)| e.class() == digits[0] - b'0')
                    .map(|(e, _)| e);
            }
        }
        count += 1;
        if count > limits.max_reply_lines {
            return Err(err(K::TooManyLines, input, pos));
        }
        pos += lf + 1;
        if !more {
            let (n, _) = code.unwrap_or((0, [0; 3]));
            let code = ReplyCode::new(n).ok_or_else(|| err(K::BadReplyLine, input, 0))?;
            return Ok(Parsed::Complete {
                value: Reply::from_parts(
                    code,
                    enhanced,
                    Cow::Borrowed(ParseError::cut(input, ..pos)?),
                ),
                consumed: pos,
            });
        }
    }
}

fn check_text(text: &str, what: &'static str) -> Result<(), EncodeError> {
    if text.bytes().any(|b| matches!(b, b'\r' | b'\n' | 0)) {
        Err(EncodeError::ForbiddenOctet(what))
    } else {
        Ok(())
    }
}

fn check_mailbox(m: &Mailbox<'_>) -> Result<(), EncodeError> {
    check_text(&m.local, "local part")?;
    check_text(m.domain.as_str(), "domain")
}

/// Writes a command line with its CRLF onto `out`; on error nothing is written.
///
/// CR, LF and NUL inside any argument are refused; so is any value that would not parse
/// back to itself (a space in a HELO name, a malformed parameter).
pub fn encode_command(command: &Command<'_>, out: &mut impl BufMut) -> Result<(), EncodeError> {
    out.put_slice(&encode_command_line(command)?);
    Ok(())
}

/// The command line with its CRLF, checked: it is parsed back and must give the same command.
/// The client queues this buffer as it is; [`encode_command`] copies it out.
pub(crate) fn encode_command_line(command: &Command<'_>) -> Result<Vec<u8>, EncodeError> {
    let mut line = Vec::new();
    encode_unchecked(command, &mut line)?;
    let body = line.strip_suffix(b"\r\n").unwrap_or(&line);
    let lenient = Limits::default()
        .with_max_local_part(usize::MAX)
        .with_max_domain(usize::MAX)
        .with_max_path(usize::MAX);
    match parse_command_line(body, &lenient) {
        Ok(back) if &back == command => Ok(line),
        _ => Err(EncodeError::Invalid(command.verb())),
    }
}

fn encode_unchecked(command: &Command<'_>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let verb = command.verb();
    out.extend_from_slice(verb.as_bytes());
    let arg = |out: &mut Vec<u8>, text: &str, what| -> Result<(), EncodeError> {
        check_text(text, what)?;
        out.push(b' ');
        out.extend_from_slice(text.as_bytes());
        Ok(())
    };
    match command {
        Command::Ehlo(d) | Command::Helo(d) | Command::Lhlo(d) => arg(out, d, "hello domain")?,
        Command::Mail { from, params } => {
            out.extend_from_slice(b" FROM:");
            if let ReversePath::Mailbox(m) = from {
                check_mailbox(m)?;
            }
            out.extend_from_slice(from.to_string().as_bytes());
            encode_mail_params(params, out)?;
        }
        Command::Rcpt { to, params } => {
            out.extend_from_slice(b" TO:");
            if let ForwardPath::Mailbox(m) = to {
                check_mailbox(m)?;
            }
            out.extend_from_slice(to.to_string().as_bytes());
            encode_rcpt_params(params, out)?;
        }
        Command::Bdat { size, last } => {
            out.extend_from_slice(format!(" {size}").as_bytes());
            if *last {
                out.extend_from_slice(b" LAST");
            }
        }
        Command::Vrfy(s) | Command::Expn(s) | Command::Etrn(s) => arg(out, s, "argument")?,
        Command::Help(s) | Command::Noop(s) => {
            if let Some(s) = s {
                arg(out, s, "argument")?;
            }
        }
        Command::Auth {
            mechanism,
            initial_response,
        } => {
            arg(out, mechanism, "mechanism")?;
            if let Some(ir) = initial_response {
                arg(out, ir, "initial response")?;
            }
        }
        Command::Data | Command::Rset | Command::Quit | Command::StartTls => {}
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

fn param(out: &mut Vec<u8>, keyword: &str, value: Option<&str>) -> Result<(), EncodeError> {
    out.push(b' ');
    out.extend_from_slice(keyword.as_bytes());
    if let Some(v) = value {
        check_text(v, "parameter value")?;
        out.push(b'=');
        out.extend_from_slice(v.as_bytes());
    }
    Ok(())
}

fn encode_mail_params(p: &MailParameters<'_>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if let Some(size) = p.size {
        param(out, "SIZE", Some(&size.to_string()))?;
    }
    if let Some(body) = p.body {
        param(out, "BODY", Some(body.as_str()))?;
    }
    if p.smtputf8 {
        param(out, "SMTPUTF8", None)?;
    }
    if let Some(ret) = p.ret {
        param(
            out,
            "RET",
            Some(if ret == Ret::Full { "FULL" } else { "HDRS" }),
        )?;
    }
    if let Some(envid) = &p.envid {
        param(out, "ENVID", Some(envid))?;
    }
    if let Some(auth) = &p.auth {
        param(out, "AUTH", Some(auth))?;
    }
    if p.requiretls {
        param(out, "REQUIRETLS", None)?;
    }
    if let Some(n) = p.mt_priority {
        param(out, "MT-PRIORITY", Some(&n.to_string()))?;
    }
    if let Some(by) = p.by {
        let mode = if by.return_on_failure { "R" } else { "N" };
        let trace = if by.trace { "T" } else { "" };
        param(out, "BY", Some(&format!("{};{mode}{trace}", by.seconds)))?;
    }
    if let Some(n) = p.hold_for {
        param(out, "HOLDFOR", Some(&n.to_string()))?;
    }
    if let Some(until) = &p.hold_until {
        param(out, "HOLDUNTIL", Some(until))?;
    }
    for (k, v) in p.unknown() {
        check_text(k, "parameter")?;
        param(out, k, v)?;
    }
    Ok(())
}

fn encode_rcpt_params(p: &RcptParameters<'_>, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    if let Some(n) = p.notify {
        let value = if n.is_never() {
            "NEVER".to_owned()
        } else {
            let mut words = Vec::new();
            if n.success {
                words.push("SUCCESS");
            }
            if n.failure {
                words.push("FAILURE");
            }
            if n.delay {
                words.push("DELAY");
            }
            words.join(",")
        };
        param(out, "NOTIFY", Some(&value))?;
    }
    if let Some(o) = &p.orcpt {
        check_text(&o.addr_type, "ORCPT type")?;
        param(out, "ORCPT", Some(&format!("{};{}", o.addr_type, o.xtext)))?;
    }
    if let Some(r) = &p.rrvs {
        param(out, "RRVS", Some(r))?;
    }
    for (k, v) in p.unknown() {
        check_text(k, "parameter")?;
        param(out, k, v)?;
    }
    Ok(())
}

/// Writes a reply with CRLF line ends onto `out`; a line holding CR, LF or NUL is refused, and
/// then nothing is written.
pub fn encode_reply(reply: &Reply<'_>, out: &mut impl BufMut) -> Result<(), EncodeError> {
    // Every line is checked before the first is written.
    if reply
        .lines()
        .any(|text| text.iter().any(|&b| matches!(b, b'\r' | b'\n' | 0)))
    {
        return Err(EncodeError::ForbiddenOctet("reply text"));
    }
    let code = reply.code().get().to_string();
    let mut lines = reply.lines().peekable();
    if lines.peek().is_none() {
        // A reply without text is still one line: the code alone.
        out.put_slice(code.as_bytes());
        out.put_slice(b"\r\n");
    }
    while let Some(text) = lines.next() {
        out.put_slice(code.as_bytes());
        if lines.peek().is_some() {
            out.put_u8(b'-');
        } else if !text.is_empty() {
            out.put_u8(b' ');
        }
        out.put_slice(text);
        out.put_slice(b"\r\n");
    }
    Ok(())
}
