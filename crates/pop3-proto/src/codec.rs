//! The stateless codec: parse commands and responses from bytes, encode them into buffers.
//!
//! Parsers answer [`Parsed::Complete`] (the value and the octets consumed),
//! [`Parsed::Incomplete`] (more input needed), or a [`ParseError`] with the offset and the
//! offending bytes. Encoders refuse CR, LF and NUL inside arguments and texts, and lines over
//! their limit.
//!
//! Grammar: RFC 1939 sections 3-9, RFC 2449 sections 3-8, RFC 2595 section 4, RFC 5034
//! sections 4-5, RFC 6856 sections 2-5.
//!
//! Over 1,200 lines: one grammar's parsers and encoders, kept in one file so that each encoder
//! sits beside the parser it must round-trip with.

use std::borrow::Cow;

use bytes::BufMut;
use proto_core::swar::{self, find_byte};
use proto_core::{BareLineEnding, LineError, LineFramer};
use sasl_proto::Mechanism;

use crate::error::{EncodeError, ParseError, ParseErrorKind};
use crate::limits::Limits;
use crate::types::{
    AuthCommand, Capabilities, Capability, Command, Expire, Language, ListEntry, MessageNumber,
    Password, Response, ResponseCode, Status, StatusLine, Timestamp, UidlEntry,
};

pub use proto_core::Parsed;

/// Which command a response answers: it decides how the response is framed and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseContext {
    /// The greeting (with its APOP timestamp).
    Greeting,
    /// A single-line answer: USER, PASS, APOP, DELE, NOOP, RSET, QUIT, STLS, UTF8, LANG with
    /// a tag, LAST.
    Status,
    /// STAT.
    Stat,
    /// LIST, with the message asked about (single line) or not (listing).
    List(Option<MessageNumber>),
    /// UIDL, with the message asked about or not.
    Uidl(Option<MessageNumber>),
    /// CAPA.
    Capa,
    /// LANG without a tag (listing).
    LangList,
    /// AUTH without arguments (mechanism listing).
    AuthList,
    /// RETR or TOP: the status line; a dot-stuffed body follows a `+OK`.
    Body,
    /// During AUTH: a `+ ` challenge, or the final status.
    Auth,
}

impl ResponseContext {
    /// The context for the answer to `command`.
    pub fn for_command(command: &Command<'_>) -> Self {
        match command {
            Command::Stat => Self::Stat,
            Command::List(n) => Self::List(*n),
            Command::Uidl(n) => Self::Uidl(*n),
            Command::Capa => Self::Capa,
            Command::Lang(None) => Self::LangList,
            Command::Auth(None) => Self::AuthList,
            Command::Auth(Some(_)) => Self::Auth,
            Command::Retr(_) | Command::Top { .. } => Self::Body,
            _ => Self::Status,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lines

/// Finds the line at the front of `input`: `(content_end, consumed)`.
///
/// The machines' framer finds it ([`LineFramer::find_line`], the search its `poll_line` makes),
/// so that the codec, its benchmarks and its fuzz targets frame lines as the client and server
/// do. `strict` (commands, as the server reads them): only CRLF ends a line, and a bare LF or a
/// bare CR is an error; otherwise (responses, as the client reads them) a bare LF ends a line
/// too and a CR before an LF is dropped.
#[inline(always)]
fn find_line(
    input: &[u8],
    limit: usize,
    strict: bool,
) -> Result<Option<(usize, usize)>, ParseError> {
    let endings = if strict {
        BareLineEnding::Reject
    } else {
        BareLineEnding::Accept
    };
    let error = match LineFramer::new(limit, endings).find_line(input) {
        None => return Ok(None),
        Some(Ok(found)) => return Ok(Some(found)),
        Some(Err(error)) => error,
    };
    Err(match error {
        LineError::TooLong { limit, .. } => {
            ParseError::new(ParseErrorKind::TooLong { limit }, input, limit)
        }
        LineError::BareLf { at } => ParseError::new(ParseErrorKind::BareLf, input, at),
        LineError::BareCr { at } => ParseError::new(ParseErrorKind::ControlOctet, input, at),
        // A refusal added to the framer later: an octet of the line it cannot end with.
        _ => ParseError::new(ParseErrorKind::ControlOctet, input, 0),
    })
}

#[inline]
fn check_line_octets(line: &[u8]) -> Result<(), ParseError> {
    // Eight octets at a time first: command lines are short and almost always free of every
    // control octet (CR, LF and NUL among them), which one test per word tells.
    let (words, tail) = swar::words(line);
    let controls = words.fold(0, |acc, w| acc | swar::bytes_below(w, 0x20));
    if controls == 0 && tail.iter().all(|&b| b >= 0x20) {
        return Ok(());
    }
    match line.iter().position(|&b| matches!(b, b'\r' | b'\n' | 0)) {
        Some(at) => Err(ParseError::new(ParseErrorKind::ControlOctet, line, at)),
        None => Ok(()),
    }
}

// ---------------------------------------------------------------------------------------------
// Commands

/// Parses one command line from the front of `input` with the default limits (255 octets,
/// RFC 2449 section 4). Only CRLF ends it.
#[inline]
pub fn parse_command(input: &[u8]) -> Result<Parsed<Command<'_>>, ParseError> {
    parse_command_with(input, &Limits::default())
}

/// [`parse_command`] with the command line limit of `limits`.
#[inline]
pub fn parse_command_with<'a>(
    input: &'a [u8],
    limits: &Limits,
) -> Result<Parsed<Command<'a>>, ParseError> {
    let Some((end, consumed)) = find_line(input, limits.max_command_line, true)? else {
        return Ok(Parsed::Incomplete);
    };
    let line = ParseError::cut(input, ..end)?;
    let value = parse_command_line(line)?;
    Ok(Parsed::Complete { value, consumed })
}

/// Parses a command line without its CRLF (as a line framer hands it on).
///
/// Keywords are case-insensitive. Arguments are separated by single spaces; trailing spaces
/// are tolerated except after PASS, whose argument is the rest of the line.
#[inline]
pub fn parse_command_line(line: &[u8]) -> Result<Command<'_>, ParseError> {
    check_line_octets(line)?;
    // The keyword, and the rest after its space with the offset where it starts.
    let (keyword, rest, rest_at) = match swar::split_once_byte(b' ', line) {
        Some((keyword, rest)) => (keyword, rest, keyword.len() + 1),
        None => (line, &[][..], line.len()),
    };
    // The keyword in upper case, a three-letter one ended by a zero (no NUL is left in a
    // line here): matched as one four-octet value.
    let mut keyword4 = [0u8; 4];
    if !(3..=4).contains(&keyword.len()) {
        return Err(ParseError::new(ParseErrorKind::UnknownCommand, line, 0));
    }
    for (u, k) in keyword4.iter_mut().zip(keyword) {
        *u = k.to_ascii_uppercase();
    }

    if keyword4 == *b"PASS" {
        if rest_at >= line.len() {
            return Err(ParseError::new(
                ParseErrorKind::MissingArgument,
                line,
                line.len(),
            ));
        }
        let text = utf8(rest, line, rest_at)?;
        return Ok(Command::Pass(Password(Cow::Borrowed(text))));
    }

    let args = Args::new(line, rest_at, rest)?;
    let command = match &keyword4 {
        b"USER" => {
            let [name] = args.exact::<1>()?;
            Command::User(Cow::Borrowed(utf8(name.1, line, name.0)?))
        }
        b"APOP" => {
            let [name, digest] = args.exact::<2>()?;
            Command::Apop {
                name: Cow::Borrowed(utf8(name.1, line, name.0)?),
                digest: Cow::Borrowed(utf8(digest.1, line, digest.0)?),
            }
        }
        b"STAT" => args.none(Command::Stat)?,
        b"NOOP" => args.none(Command::Noop)?,
        b"RSET" => args.none(Command::Rset)?,
        b"QUIT" => args.none(Command::Quit)?,
        b"CAPA" => args.none(Command::Capa)?,
        b"STLS" => args.none(Command::Stls)?,
        b"UTF8" => args.none(Command::Utf8)?,
        b"LAST" => args.none(Command::Last)?,
        b"LIST" => Command::List(args.optional_msg()?),
        b"UIDL" => Command::Uidl(args.optional_msg()?),
        b"RETR" => {
            let [n] = args.exact::<1>()?;
            Command::Retr(msg_number(n, line)?)
        }
        b"DELE" => {
            let [n] = args.exact::<1>()?;
            Command::Dele(msg_number(n, line)?)
        }
        b"TOP\0" => {
            let [n, lines] = args.exact::<2>()?;
            Command::Top {
                msg: msg_number(n, line)?,
                lines: number_u32(lines, line)?,
            }
        }
        b"LANG" => match args.items() {
            [] => Command::Lang(None),
            [(at, tag)] => Command::Lang(Some(Cow::Borrowed(utf8(tag, line, *at)?))),
            [_, (at, _), ..] => {
                return Err(ParseError::new(ParseErrorKind::ExtraArgument, line, *at));
            }
        },
        b"AUTH" => match args.items() {
            [] => Command::Auth(None),
            [(at, mech), rest @ ..] => {
                let mechanism = Mechanism::parse_bytes(mech)
                    .map_err(|_| ParseError::new(ParseErrorKind::BadMechanism, line, *at))?;
                let initial_response = match rest {
                    [] => None,
                    [(at, ir)] => Some(Cow::Borrowed(utf8(ir, line, *at)?)),
                    [_, (at, _), ..] => {
                        return Err(ParseError::new(ParseErrorKind::ExtraArgument, line, *at));
                    }
                };
                Command::Auth(Some(AuthCommand {
                    mechanism,
                    initial_response,
                }))
            }
        },
        _ => return Err(ParseError::new(ParseErrorKind::UnknownCommand, line, 0)),
    };
    Ok(command)
}

/// The arguments of a command line: `(offset, bytes)` each.
struct Args<'a> {
    line: &'a [u8],
    buf: [(usize, &'a [u8]); 3],
    len: usize,
}

impl<'a> Args<'a> {
    #[inline]
    fn new(line: &'a [u8], rest_at: usize, rest: &'a [u8]) -> Result<Self, ParseError> {
        let mut buf: [(usize, &'a [u8]); 3] = [(0, &[]); 3];
        // The commonest shapes first: no argument, or one without spaces around it.
        match rest {
            [] => return Ok(Self { line, buf, len: 0 }),
            [.., last] if !matches!(last, b' ' | b'\t') && find_byte(b' ', rest).is_none() => {
                let buf = [(rest_at, rest), (0, &[][..]), (0, &[][..])];
                return Ok(Self { line, buf, len: 1 });
            }
            _ => {}
        }
        // Trailing spaces (and tabs) are tolerated: some clients send them.
        let rest = trim_end(rest);
        let mut len = 0;
        if !rest.is_empty() {
            let mut at = rest_at;
            for part in rest.split(|&b| b == b' ') {
                if part.is_empty() {
                    return Err(ParseError::new(ParseErrorKind::EmptyArgument, line, at));
                }
                let Some(slot) = buf.get_mut(len) else {
                    return Err(ParseError::new(ParseErrorKind::ExtraArgument, line, at));
                };
                *slot = (at, part);
                len += 1;
                at += part.len() + 1;
            }
        }
        Ok(Self { line, buf, len })
    }

    /// The arguments: `(offset, bytes)` each (at most three are kept; a fourth is an error).
    fn items(&self) -> &[(usize, &'a [u8])] {
        // `len` counts the slots filled, at most the three there are (`new` stops at a
        // fourth); were it more, every slot is kept rather than none.
        self.buf
            .split_at_checked(self.len)
            .map_or(self.buf.as_slice(), |(items, _)| items)
    }

    fn none<T>(&self, value: T) -> Result<T, ParseError> {
        match self.items().first() {
            None => Ok(value),
            Some((at, _)) => Err(ParseError::new(
                ParseErrorKind::ExtraArgument,
                self.line,
                *at,
            )),
        }
    }

    #[inline]
    fn exact<const N: usize>(&self) -> Result<[(usize, &'a [u8]); N], ParseError> {
        if let Some((at, _)) = self.items().get(N) {
            return Err(ParseError::new(
                ParseErrorKind::ExtraArgument,
                self.line,
                *at,
            ));
        }
        <[(usize, &'a [u8]); N]>::try_from(self.items()).map_err(|_| {
            ParseError::new(ParseErrorKind::MissingArgument, self.line, self.line.len())
        })
    }

    fn optional_msg(&self) -> Result<Option<MessageNumber>, ParseError> {
        match self.items() {
            [] => Ok(None),
            [n] => msg_number(*n, self.line).map(Some),
            [_, (at, _), ..] => Err(ParseError::new(
                ParseErrorKind::ExtraArgument,
                self.line,
                *at,
            )),
        }
    }
}

#[inline]
fn utf8<'a>(bytes: &'a [u8], line: &[u8], at: usize) -> Result<&'a str, ParseError> {
    std::str::from_utf8(bytes)
        .map_err(|e| ParseError::new(ParseErrorKind::NotUtf8, line, at + e.valid_up_to()))
}

/// The number the digits at the front of `bytes` spell and how many there are: the value is
/// `None` for no digits, more than 20 or an overflow, as [`digits_u64`] answers.
fn leading_number(bytes: &[u8]) -> (Option<u64>, usize) {
    let mut n: u64 = 0;
    let mut len = 0;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        n = n.wrapping_mul(10).wrapping_add(u64::from(digit));
        len += 1;
    }
    // Up to 19 digits cannot overflow; longer runs take the checked reading.
    let value = match len {
        0 => None,
        1..=19 => Some(n),
        _ => bytes.get(..len).and_then(digits_u64),
    };
    (value, len)
}

fn digits_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > 20 {
        return None;
    }
    // One pass: a non-digit or an overflow ends it.
    bytes.iter().try_fold(0u64, |acc, &b| {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            return None;
        }
        acc.checked_mul(10)?.checked_add(u64::from(digit))
    })
}

fn number_u32((at, bytes): (usize, &[u8]), line: &[u8]) -> Result<u32, ParseError> {
    digits_u64(bytes)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| ParseError::new(ParseErrorKind::BadNumber, line, at))
}

fn msg_number(arg: (usize, &[u8]), line: &[u8]) -> Result<MessageNumber, ParseError> {
    let at = arg.0;
    number_u32(arg, line)
        .ok()
        .and_then(MessageNumber::new)
        .ok_or_else(|| ParseError::new(ParseErrorKind::BadNumber, line, at))
}

// ---------------------------------------------------------------------------------------------
// Command encoding

fn check_text(field: &'static str, text: &[u8]) -> Result<(), EncodeError> {
    match text.iter().position(|&b| matches!(b, b'\r' | b'\n' | 0)) {
        Some(at) => Err(EncodeError::Forbidden {
            field,
            byte: text.get(at).copied().unwrap_or(0),
            at,
        }),
        None => Ok(()),
    }
}

fn check_word(field: &'static str, word: &[u8]) -> Result<(), EncodeError> {
    if word.is_empty() {
        return Err(EncodeError::Empty(field));
    }
    check_text(field, word)?;
    if word.iter().any(|&b| b == b' ' || b == b'\t') {
        return Err(EncodeError::Space(field));
    }
    Ok(())
}

/// Encodes a command line (CRLF included) with the default 255-octet limit.
pub fn encode_command(command: &Command<'_>, out: &mut impl BufMut) -> Result<(), EncodeError> {
    encode_command_with(command, &Limits::default(), out)
}

/// Encodes a command line, refusing CR, LF and NUL in arguments, spaces in one-word
/// arguments, and lines over `limits.max_command_line`. Nothing is written on error.
pub fn encode_command_with(
    command: &Command<'_>,
    limits: &Limits,
    out: &mut impl BufMut,
) -> Result<(), EncodeError> {
    let mut line: Vec<u8> = Vec::with_capacity(64);
    line.extend_from_slice(command.keyword().as_bytes());
    let arg = |line: &mut Vec<u8>, bytes: &[u8]| {
        line.push(b' ');
        line.extend_from_slice(bytes);
    };
    match command {
        Command::User(name) => {
            check_word("user name", name.as_bytes())?;
            arg(&mut line, name.as_bytes());
        }
        Command::Pass(password) => {
            let p = password.expose().as_bytes();
            if p.is_empty() {
                return Err(EncodeError::Empty("password"));
            }
            check_text("password", p)?;
            arg(&mut line, p);
        }
        Command::Apop { name, digest } => {
            check_word("user name", name.as_bytes())?;
            check_word("digest", digest.as_bytes())?;
            arg(&mut line, name.as_bytes());
            arg(&mut line, digest.as_bytes());
        }
        Command::List(Some(n)) | Command::Uidl(Some(n)) | Command::Retr(n) | Command::Dele(n) => {
            arg(&mut line, n.get().to_string().as_bytes());
        }
        Command::Top { msg, lines } => {
            arg(&mut line, msg.get().to_string().as_bytes());
            arg(&mut line, lines.to_string().as_bytes());
        }
        Command::Auth(Some(auth)) => {
            arg(&mut line, auth.mechanism.as_str().as_bytes());
            if let Some(ir) = &auth.initial_response {
                check_word("initial response", ir.as_bytes())?;
                arg(&mut line, ir.as_bytes());
            }
        }
        Command::Lang(Some(tag)) => {
            check_word("language tag", tag.as_bytes())?;
            arg(&mut line, tag.as_bytes());
        }
        Command::Stat
        | Command::List(None)
        | Command::Uidl(None)
        | Command::Noop
        | Command::Rset
        | Command::Quit
        | Command::Capa
        | Command::Stls
        | Command::Auth(None)
        | Command::Utf8
        | Command::Lang(None)
        | Command::Last => {}
    }
    line.extend_from_slice(b"\r\n");
    if line.len() > limits.max_command_line {
        return Err(EncodeError::TooLong {
            len: line.len(),
            limit: limits.max_command_line,
        });
    }
    out.put_slice(&line);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Response lines

/// Parses a status line without its line end: `+OK` or `-ERR`, an optional `[code]`, text.
///
/// The status is matched case-insensitively. A `[` that does not open a well-formed code
/// (RFC 2449 section 3, `resp-code`) is kept as text.
#[inline]
pub fn parse_status_line(line: &[u8]) -> Result<StatusLine<'_>, ParseError> {
    let (status, rest) = if let Some(rest) = strip_prefix_ci(line, b"+OK") {
        (Status::Ok, rest)
    } else if let Some(rest) = strip_prefix_ci(line, b"-ERR") {
        (Status::Err, rest)
    } else {
        return Err(ParseError::new(ParseErrorKind::BadStatus, line, 0));
    };
    let after = line.len() - rest.len();
    let text = match rest.split_first() {
        None => rest,
        Some((b' ', text)) => text,
        Some(_) => return Err(ParseError::new(ParseErrorKind::BadStatus, line, after)),
    };
    let (code, text) = split_code(text);
    Ok(StatusLine {
        status,
        code,
        text: Cow::Borrowed(text),
    })
}

/// `line` after `prefix`, compared without regard to ASCII case.
fn strip_prefix_ci<'a>(line: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let (head, rest) = line.split_at_checked(prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then_some(rest)
}

/// `[code] text` → the code and the text after it (one space dropped).
fn split_code(text: &[u8]) -> (Option<ResponseCode<'_>>, &[u8]) {
    let Some(inner) = text.strip_prefix(b"[") else {
        return (None, text);
    };
    let Some((raw, after)) = swar::split_once_byte(b']', inner) else {
        return (None, text);
    };
    let levels_ok = raw
        .split(|&b| b == b'/')
        .all(|level| !level.is_empty() && level.iter().all(|&b| is_rchar(b)));
    let Ok(raw) = std::str::from_utf8(raw) else {
        return (None, text);
    };
    if !levels_ok {
        return (None, text);
    }
    let after = after.strip_prefix(b" ").unwrap_or(after);
    (Some(ResponseCode::from_raw(raw)), after)
}

/// RFC 2449 `rchar`: printable ASCII without "/" and "]".
fn is_rchar(b: u8) -> bool {
    matches!(b, 0x21..=0x2E | 0x30..=0x5C | 0x5E..=0x7E)
}

/// The APOP timestamp in a greeting's text: the first `<...>` with no space inside.
pub fn find_timestamp(text: &[u8]) -> Option<Timestamp<'_>> {
    let open = memchr::memchr(b'<', text)?;
    let after = text.get(open + 1..)?;
    let close = memchr::memchr(b'>', after)?;
    let inner = after.get(..close)?;
    if inner.is_empty()
        || !inner
            .iter()
            .all(|&b| (0x21..=0x7E).contains(&b) && b != b'<')
    {
        return None;
    }
    let whole = text.get(open..open + close + 2)?;
    std::str::from_utf8(whole)
        .ok()
        .map(|s| Timestamp(Cow::Borrowed(s)))
}

/// Parses `nn mm` at the start of a STAT answer's text (RFC 1939 section 5, "drop listing").
pub fn parse_stat_text(text: &[u8]) -> Result<(u32, u64), ParseError> {
    stat_fields(text).map(|(count, size, _)| (count, size))
}

/// The two numbers of a STAT answer's text and the text after them (one space dropped).
#[inline]
fn stat_fields(text: &[u8]) -> Result<(u32, u64, &[u8]), ParseError> {
    // The usual answer in one pass: digits, a space, digits, then the end or a space.
    let (count, count_len) = leading_number(text);
    if let (Some(count), Some([b' ', after @ ..])) = (count, text.get(count_len..)) {
        let (size, size_len) = leading_number(after);
        let rest = match after.get(size_len) {
            None => Some(&[][..]),
            Some(b' ') => after.get(size_len + 1..),
            Some(_) => None,
        };
        if let (Ok(count), Some(size), Some(rest)) = (u32::try_from(count), size, rest) {
            return Ok((count, size, rest));
        }
    }
    // Anything else: field by field, for the error's offset.
    let Some((count_field, after)) = swar::split_once_byte(b' ', text) else {
        return Err(ParseError::new(
            ParseErrorKind::BadListing,
            text,
            text.len(),
        ));
    };
    let sp = count_field.len();
    let (size_field, rest) = swar::split_once_byte(b' ', after).unwrap_or((after, &[]));
    let count = digits_u64(count_field)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| ParseError::new(ParseErrorKind::BadListing, text, 0))?;
    let size = digits_u64(size_field)
        .ok_or_else(|| ParseError::new(ParseErrorKind::BadListing, text, sp + 1))?;
    Ok((count, size, rest))
}

/// Parses a scan listing `msg size [more]` (LIST, RFC 1939 section 5).
pub fn parse_list_entry(line: &[u8]) -> Result<ListEntry, ParseError> {
    let mut parts = line.splitn(3, |&b| b == b' ');
    let Some(number_field) = parts.next() else {
        return Err(ParseError::new(ParseErrorKind::BadListing, line, 0));
    };
    let number = digits_u64(number_field)
        .and_then(|n| u32::try_from(n).ok())
        .and_then(MessageNumber::new)
        .ok_or_else(|| ParseError::new(ParseErrorKind::BadListing, line, 0))?;
    let size_field = parts
        .next()
        .ok_or_else(|| ParseError::new(ParseErrorKind::BadListing, line, line.len()))?;
    let at = number_field.len() + 1;
    let size = digits_u64(size_field)
        .ok_or_else(|| ParseError::new(ParseErrorKind::BadListing, line, at))?;
    Ok(ListEntry { number, size })
}

/// Parses a unique-id listing `msg uid` (UIDL, RFC 1939 section 7). Trailing spaces are
/// tolerated; the id is 0x21-0x7E.
pub fn parse_uidl_entry(line: &[u8]) -> Result<UidlEntry<'_>, ParseError> {
    let trimmed = trim_end(line);
    let (number, uid) = swar::split_once_byte(b' ', trimmed)
        .ok_or_else(|| ParseError::new(ParseErrorKind::BadListing, line, trimmed.len()))?;
    let sp = number.len();
    let number = digits_u64(number)
        .and_then(|n| u32::try_from(n).ok())
        .and_then(MessageNumber::new)
        .ok_or_else(|| ParseError::new(ParseErrorKind::BadListing, line, 0))?;
    if uid.is_empty() || !uid.iter().all(|&b| (0x21..=0x7E).contains(&b)) {
        return Err(ParseError::new(ParseErrorKind::BadListing, line, sp + 1));
    }
    let uid = std::str::from_utf8(uid)
        .map_err(|_| ParseError::new(ParseErrorKind::BadListing, line, sp + 1))?;
    Ok(UidlEntry {
        number,
        uid: Cow::Borrowed(uid),
    })
}

/// `line` without its trailing spaces and tabs.
fn trim_end(mut line: &[u8]) -> &[u8] {
    while let [rest @ .., b' ' | b'\t'] = line {
        line = rest;
    }
    line
}

/// Parses a language listing line `tag [description]` (RFC 6856 section 3.2).
pub fn parse_language(line: &[u8]) -> Result<Language<'_>, ParseError> {
    let (tag, description) = match swar::split_once_byte(b' ', line) {
        Some((tag, description)) => (tag, Some(description)),
        None => (line, None),
    };
    if tag.is_empty() || !tag.iter().all(|&b| (0x21..=0x7E).contains(&b)) {
        return Err(ParseError::new(ParseErrorKind::BadListing, line, 0));
    }
    let tag = std::str::from_utf8(tag)
        .map_err(|_| ParseError::new(ParseErrorKind::BadListing, line, 0))?;
    Ok(Language {
        tag: Cow::Borrowed(tag),
        description: description.map(String::from_utf8_lossy),
    })
}

/// Parses a capability line (RFC 2449 section 3, `capability`). Known tags whose arguments
/// do not fit their grammar are kept as [`Capability::Unknown`], as are unknown tags.
pub fn parse_capability(line: &[u8]) -> Result<Capability<'_>, ParseError> {
    if line.is_empty() || line.first() == Some(&b' ') {
        return Err(ParseError::new(ParseErrorKind::BadCapability, line, 0));
    }
    let text = String::from_utf8_lossy(line);
    let unknown = || Capability::Unknown(text.clone());
    let mut words = line.split(|&b| b == b' ');
    let Some(tag) = words.next() else {
        return Err(ParseError::new(ParseErrorKind::BadCapability, line, 0));
    };
    let tag = tag.to_ascii_uppercase();
    let args: Vec<&[u8]> = words.collect();
    let is_user = |w: &[u8]| w.eq_ignore_ascii_case(b"USER");
    let cap = match (tag.as_slice(), args.as_slice()) {
        (b"TOP", []) => Capability::Top,
        (b"USER", []) => Capability::User,
        (b"UIDL", []) => Capability::Uidl,
        (b"STLS", []) => Capability::Stls,
        (b"LANG", []) => Capability::Lang,
        (b"PIPELINING", []) => Capability::Pipelining,
        (b"RESP-CODES", []) => Capability::RespCodes,
        (b"AUTH-RESP-CODE", []) => Capability::AuthRespCode,
        (b"UTF8", []) => Capability::Utf8 { user: false },
        (b"UTF8", [u]) if is_user(u) => Capability::Utf8 { user: true },
        (b"SASL", names) => {
            let mut mechanisms = Vec::with_capacity(names.len());
            for name in names {
                match Mechanism::parse_bytes(name) {
                    Ok(m) => mechanisms.push(m),
                    Err(_) => return Ok(unknown()),
                }
            }
            Capability::Sasl(mechanisms)
        }
        (b"LOGIN-DELAY", [n, rest @ ..]) => {
            let per_user = match rest {
                [] => false,
                [u] if is_user(u) => true,
                _ => return Ok(unknown()),
            };
            match digits_u64(n).and_then(|n| u32::try_from(n).ok()) {
                Some(seconds) => Capability::LoginDelay { seconds, per_user },
                None => unknown(),
            }
        }
        (b"EXPIRE", [n, rest @ ..]) => {
            let per_user = match rest {
                [] => false,
                [u] if is_user(u) => true,
                _ => return Ok(unknown()),
            };
            let expire = if n.eq_ignore_ascii_case(b"NEVER") {
                Some(Expire::Never)
            } else {
                digits_u64(n)
                    .and_then(|n| u32::try_from(n).ok())
                    .map(Expire::Days)
            };
            match expire {
                Some(expire) => Capability::Expire { expire, per_user },
                None => unknown(),
            }
        }
        // The tag and one space, both ASCII, start the text.
        (b"IMPLEMENTATION", [_, ..]) => match text {
            Cow::Borrowed(t) => Capability::Implementation(Cow::Borrowed(ParseError::cut_str(
                t,
                "IMPLEMENTATION ".len()..,
            )?)),
            Cow::Owned(t) => Capability::Implementation(Cow::Owned(
                ParseError::cut_str(&t, "IMPLEMENTATION ".len()..)?.to_owned(),
            )),
        },
        _ => unknown(),
    };
    Ok(cap)
}

/// Parses a SASL challenge line `+ base64` (or `+` alone, which some servers send): the
/// base64 text. `None` if the line is not a continuation.
pub fn parse_continuation(line: &[u8]) -> Option<&[u8]> {
    match line {
        [b'+'] => Some(&[]),
        [b'+', b' ', rest @ ..] => Some(rest),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Whole responses

/// Parses a whole response to the command of `context` with the default limits. Listings
/// are read to their terminating line; for RETR and TOP only the status line is read (the
/// body follows, see [`Response::BodyFollows`]). Bare LF line ends are tolerated.
#[inline]
pub fn parse_response(
    context: ResponseContext,
    input: &[u8],
) -> Result<Parsed<Response<'_>>, ParseError> {
    parse_response_with(context, input, &Limits::default())
}

/// [`parse_response`] with explicit limits.
#[inline]
pub fn parse_response_with<'a>(
    context: ResponseContext,
    input: &'a [u8],
    limits: &Limits,
) -> Result<Parsed<Response<'a>>, ParseError> {
    let first_limit = if context == ResponseContext::Auth {
        limits.max_response_line.max(limits.max_sasl_line)
    } else {
        limits.max_response_line
    };
    let Some((end, consumed)) = find_line(input, first_limit, false)? else {
        return Ok(Parsed::Incomplete);
    };
    let line = ParseError::cut(input, ..end)?;
    if context == ResponseContext::Auth
        && let Some(data) = parse_continuation(line)
    {
        return Ok(Parsed::Complete {
            value: Response::Continuation(Cow::Borrowed(data)),
            consumed,
        });
    }
    let status = parse_status_line(line)?;
    if context == ResponseContext::Greeting {
        let timestamp = if status.is_ok() {
            find_timestamp(ParseError::cut(line, 3..)?)
        } else {
            None
        };
        return Ok(Parsed::Complete {
            value: Response::Greeting {
                line: status,
                timestamp,
            },
            consumed,
        });
    }
    if !status.is_ok() {
        return Ok(Parsed::Complete {
            value: Response::Status(status),
            consumed,
        });
    }
    let text_at = line.len() - status.text.len();
    let text: &'a [u8] = ParseError::cut(line, text_at..)?;
    let value = match context {
        ResponseContext::Status | ResponseContext::Auth | ResponseContext::Greeting => {
            Response::Status(status)
        }
        ResponseContext::Body => Response::BodyFollows(status),
        ResponseContext::Stat => {
            let (count, size, rest) = stat_fields(text).map_err(|e| e.shifted(text_at))?;
            Response::Stat {
                line: StatusLine {
                    text: Cow::Borrowed(rest),
                    ..status
                },
                count,
                size,
            }
        }
        ResponseContext::List(Some(n)) => {
            let entry = parse_list_entry(text).map_err(|e| e.shifted(text_at))?;
            check_number(n, entry.number, line, text_at)?;
            Response::ListOne {
                line: after_fields(status, text, 2),
                entry,
            }
        }
        ResponseContext::Uidl(Some(n)) => {
            let entry = parse_uidl_entry(text).map_err(|e| e.shifted(text_at))?;
            check_number(n, entry.number, line, text_at)?;
            Response::UidlOne {
                line: after_fields(status, text, 2),
                entry,
            }
        }
        ResponseContext::List(None)
        | ResponseContext::Uidl(None)
        | ResponseContext::Capa
        | ResponseContext::LangList
        | ResponseContext::AuthList => {
            return listing_response(context, status, input, consumed, limits);
        }
    };
    Ok(Parsed::Complete { value, consumed })
}

/// The listing answers of [`parse_response_with`], after their `+OK` line: kept out of it so
/// that the single-line answers (the common case) stay a small function.
#[inline(never)]
fn listing_response<'a>(
    context: ResponseContext,
    status: StatusLine<'a>,
    input: &'a [u8],
    consumed: usize,
    limits: &Limits,
) -> Result<Parsed<Response<'a>>, ParseError> {
    let rest = ParseError::cut(input, consumed..)?;
    // Each listing: its lines parsed one by one, then made the response.
    fn listed<'a, T>(
        rest: &'a [u8],
        consumed: usize,
        limits: &Limits,
        parse: impl Fn(&'a [u8]) -> Result<T, ParseError>,
        response: impl FnOnce(Vec<T>) -> Response<'a>,
    ) -> Result<Parsed<Response<'a>>, ParseError> {
        let Some((items, n)) = listing(rest, limits, consumed, parse)? else {
            return Ok(Parsed::Incomplete);
        };
        Ok(Parsed::Complete {
            value: response(items),
            consumed: consumed + n,
        })
    }
    let line = status;
    match context {
        ResponseContext::List(None) => {
            listed(rest, consumed, limits, parse_list_entry, |entries| {
                Response::List { line, entries }
            })
        }
        ResponseContext::Uidl(None) => {
            listed(rest, consumed, limits, parse_uidl_entry, |entries| {
                Response::Uidl { line, entries }
            })
        }
        ResponseContext::Capa => listed(rest, consumed, limits, parse_capability, |caps| {
            Response::Capa {
                line,
                capabilities: Capabilities(caps),
            }
        }),
        ResponseContext::LangList => listed(rest, consumed, limits, parse_language, |languages| {
            Response::Languages { line, languages }
        }),
        ResponseContext::AuthList => {
            listed(rest, consumed, limits, parse_mechanism_line, |mechanisms| {
                Response::Mechanisms {
                    line,
                    mechanisms: mechanisms.into_iter().flatten().collect(),
                }
            })
        }
        // Single-line answers never come here.
        _ => Ok(Parsed::Complete {
            value: Response::Status(line),
            consumed,
        }),
    }
}

/// The status line with its text reduced to what follows the first `fields` words and one
/// space (the numbers of STAT and of single-message LIST and UIDL answers are in the value).
fn after_fields<'a>(status: StatusLine<'a>, text: &'a [u8], fields: usize) -> StatusLine<'a> {
    let rest = text
        .splitn(fields + 1, |&b| b == b' ')
        .nth(fields)
        .unwrap_or_default();
    StatusLine {
        text: Cow::Borrowed(rest),
        ..status
    }
}

fn check_number(
    expected: MessageNumber,
    found: MessageNumber,
    line: &[u8],
    at: usize,
) -> Result<(), ParseError> {
    if expected == found {
        Ok(())
    } else {
        Err(ParseError::new(
            ParseErrorKind::WrongMessageNumber {
                expected: expected.get(),
                found: found.get(),
            },
            line,
            at,
        ))
    }
}

/// A line of an AUTH mechanism listing: a mechanism name (or `None` for a name that does
/// not parse).
pub fn parse_mechanism_line(line: &[u8]) -> Result<Option<Mechanism>, ParseError> {
    Ok(Mechanism::parse_bytes(trim_end(line)).ok())
}

/// Removes the stuffing dot of a listing line; `None` for the terminating ".".
pub(crate) fn unstuff_line(line: &[u8]) -> Option<&[u8]> {
    match line.split_first() {
        Some((b'.', [])) => None,
        Some((b'.', rest)) => Some(rest),
        _ => Some(line),
    }
}

/// Reads listing lines up to "." CRLF: the items and the octets consumed, or `None` when
/// incomplete.
fn listing<'a, T>(
    input: &'a [u8],
    limits: &Limits,
    base: usize,
    parse: impl Fn(&'a [u8]) -> Result<T, ParseError>,
) -> Result<Option<(Vec<T>, usize)>, ParseError> {
    let mut items = Vec::new();
    let mut pos = 0;
    loop {
        let rest = ParseError::cut(input, pos..)?;
        let Some((end, consumed)) =
            find_line(rest, limits.max_response_line, false).map_err(|e| e.shifted(base + pos))?
        else {
            return Ok(None);
        };
        let line = ParseError::cut(rest, ..end)?;
        let at = pos;
        pos += consumed;
        let Some(line) = unstuff_line(line) else {
            return Ok(Some((items, pos)));
        };
        if items.len() >= limits.max_listing_entries {
            return Err(ParseError::new(
                ParseErrorKind::TooLong {
                    limit: limits.max_listing_entries,
                },
                input,
                at,
            )
            .shifted(base));
        }
        let stuffed = usize::from(rest.first() == Some(&b'.'));
        items.push(parse(line).map_err(|e| e.shifted(base + at + stuffed))?);
    }
}

// ---------------------------------------------------------------------------------------------
// Response encoding

/// Encodes a status line with CRLF, refusing CR, LF and NUL in the text, a text that starts
/// with `[` when no code is given (it would read as a code), and lines over 512 octets.
pub fn encode_status_line(line: &StatusLine<'_>, out: &mut impl BufMut) -> Result<(), EncodeError> {
    let mut buf = Vec::with_capacity(line.text.len() + 16);
    buf.extend_from_slice(match line.status {
        Status::Ok => b"+OK",
        Status::Err => b"-ERR",
    });
    check_text("response text", &line.text)?;
    if let Some(code) = &line.code {
        let raw = code.as_str().as_bytes();
        let ok = raw
            .split(|&b| b == b'/')
            .all(|l| !l.is_empty() && l.iter().all(|&b| is_rchar(b)));
        if !ok {
            return Err(EncodeError::Invalid("response code"));
        }
        buf.extend_from_slice(b" [");
        buf.extend_from_slice(raw);
        buf.push(b']');
        if !line.text.is_empty() {
            buf.push(b' ');
            buf.extend_from_slice(&line.text);
        }
    } else if !line.text.is_empty() {
        if line.text.first() == Some(&b'[') {
            return Err(EncodeError::Invalid(
                "text starting with '[' without a code",
            ));
        }
        buf.push(b' ');
        buf.extend_from_slice(&line.text);
    }
    finish_line(buf, 512, out)
}

fn finish_line(mut buf: Vec<u8>, limit: usize, out: &mut impl BufMut) -> Result<(), EncodeError> {
    buf.extend_from_slice(b"\r\n");
    if buf.len() > limit {
        return Err(EncodeError::TooLong {
            len: buf.len(),
            limit,
        });
    }
    out.put_slice(&buf);
    Ok(())
}

/// Encodes a capability line with CRLF.
pub fn encode_capability(cap: &Capability<'_>, out: &mut impl BufMut) -> Result<(), EncodeError> {
    let user = |per_user: bool| if per_user { " USER" } else { "" };
    let line = match cap {
        Capability::Top => "TOP".to_owned(),
        Capability::User => "USER".to_owned(),
        Capability::Uidl => "UIDL".to_owned(),
        Capability::Stls => "STLS".to_owned(),
        Capability::Lang => "LANG".to_owned(),
        Capability::Pipelining => "PIPELINING".to_owned(),
        Capability::RespCodes => "RESP-CODES".to_owned(),
        Capability::AuthRespCode => "AUTH-RESP-CODE".to_owned(),
        Capability::Utf8 { user: u } => format!("UTF8{}", user(*u)),
        Capability::Sasl(mechanisms) => {
            let mut s = "SASL".to_owned();
            for m in mechanisms {
                s.push(' ');
                s.push_str(m.as_str());
            }
            s
        }
        Capability::LoginDelay { seconds, per_user } => {
            format!("LOGIN-DELAY {seconds}{}", user(*per_user))
        }
        Capability::Expire { expire, per_user } => match expire {
            Expire::Days(d) => format!("EXPIRE {d}{}", user(*per_user)),
            Expire::Never => format!("EXPIRE NEVER{}", user(*per_user)),
        },
        Capability::Implementation(text) => {
            if text.is_empty() {
                return Err(EncodeError::Empty("implementation"));
            }
            format!("IMPLEMENTATION {text}")
        }
        Capability::Unknown(line) => {
            if line.is_empty() || line.starts_with(' ') || line.starts_with('.') {
                return Err(EncodeError::Invalid("capability line"));
            }
            line.to_string()
        }
    };
    check_text("capability", line.as_bytes())?;
    finish_line(line.into_bytes(), 512, out)
}

/// Encodes a scan listing line `msg size` with CRLF.
pub fn encode_list_entry(entry: &ListEntry, out: &mut impl BufMut) {
    out.put_slice(format!("{} {}\r\n", entry.number, entry.size).as_bytes());
}

/// Encodes a unique-id listing line `msg uid` with CRLF; the id must be 1 to 70 octets in
/// 0x21-0x7E (RFC 1939 section 7).
pub fn encode_uidl_entry(entry: &UidlEntry<'_>, out: &mut impl BufMut) -> Result<(), EncodeError> {
    check_uid(&entry.uid)?;
    out.put_slice(format!("{} {}\r\n", entry.number, entry.uid).as_bytes());
    Ok(())
}

/// Checks a unique id: 1 to 70 octets in 0x21-0x7E.
pub(crate) fn check_uid(uid: &str) -> Result<(), EncodeError> {
    if uid.is_empty() || uid.len() > 70 || !uid.bytes().all(|b| (0x21..=0x7E).contains(&b)) {
        return Err(EncodeError::Invalid("unique id"));
    }
    Ok(())
}

/// Encodes a language listing line with CRLF (dot-stuffed if the tag starts with ".").
pub fn encode_language(lang: &Language<'_>, out: &mut impl BufMut) -> Result<(), EncodeError> {
    check_word("language tag", lang.tag.as_bytes())?;
    let mut buf = Vec::new();
    if lang.tag.starts_with('.') {
        buf.push(b'.');
    }
    buf.extend_from_slice(lang.tag.as_bytes());
    if let Some(d) = &lang.description {
        check_text("language description", d.as_bytes())?;
        buf.push(b' ');
        buf.extend_from_slice(d.as_bytes());
    }
    finish_line(buf, 512, out)
}

/// Encodes a SASL challenge line: `+ ` and the base64 of `data` (`+ ` alone when empty,
/// RFC 5034 section 4).
pub fn encode_continuation(data: &[u8], out: &mut impl BufMut) {
    out.put_slice(b"+ ");
    out.put_slice(&sasl_proto::codec::encode_continuation(data));
    out.put_slice(b"\r\n");
}

/// A multi-line response: the status line, one line per item, then the terminating ".".
/// Built in a buffer first so that an item that cannot be encoded leaves `out` untouched.
fn multi_line<'i, T: 'i>(
    line: &StatusLine<'_>,
    items: impl IntoIterator<Item = &'i T>,
    out: &mut impl BufMut,
    mut item: impl FnMut(&'i T, &mut Vec<u8>) -> Result<(), EncodeError>,
) -> Result<(), EncodeError> {
    let mut buf = Vec::new();
    encode_status_line(line, &mut buf)?;
    for i in items {
        item(i, &mut buf)?;
    }
    buf.extend_from_slice(b".\r\n");
    out.put_slice(&buf);
    Ok(())
}

/// Encodes a whole response: the status line, and for listings their lines and the
/// terminating ".". [`Response::BodyFollows`] writes the status line only.
pub fn encode_response(response: &Response<'_>, out: &mut impl BufMut) -> Result<(), EncodeError> {
    match response {
        Response::Greeting { line, .. } | Response::Status(line) | Response::BodyFollows(line) => {
            encode_status_line(line, out)
        }
        Response::Stat { line, count, size } => {
            let mut text = format!("{count} {size}").into_bytes();
            if !line.text.is_empty() {
                text.push(b' ');
                text.extend_from_slice(&line.text);
            }
            encode_status_line(
                &StatusLine {
                    status: Status::Ok,
                    code: line.code.clone(),
                    text: Cow::Owned(text),
                },
                out,
            )
        }
        Response::ListOne { line, entry } => {
            let mut text = format!("{} {}", entry.number, entry.size).into_bytes();
            if !line.text.is_empty() {
                text.push(b' ');
                text.extend_from_slice(&line.text);
            }
            encode_status_line(
                &StatusLine {
                    status: Status::Ok,
                    code: line.code.clone(),
                    text: Cow::Owned(text),
                },
                out,
            )
        }
        Response::UidlOne { line, entry } => {
            check_uid(&entry.uid)?;
            if !line.text.is_empty() {
                return Err(EncodeError::Invalid("text after a unique-id listing"));
            }
            encode_status_line(
                &StatusLine {
                    status: Status::Ok,
                    code: line.code.clone(),
                    text: Cow::Owned(format!("{} {}", entry.number, entry.uid).into_bytes()),
                },
                out,
            )
        }
        Response::List { line, entries } => multi_line(line, entries, out, |e, buf| {
            encode_list_entry(e, buf);
            Ok(())
        }),
        Response::Uidl { line, entries } => multi_line(line, entries, out, encode_uidl_entry),
        Response::Capa { line, capabilities } => {
            multi_line(line, &capabilities.0, out, encode_capability)
        }
        Response::Languages { line, languages } => {
            multi_line(line, languages, out, encode_language)
        }
        Response::Mechanisms { line, mechanisms } => multi_line(line, mechanisms, out, |m, buf| {
            buf.extend_from_slice(m.as_str().as_bytes());
            buf.extend_from_slice(b"\r\n");
            Ok(())
        }),
        Response::Continuation(data) => {
            check_text("continuation", data)?;
            out.put_slice(b"+ ");
            out.put_slice(data);
            out.put_slice(b"\r\n");
            Ok(())
        }
    }
}
