//! Message ids (RFC 5322 section 3.6.4), phrase lists (Keywords, section 3.6.5),
//! Content-Transfer-Encoding (RFC 2045 section 6), MIME-Version, Content-Language
//! (RFC 3282) and the simple token fields.

use std::borrow::Cow;

use crate::decode::encoded_word;
use crate::defect::{Defect, DefectKind};
use crate::field::lex::{Lexer, is_ws};

/// Parses Message-ID, In-Reply-To, References, Content-ID: the ids without angle brackets,
/// in order. Phrases of the obsolete In-Reply-To form are skipped; a value without any `<`
/// is read as white-space separated bare ids (with a defect). The ids borrow from `raw`
/// unless folded or not UTF-8.
pub fn parse_message_ids<'a>(
    raw: &'a [u8],
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Vec<Cow<'a, str>> {
    let mut out = Vec::new();
    if memchr::memchr(b'<', raw).is_none() {
        for w in raw.split(|&b| is_ws(b)).filter(|w| !w.is_empty()) {
            out.push(String::from_utf8_lossy(w));
        }
        if !out.is_empty() {
            defects.push(Defect::new(DefectKind::BadMessageId, offset));
        }
        return out;
    }
    let mut i = 0;
    while let Some(lt) = raw.get(i..).and_then(|r| memchr::memchr(b'<', r)) {
        let start = i + lt + 1;
        let Some(gt) = raw.get(start..).and_then(|r| memchr::memchr(b'>', r)) else {
            defects.push(Defect::new(DefectKind::BadMessageId, offset + start));
            break;
        };
        let id = raw.get(start..start + gt).unwrap_or(&[]);
        let id: Cow<'a, str> = if id.iter().any(|&b| is_ws(b) || b == b'(') {
            Cow::Owned(String::from_utf8_lossy(&without_cfws(id)).into_owned())
        } else {
            String::from_utf8_lossy(id)
        };
        if !id.is_empty() {
            if !id.contains('@') {
                defects.push(Defect::new(DefectKind::BadMessageId, offset + start));
            }
            out.push(id);
        }
        i = start + gt + 1;
    }
    out
}

/// The bytes of a message id without the white space and comments around its words
/// (obs-id-left and obs-id-right allow CFWS between them, RFC 5322 sections 3.6.4 and
/// 4.5.4): `1234 @ local(blah) .machine` is `1234@local.machine`. Quoted strings are kept
/// as written.
fn without_cfws(id: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(id.len());
    let mut depth = 0usize;
    let mut quoted = false;
    let mut escaped = false;
    for &b in id {
        if escaped {
            escaped = false;
            if depth == 0 {
                out.push(b);
            }
            continue;
        }
        match b {
            // Line breaks are folding, also inside a quoted string.
            b'\r' | b'\n' => {}
            b'\\' => {
                escaped = true;
                if depth == 0 {
                    out.push(b);
                }
            }
            b'"' if depth == 0 => {
                quoted = !quoted;
                out.push(b);
            }
            _ if quoted => out.push(b),
            b'(' => depth += 1,
            b')' if depth > 0 => depth -= 1,
            _ if depth > 0 || is_ws(b) => {}
            _ => out.push(b),
        }
    }
    out
}

/// Parses a comma-separated list of phrases (Keywords): each decoded and trimmed, borrowed
/// from `raw` when there was nothing to change.
pub fn parse_phrase_list<'a>(
    raw: &'a [u8],
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Vec<Cow<'a, str>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_quote = false;
    let mut i = 0;
    while i <= raw.len() {
        let b = raw.get(i).copied();
        match b {
            Some(b'"') => in_quote = !in_quote,
            Some(b'\\') if in_quote => i += 1,
            Some(b',') | None if !in_quote || b.is_none() => {
                let item = raw.get(start..i.min(raw.len())).unwrap_or(&[]);
                let s = match plain_phrase(item) {
                    Some(p) => Cow::Borrowed(p),
                    None => {
                        let unq: Vec<u8> = item.iter().copied().filter(|&c| c != b'"').collect();
                        Cow::Owned(encoded_word::decode_phrase(&unq, defects, offset + start))
                    }
                };
                if !s.is_empty() {
                    out.push(s);
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// The phrase an item of a list reads as when that is a span of it: white space around
/// it, single spaces inside, no quote, no encoded word (what [`encoded_word::decode_phrase`]
/// would return unchanged).
fn plain_phrase(item: &[u8]) -> Option<&str> {
    let first = item.iter().position(|&b| !is_ws(b)).unwrap_or(item.len());
    let last = item
        .iter()
        .rposition(|&b| !is_ws(b))
        .map_or(first, |i| i + 1);
    let t = item.get(first..last)?;
    let plain = t.iter().enumerate().all(|(i, &b)| match b {
        b'"' | b'\t' | b'\r' | b'\n' => false,
        b' ' => t.get(i + 1) != Some(&b' '),
        _ => true,
    });
    if !plain || encoded_word::may_hold_encoded_word(t) {
        return None;
    }
    std::str::from_utf8(t).ok()
}

/// A Content-Transfer-Encoding value (RFC 2045 section 6.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum TransferEncoding {
    /// `7bit`, the default.
    #[default]
    SevenBit,
    /// `8bit`.
    EightBit,
    /// `binary`.
    Binary,
    /// `quoted-printable`.
    QuotedPrintable,
    /// `base64`.
    Base64,
    /// Anything else, lower case (`x-uuencode`).
    Other(String),
}

impl TransferEncoding {
    /// The lower-case token.
    pub fn as_str(&self) -> &str {
        match self {
            TransferEncoding::SevenBit => "7bit",
            TransferEncoding::EightBit => "8bit",
            TransferEncoding::Binary => "binary",
            TransferEncoding::QuotedPrintable => "quoted-printable",
            TransferEncoding::Base64 => "base64",
            TransferEncoding::Other(s) => s,
        }
    }
}

fn token(raw: &[u8], max_depth: usize) -> &[u8] {
    let mut lx = Lexer::new(raw, max_depth, 0);
    lx.skip_cfws(None);
    lx.take_while(|b| !is_ws(b) && b != b'(' && b != b';')
}

/// Reads the first token of a value, comments skipped, lower-cased.
pub fn parse_token(raw: &[u8], max_depth: usize) -> Option<String> {
    let t = token(raw, max_depth);
    if t.is_empty() {
        None
    } else {
        Some(String::from_utf8_lossy(t).to_ascii_lowercase())
    }
}

/// Parses a Content-Transfer-Encoding value.
pub fn parse_transfer_encoding(raw: &[u8], max_depth: usize) -> TransferEncoding {
    let t = token(raw, max_depth);
    let is = |name: &str| t.eq_ignore_ascii_case(name.as_bytes());
    if t.is_empty() || is("7bit") {
        TransferEncoding::SevenBit
    } else if is("8bit") {
        TransferEncoding::EightBit
    } else if is("binary") {
        TransferEncoding::Binary
    } else if is("quoted-printable") {
        TransferEncoding::QuotedPrintable
    } else if is("base64") {
        TransferEncoding::Base64
    } else {
        TransferEncoding::Other(String::from_utf8_lossy(t).to_ascii_lowercase())
    }
}

/// Parses MIME-Version (`1.0`, comments allowed): `(major, minor)`.
pub fn parse_mime_version(raw: &[u8], max_depth: usize) -> Option<(u32, u32)> {
    let mut lx = Lexer::new(raw, max_depth, 0);
    lx.skip_cfws(None);
    let a = lx.take_while(|b| b.is_ascii_digit());
    lx.skip_cfws(None);
    if lx.peek() != Some(b'.') {
        return None;
    }
    lx.pos += 1;
    lx.skip_cfws(None);
    let b = lx.take_while(|b| b.is_ascii_digit());
    let a = std::str::from_utf8(a).ok()?.parse().ok()?;
    let b = std::str::from_utf8(b).ok()?.parse().ok()?;
    Some((a, b))
}

/// Parses Content-Language (RFC 3282): the language tags.
pub fn parse_language_list(raw: &[u8], max_depth: usize) -> Vec<String> {
    let mut lx = Lexer::new(raw, max_depth, 0);
    let mut out = Vec::new();
    loop {
        lx.skip_cfws(None);
        if lx.peek() == Some(b',') {
            lx.pos += 1;
            continue;
        }
        let t = lx.take_while(|b| !is_ws(b) && b != b',' && b != b'(');
        if t.is_empty() {
            if lx.at_end() {
                break;
            }
            lx.pos += 1;
            continue;
        }
        out.push(String::from_utf8_lossy(t).into_owned());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        let mut d = Vec::new();
        assert_eq!(
            parse_message_ids(
                b"<1234@local.machine.example>\r\n <3456@example.net>",
                &mut d,
                0
            ),
            vec!["1234@local.machine.example", "3456@example.net"]
        );
        assert_eq!(
            parse_message_ids(b"\"Your message\" <a@b> (x)", &mut d, 0),
            vec!["a@b"]
        );
        assert!(d.is_empty());
        assert_eq!(
            parse_transfer_encoding(b" Base64 (x)", 8),
            TransferEncoding::Base64
        );
        assert_eq!(parse_mime_version(b"1.(c)0", 8), Some((1, 0)));
        assert_eq!(parse_language_list(b"en, de (German)", 8), vec!["en", "de"]);
    }

    /// White space and comments inside the brackets are not part of the id (RFC 5322
    /// sections 3.6.4 and 4.5.4).
    #[test]
    fn cfws_inside_the_brackets_is_dropped() {
        let ids = |s: &'static str| parse_message_ids(s.as_bytes(), &mut Vec::new(), 0);
        assert_eq!(
            ids("<9209252113.AA00975@ ebony >"),
            vec!["9209252113.AA00975@ebony"]
        );
        assert_eq!(
            ids("<1234 @ local(blah) .machine .example>"),
            vec!["1234@local.machine.example"]
        );
        assert_eq!(ids("< a@b > <c\r\n @d>"), vec!["a@b", "c@d"]);
        assert_eq!(ids("<a(x(y)z)@b>"), vec!["a@b"]);
        // A quoted string keeps its white space.
        assert_eq!(ids("<\"a b\"@c>"), vec!["\"a b\"@c"]);
    }
}
