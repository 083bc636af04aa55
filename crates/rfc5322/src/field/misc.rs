//! Message ids (RFC 5322 section 3.6.4), phrase lists (Keywords, section 3.6.5),
//! Content-Transfer-Encoding (RFC 2045 section 6), MIME-Version, Content-Language
//! (RFC 3282) and the simple token fields.

use crate::decode::encoded_word;
use crate::defect::{Defect, DefectKind};
use crate::field::lex::{Lexer, is_ws};

/// Parses Message-ID, In-Reply-To, References, Content-ID: the ids without angle brackets,
/// in order. Phrases of the obsolete In-Reply-To form are skipped; a value without any `<`
/// is read as white-space separated bare ids (with a defect).
pub fn parse_message_ids(raw: &[u8], defects: &mut Vec<Defect>, offset: usize) -> Vec<String> {
    let mut out = Vec::new();
    if memchr::memchr(b'<', raw).is_none() {
        for w in raw.split(|&b| is_ws(b)).filter(|w| !w.is_empty()) {
            out.push(String::from_utf8_lossy(w).into_owned());
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
        let id: Vec<u8> = raw
            .get(start..start + gt)
            .unwrap_or(&[])
            .iter()
            .copied()
            .filter(|&b| b != b'\r' && b != b'\n')
            .collect();
        let id = String::from_utf8_lossy(&id).trim().to_owned();
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

/// Parses a comma-separated list of phrases (Keywords): each decoded and trimmed.
pub fn parse_phrase_list(raw: &[u8], defects: &mut Vec<Defect>, offset: usize) -> Vec<String> {
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
                let unq: Vec<u8> = item.iter().copied().filter(|&c| c != b'"').collect();
                let s = encoded_word::decode_phrase(&unq, defects, offset + start);
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

/// Reads the first token of a value, comments skipped, lower-cased.
pub fn parse_token(raw: &[u8], max_depth: usize) -> Option<String> {
    let mut lx = Lexer::new(raw, max_depth, 0);
    lx.skip_cfws(None);
    let t = lx.take_while(|b| !is_ws(b) && b != b'(' && b != b';');
    if t.is_empty() {
        None
    } else {
        Some(String::from_utf8_lossy(t).to_ascii_lowercase())
    }
}

/// Parses a Content-Transfer-Encoding value.
pub fn parse_transfer_encoding(raw: &[u8], max_depth: usize) -> TransferEncoding {
    match parse_token(raw, max_depth).as_deref() {
        None | Some("7bit") => TransferEncoding::SevenBit,
        Some("8bit") => TransferEncoding::EightBit,
        Some("binary") => TransferEncoding::Binary,
        Some("quoted-printable") => TransferEncoding::QuotedPrintable,
        Some("base64") => TransferEncoding::Base64,
        Some(o) => TransferEncoding::Other(o.to_owned()),
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
}
