//! Content-Type and Content-Disposition with their parameters (RFC 2045 section 5, RFC 2183,
//! RFC 2231 continuations, charsets and languages), read leniently. The values borrow from
//! the input when nothing had to be decoded or lower-cased.

use std::borrow::Cow;

use crate::decode::{charset, encoded_word};
use crate::defect::{Defect, DefectKind};
use crate::field::lex::{Lexer, is_ws};

/// A MIME parameter after RFC 2231 and RFC 2047 decoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param<'a> {
    /// Lower-case name, without RFC 2231 section markers.
    pub name: Cow<'a, str>,
    /// Decoded value.
    pub value: Cow<'a, str>,
    /// The RFC 2231 language tag, when one was given.
    pub language: Option<Cow<'a, str>>,
}

impl Param<'_> {
    /// The same parameter owning its strings.
    pub fn into_owned(self) -> Param<'static> {
        Param {
            name: Cow::Owned(self.name.into_owned()),
            value: Cow::Owned(self.value.into_owned()),
            language: self.language.map(|l| Cow::Owned(l.into_owned())),
        }
    }

    fn into_static(self) -> Param<'static> {
        Param {
            name: intern(self.name),
            value: intern(self.value),
            language: self.language.map(|l| Cow::Owned(l.into_owned())),
        }
    }
}

/// Common MIME vocabulary: a borrowed value equal to one of these is kept as the static
/// string instead of a copy when a parsed Content-Type is stored with the message.
macro_rules! common_words {
    ($($w:literal)*) => {
        fn common(s: &str) -> Option<&'static str> {
            match s {
                $($w => Some($w),)*
                _ => None,
            }
        }
    };
}

common_words! {
    "text" "plain" "html" "enriched" "calendar" "multipart" "mixed" "alternative" "related"
    "digest" "report" "signed" "encrypted" "parallel" "message" "rfc822" "global"
    "delivery-status" "disposition-notification" "feedback-report" "partial" "external-body"
    "application" "octet-stream" "pdf" "json" "xml" "zip" "pgp-signature" "pgp-encrypted"
    "pkcs7-signature" "pkcs7-mime" "ms-tnef" "image" "jpeg" "png" "gif" "audio" "video"
    "charset" "boundary" "name" "filename" "format" "flowed" "fixed" "delsp" "yes" "no" "type"
    "report-type" "protocol" "micalg" "method" "start" "us-ascii" "US-ASCII" "utf-8" "UTF-8"
    "iso-8859-1" "ISO-8859-1" "iso-8859-15" "ISO-8859-15" "windows-1252" "Windows-1252"
}

fn intern(c: Cow<'_, str>) -> Cow<'static, str> {
    match c {
        Cow::Owned(s) => Cow::Owned(s),
        // The longest common word has 24 bytes: boundaries and file names skip the lookup.
        Cow::Borrowed(b) => match (b.len() <= 24).then(|| common(b)).flatten() {
            Some(k) => Cow::Borrowed(k),
            None => Cow::Owned(b.to_owned()),
        },
    }
}

/// A parsed Content-Type (RFC 2045 section 5.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentType<'a> {
    /// The media type, lower case (`text`).
    pub media_type: Cow<'a, str>,
    /// The subtype, lower case (`plain`). Empty when the field had none.
    pub subtype: Cow<'a, str>,
    /// Parameters in order of appearance.
    pub params: Vec<Param<'a>>,
}

impl Default for ContentType<'_> {
    /// `text/plain; charset=us-ascii`, the RFC 2045 section 5.2 default.
    fn default() -> Self {
        ContentType {
            media_type: Cow::Borrowed("text"),
            subtype: Cow::Borrowed("plain"),
            params: vec![Param {
                name: Cow::Borrowed("charset"),
                value: Cow::Borrowed("us-ascii"),
                language: None,
            }],
        }
    }
}

impl<'a> ContentType<'a> {
    /// A content type without parameters.
    pub fn new(media_type: &str, subtype: &str) -> Self {
        ContentType {
            media_type: Cow::Owned(media_type.to_ascii_lowercase()),
            subtype: Cow::Owned(subtype.to_ascii_lowercase()),
            params: Vec::new(),
        }
    }

    /// The same content type owning its strings.
    pub fn into_owned(self) -> ContentType<'static> {
        ContentType {
            media_type: Cow::Owned(self.media_type.into_owned()),
            subtype: Cow::Owned(self.subtype.into_owned()),
            params: self.params.into_iter().map(Param::into_owned).collect(),
        }
    }

    /// [`ContentType::into_owned`], keeping common names and values as static strings.
    pub(crate) fn into_static(self) -> ContentType<'static> {
        ContentType {
            media_type: intern(self.media_type),
            subtype: intern(self.subtype),
            params: self.params.into_iter().map(Param::into_static).collect(),
        }
    }

    /// The value of a parameter (name compared ignoring ASCII case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| &*p.value)
    }

    /// True for `media_type/subtype` (ASCII case ignored).
    pub fn is(&self, media_type: &str, subtype: &str) -> bool {
        self.media_type.eq_ignore_ascii_case(media_type)
            && self.subtype.eq_ignore_ascii_case(subtype)
    }

    /// True for `multipart/*`.
    pub fn is_multipart(&self) -> bool {
        self.media_type == "multipart"
    }

    /// True for `message/rfc822` and `message/global` (RFC 6532 section 3.7).
    pub fn is_message(&self) -> bool {
        self.media_type == "message" && (self.subtype == "rfc822" || self.subtype == "global")
    }

    /// The boundary parameter.
    pub fn boundary(&self) -> Option<&str> {
        self.param("boundary")
    }

    /// The charset parameter.
    pub fn charset(&self) -> Option<&str> {
        self.param("charset")
    }
}

/// A parsed Content-Disposition (RFC 2183).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentDisposition<'a> {
    /// `inline`, `attachment` or another token, lower case.
    pub kind: Cow<'a, str>,
    /// Parameters in order of appearance.
    pub params: Vec<Param<'a>>,
}

impl ContentDisposition<'_> {
    /// The same disposition owning its strings.
    pub fn into_owned(self) -> ContentDisposition<'static> {
        ContentDisposition {
            kind: Cow::Owned(self.kind.into_owned()),
            params: self.params.into_iter().map(Param::into_owned).collect(),
        }
    }

    /// The value of a parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| &*p.value)
    }

    /// The file name (`filename`), decoded.
    pub fn filename(&self) -> Option<&str> {
        self.param("filename")
    }

    /// True for `attachment`.
    pub fn is_attachment(&self) -> bool {
        self.kind == "attachment"
    }

    /// True for `inline`.
    pub fn is_inline(&self) -> bool {
        self.kind == "inline"
    }
}

fn is_type_byte(b: u8) -> bool {
    !is_ws(b) && b != b'/' && b != b';' && b != b'(' && b != b'"'
}

/// `b` (found at `start` in the lexer's input) in lower case; borrowed when it is
/// lower-case ASCII already.
fn lower<'a>(lx: &Lexer<'a>, start: usize, b: &'a [u8]) -> Cow<'a, str> {
    if b.iter().all(|c| c.is_ascii() && !c.is_ascii_uppercase()) {
        return lx.text_of(start, b.len());
    }
    if b.is_ascii() {
        Cow::Owned(charset::bytes_to_text(b).to_ascii_lowercase())
    } else {
        Cow::Owned(charset::bytes_to_text(b).to_lowercase())
    }
}

/// A part of a string, borrowed when the string is.
fn sub<'a>(c: &Cow<'a, str>, r: std::ops::Range<usize>) -> Cow<'a, str> {
    match c {
        Cow::Borrowed(s) => Cow::Borrowed(s.get(r).unwrap_or("")),
        Cow::Owned(s) => Cow::Owned(s.get(r).unwrap_or("").to_owned()),
    }
}

/// Byte classes of [`Simple`]: which tokens a byte ends, and what it tells of a token.
/// Ends a type or subtype ([`is_type_byte`] false): white space, `/ ; ( "`.
const END_TYPE: u16 = 1;
/// Ends a parameter name ([`is_name_byte`] false): white space, `= ; ( "`.
const END_NAME: u16 = 2;
/// Ends a disposition type: what ends a type, and `=`.
const END_KIND: u16 = 4;
/// An upper-case ASCII letter: the token is lower-cased.
const UPPER: u16 = 8;
/// Past ASCII, or `*`: the general parser reads the token.
const ODD: u16 = 16;
/// Ends a quoted value: `"`.
const END_QUOTED: u16 = 32;
/// In a quoted value, sends it to the general parser: a quoted pair or a line break.
const QUOTED_ODD: u16 = 64;
/// `=`: the value may hold an encoded word.
const EQUALS: u16 = 128;
/// Ends an unquoted value: white space, `;`.
const END_VALUE: u16 = 256;

/// The classes of every byte, built from the predicates the general parser uses.
static CLASSES: [u16; 256] = {
    let mut t = [0u16; 256];
    let mut rest: &mut [u16] = &mut t;
    let mut b = 0u8;
    while let [first, tail @ ..] = rest {
        let ws = matches!(b, b' ' | b'\t' | b'\r' | b'\n');
        let mut c = 0;
        if ws || matches!(b, b'/' | b';' | b'(' | b'"') {
            c |= END_TYPE | END_KIND;
        }
        if ws || matches!(b, b'=' | b';' | b'(' | b'"') {
            c |= END_NAME;
        }
        if b == b'=' {
            c |= END_KIND;
        }
        if b.is_ascii_uppercase() {
            c |= UPPER;
        }
        if b >= 0x80 || b == b'*' {
            c |= ODD;
        }
        if b == b'"' {
            c |= END_QUOTED;
        }
        if matches!(b, b'\\' | b'\r' | b'\n') {
            c |= QUOTED_ODD;
        }
        if b == b'=' {
            c |= EQUALS;
        }
        if ws || b == b';' {
            c |= END_VALUE;
        }
        *first = c;
        rest = tail;
        b = b.wrapping_add(1);
    }
    t
};

fn class(b: u8) -> u16 {
    CLASSES.get(usize::from(b)).copied().unwrap_or(ODD)
}

/// The length of `rest` up to its first byte of a class in `end` (all of it when there is
/// none), and the classes of the bytes read, that byte included. One table load per byte.
#[inline(always)]
fn scan(rest: &[u8], end: u16) -> (usize, u16) {
    let mut seen = 0;
    let len = rest
        .iter()
        .position(|&b| {
            let c = class(b);
            seen |= c;
            c & end != 0
        })
        .unwrap_or(rest.len());
    (len, seen)
}

/// The common form of a value, read in one pass without the general lexer: UTF-8 without
/// comments or quoted pairs, an ASCII type, then `; name=value` or `; name="value"`
/// parameters without RFC 2231 sections or encoded words. `None` (the general parser takes
/// over) for anything else or anything that would be a defect; what it returns is what the
/// general parser returns.
struct Simple<'a> {
    text: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl<'a> Simple<'a> {
    fn new(raw: &'a [u8]) -> Option<Self> {
        Some(Simple {
            text: std::str::from_utf8(raw).ok()?,
            b: raw,
            pos: 0,
        })
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// Skips white space where the general parser skips comments too: `None` at a comment.
    fn skip_ws(&mut self) -> Option<()> {
        while let Some(b) = self.peek() {
            if !is_ws(b) {
                return (b != b'(').then_some(());
            }
            self.pos += 1;
        }
        Some(())
    }

    /// The ASCII bytes up to one of class `end` ([`END_TYPE`], [`END_NAME`] or
    /// [`END_KIND`]), lower-cased (borrowed when they are lower case already); `None` past
    /// ASCII or at a `*` (an RFC 2231 section marker in a name).
    #[inline(always)]
    fn lower_until(&mut self, end: u16) -> Option<Cow<'a, str>> {
        let start = self.pos;
        // The byte that ends the token is neither upper case nor odd.
        let (len, seen) = scan(self.b.get(start..)?, end);
        if seen & ODD != 0 {
            return None;
        }
        self.pos = start + len;
        let t = self.text.get(start..self.pos)?;
        Some(if seen & UPPER != 0 {
            Cow::Owned(t.to_ascii_lowercase())
        } else {
            Cow::Borrowed(t)
        })
    }

    fn params(&mut self) -> Option<Vec<Param<'a>>> {
        let mut out: Vec<Param<'a>> = Vec::new();
        loop {
            self.skip_ws()?;
            while self.peek() == Some(b';') {
                self.pos += 1;
                self.skip_ws()?;
            }
            if self.pos >= self.b.len() {
                return Some(out);
            }
            let name = self.lower_until(END_NAME)?;
            self.skip_ws()?;
            if name.is_empty() || self.peek() != Some(b'=') {
                return None;
            }
            self.pos += 1;
            self.skip_ws()?;
            let value = if self.peek() == Some(b'"') {
                let start = self.pos + 1;
                let rest = self.b.get(start..)?;
                // A quoted pair, a fold or an encoded word: the general parser reads it.
                let (len, seen) = scan(rest, END_QUOTED);
                let v = rest.get(..len)?;
                if rest.get(len) != Some(&b'"')
                    || seen & QUOTED_ODD != 0
                    || seen & EQUALS != 0 && encoded_word::may_hold_encoded_word(v)
                {
                    return None;
                }
                self.pos = start + len + 1;
                self.text.get(start..start + len)?
            } else {
                let start = self.pos;
                let (len, seen) = scan(self.b.get(start..)?, END_VALUE);
                self.pos = start + len;
                let v = self.text.get(start..self.pos)?;
                if seen & EQUALS != 0 && encoded_word::may_hold_encoded_word(v.as_bytes()) {
                    return None;
                }
                if v.is_empty() {
                    continue;
                }
                v
            };
            if out.len() >= 16 {
                return None;
            }
            if !out.iter().any(|o| o.name == name) {
                out.push(Param {
                    name,
                    value: Cow::Borrowed(value),
                    language: None,
                });
            }
        }
    }

    fn content_type(mut self) -> Option<ContentType<'a>> {
        self.skip_ws()?;
        let media_type = self.lower_until(END_TYPE)?;
        self.skip_ws()?;
        if media_type.is_empty() || self.peek() != Some(b'/') {
            return None;
        }
        self.pos += 1;
        self.skip_ws()?;
        let subtype = self.lower_until(END_TYPE)?;
        if subtype.is_empty() || matches!(self.peek(), Some(b'/' | b'"')) {
            return None;
        }
        Some(ContentType {
            media_type,
            subtype,
            params: self.params()?,
        })
    }

    fn content_disposition(mut self) -> Option<ContentDisposition<'a>> {
        self.skip_ws()?;
        let kind = self.lower_until(END_KIND)?;
        if kind.is_empty() {
            return None;
        }
        Some(ContentDisposition {
            kind,
            params: self.params()?,
        })
    }
}

/// Parses a Content-Type value. `None`, with a `BadContentType` defect, when it is not
/// `type/subtype`: no `/` (`inline`), an empty type or subtype (`/plain`, `text/`), junk
/// glued to the subtype (`text/plain/format`). RFC 2045 section 5.2 reads such a part as
/// `text/plain; charset=us-ascii`.
pub fn parse_content_type<'a>(
    raw: &'a [u8],
    max_depth: usize,
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Option<ContentType<'a>> {
    match Simple::new(raw).and_then(Simple::content_type) {
        Some(c) => Some(c),
        None => general_content_type(raw, max_depth, defects, offset),
    }
}

fn general_content_type<'a>(
    raw: &'a [u8],
    max_depth: usize,
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Option<ContentType<'a>> {
    let mut lx = Lexer::with_text(raw, max_depth, offset);
    lx.skip_cfws(None);
    let start = lx.pos;
    let t = lx.take_while(is_type_byte);
    if t.is_empty() {
        defects.push(Defect::new(DefectKind::BadContentType, offset));
        defects.append(&mut lx.defects);
        return None;
    }
    let media_type = lower(&lx, start, t);
    lx.skip_cfws(None);
    let mut subtype = Cow::Borrowed("");
    if lx.peek() == Some(b'/') {
        lx.pos += 1;
        lx.skip_cfws(None);
        let start = lx.pos;
        let t = lx.take_while(is_type_byte);
        subtype = lower(&lx, start, t);
    }
    if subtype.is_empty() || matches!(lx.peek(), Some(b'/' | b'"')) {
        defects.push(Defect::new(DefectKind::BadContentType, offset));
        defects.append(&mut lx.defects);
        return None;
    }
    let params = parse_params(&mut lx);
    defects.append(&mut lx.defects);
    Some(ContentType {
        media_type,
        subtype,
        params,
    })
}

/// Parses a Content-Disposition value.
pub fn parse_content_disposition<'a>(
    raw: &'a [u8],
    max_depth: usize,
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Option<ContentDisposition<'a>> {
    match Simple::new(raw).and_then(Simple::content_disposition) {
        Some(c) => Some(c),
        None => general_content_disposition(raw, max_depth, defects, offset),
    }
}

fn general_content_disposition<'a>(
    raw: &'a [u8],
    max_depth: usize,
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Option<ContentDisposition<'a>> {
    let mut lx = Lexer::with_text(raw, max_depth, offset);
    lx.skip_cfws(None);
    let start = lx.pos;
    let t = lx.take_while(|b| is_type_byte(b) && b != b'=');
    if t.is_empty() {
        defects.push(Defect::new(DefectKind::BadContentType, offset));
        return None;
    }
    let kind = lower(&lx, start, t);
    let params = parse_params(&mut lx);
    defects.append(&mut lx.defects);
    Some(ContentDisposition { kind, params })
}

/// One raw parameter before RFC 2231 assembly.
struct RawParam<'a> {
    name: Cow<'a, str>,
    section: Option<u32>,
    extended: bool,
    value: std::borrow::Cow<'a, [u8]>,
    /// Where a borrowed value starts in the lexer's input.
    value_at: usize,
    quoted: bool,
}

fn is_name_byte(b: u8) -> bool {
    !is_ws(b) && b != b'=' && b != b';' && b != b'(' && b != b'"'
}

fn split_name(name: Cow<'_, str>) -> (Cow<'_, str>, Option<u32>, bool) {
    // name, name*, name*N, name*N*
    let Some(i) = name.find('*') else {
        return (name, None, false);
    };
    let base = sub(&name, 0..i);
    let rest = name.get(i + 1..).unwrap_or("");
    if rest.is_empty() {
        return (base, None, true);
    }
    let (num, ext) = match rest.strip_suffix('*') {
        Some(n) => (n, true),
        None => (rest, false),
    };
    match num.parse::<u32>() {
        Ok(n) if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) && n < 10_000 => {
            (base, Some(n), ext)
        }
        _ => (name.clone(), None, false),
    }
}

fn parse_params<'a>(lx: &mut Lexer<'a>) -> Vec<Param<'a>> {
    // The common case first: a few parameters without RFC 2231 sections or encoded words,
    // read straight into their values. Anything else is read again, then assembled.
    let (pos, defects) = (lx.pos, lx.defects.len());
    let mut out: Vec<Param<'a>> = Vec::new();
    let simple = scan_params(lx, |lx, p| {
        if p.section.is_some()
            || p.extended
            || out.len() >= 16
            || encoded_word::may_hold_encoded_word(&p.value)
        {
            return false;
        }
        if !out.iter().any(|o| o.name == p.name) {
            let value = match p.value {
                Cow::Borrowed(b) => lx.text_of(p.value_at, b.len()),
                Cow::Owned(o) => Cow::Owned(charset::bytes_to_text(&o).into_owned()),
            };
            out.push(Param {
                name: p.name,
                value,
                language: None,
            });
        }
        true
    });
    if simple {
        return out;
    }
    lx.pos = pos;
    lx.defects.truncate(defects);
    let mut raw: Vec<RawParam<'a>> = Vec::new();
    scan_params(lx, |_, p| {
        raw.push(p);
        true
    });
    assemble(raw, lx)
}

/// Reads the parameters, handing each to `each`; stops early (and returns false) when
/// `each` does.
fn scan_params<'a>(
    lx: &mut Lexer<'a>,
    mut each: impl FnMut(&Lexer<'a>, RawParam<'a>) -> bool,
) -> bool {
    loop {
        lx.skip_cfws(None);
        while lx.peek() == Some(b';') {
            lx.pos += 1;
            lx.skip_cfws(None);
        }
        if lx.at_end() {
            break;
        }
        let name_at = lx.pos;
        let name = lx.take_while(is_name_byte);
        lx.skip_cfws(None);
        if name.is_empty() || lx.peek() != Some(b'=') {
            // Junk: skip to the next separator.
            lx.defect(DefectKind::BadParameter);
            if name.is_empty() {
                if lx.peek() == Some(b'"') {
                    lx.quoted();
                } else if lx.peek() == Some(b'=') {
                    lx.pos += 1;
                    lx.skip_cfws(None);
                    if lx.peek() == Some(b'"') {
                        lx.quoted();
                    } else {
                        lx.take_while(|b| b != b';' && !is_ws(b));
                    }
                } else {
                    lx.pos += 1;
                }
            }
            continue;
        }
        lx.pos += 1;
        lx.skip_ws();
        let mut value_at = lx.pos;
        let (value, quoted) = if lx.peek() == Some(b'"') {
            let qs = lx.pos;
            value_at = qs + 1;
            let v = lx.quoted_cow();
            // A folded quoted value reads like unstructured text (the fold is no space).
            let folded =
                lx.s.get(qs..lx.pos)
                    .is_some_and(|r| memchr::memchr(b'\n', r).is_some());
            (v, !folded)
        } else {
            let start = lx.pos;
            lx.take_while(|b| b != b';' && !is_ws(b));
            // Unquoted encoded words separated by white space stay one value.
            if lx.s.get(start..).is_some_and(|v| v.starts_with(b"=?")) {
                loop {
                    let save = lx.pos;
                    lx.skip_ws();
                    if lx.s.get(lx.pos..).is_some_and(|v| v.starts_with(b"=?")) {
                        lx.take_while(|b| b != b';' && !is_ws(b));
                    } else {
                        lx.pos = save;
                        break;
                    }
                }
            }
            (
                std::borrow::Cow::Borrowed(lx.s.get(start..lx.pos).unwrap_or(&[])),
                false,
            )
        };
        if value.is_empty() && !quoted {
            continue;
        }
        let name = lower(lx, name_at, name);
        let (base, section, extended) = split_name(name);
        if base.is_empty() {
            lx.defect(DefectKind::BadParameter);
            continue;
        }
        let p = RawParam {
            name: base,
            section,
            extended,
            value,
            value_at,
            quoted,
        };
        if !each(lx, p) {
            return false;
        }
    }
    true
}

fn plain_value<'a>(p: &RawParam<'a>, lx: &mut Lexer<'a>) -> Cow<'a, str> {
    let v = match &p.value {
        Cow::Borrowed(b) => lx.text_of(p.value_at, b.len()),
        Cow::Owned(o) => Cow::Owned(charset::bytes_to_text(o).into_owned()),
    };
    if encoded_word::may_hold_encoded_word(v.as_bytes()) {
        let mut tmp = Vec::new();
        let s = if p.quoted {
            // A quoted value keeps its white space, but not the white space between two
            // adjacent encoded words (RFC 2047 section 6.2, as in unstructured text).
            let mut out = String::with_capacity(v.len());
            encoded_word::decode_text_into(
                v.as_bytes(),
                encoded_word::Ws::Unfold,
                &mut out,
                &mut tmp,
                lx.offset,
            );
            out
        } else {
            encoded_word::decode_unstructured(v.as_bytes(), &mut tmp, lx.offset).into_owned()
        };
        lx.defects.extend(tmp);
        Cow::Owned(s)
    } else {
        v
    }
}

fn percent_decode(v: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while let Some(&b) = v.get(i) {
        if b == b'%' {
            let h = v
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            if let Some(n) = h.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(n);
                i += 3;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
}

/// Joins RFC 2231 sections, percent-decodes them and applies the charset once. Linear in
/// the number of parameters (names are indexed), whatever the input.
fn assemble<'a>(raw: Vec<RawParam<'a>>, lx: &mut Lexer<'a>) -> Vec<Param<'a>> {
    use std::collections::HashMap;
    let mut out: Vec<Param<'a>> = Vec::with_capacity(raw.len());
    // The common case: a few parameters, no RFC 2231 sections; no index needed.
    if raw.len() <= 16 && raw.iter().all(|p| p.section.is_none() && !p.extended) {
        for p in &raw {
            if out.iter().any(|o| o.name == p.name) {
                continue;
            }
            let value = plain_value(p, lx);
            out.push(Param {
                name: p.name.clone(),
                value,
                language: None,
            });
        }
        return out;
    }
    let mut index: HashMap<String, usize> = HashMap::new();
    // Sections of each RFC 2231 name, by raw index, in order of first appearance.
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in raw.iter().enumerate() {
        if p.section.is_some() || p.extended {
            groups.entry(p.name.as_ref()).or_default().push(i);
        }
    }
    for (i, p) in raw.iter().enumerate() {
        if p.section.is_none() && !p.extended {
            if index.contains_key(p.name.as_ref()) {
                continue;
            }
            let value = plain_value(p, lx);
            index.insert(p.name.to_string(), out.len());
            out.push(Param {
                name: p.name.clone(),
                value,
                language: None,
            });
            continue;
        }
        let Some(mut idx) = groups.remove(p.name.as_ref()) else {
            continue; // this name's sections were assembled at its first section
        };
        let _ = i;
        // Every section of this name, in section order.
        idx.sort_by_key(|&k| raw.get(k).and_then(|q| q.section).unwrap_or(0));
        idx.dedup_by_key(|k| raw.get(*k).and_then(|q| q.section));
        let secs: Vec<&RawParam<'_>> = idx.iter().filter_map(|&k| raw.get(k)).collect();
        if secs
            .iter()
            .enumerate()
            .any(|(k, q)| q.section.is_some_and(|s| s as usize != k))
        {
            lx.defect(DefectKind::BadParameter);
        }
        let mut bytes = Vec::new();
        let mut cs: Option<String> = None;
        let mut lang: Option<String> = None;
        for (k, q) in secs.iter().enumerate() {
            let mut v: &[u8] = &q.value;
            if q.extended && k == 0 {
                // charset'language'value
                let mut it = v.splitn(3, |&b| b == b'\'');
                let (a, b, c) = (it.next(), it.next(), it.next());
                if let (Some(a), Some(b), Some(c)) = (a, b, c) {
                    if !a.is_empty() {
                        cs = Some(String::from_utf8_lossy(a).into_owned());
                    }
                    if !b.is_empty() {
                        lang = Some(String::from_utf8_lossy(b).into_owned());
                    }
                    v = c;
                }
            }
            if q.extended && k > 0 {
                // A charset repeated on a later section (seen in the wild): dropped.
                if let Some(c) = &cs
                    && v.len() > c.len()
                    && v.get(..c.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(c.as_bytes()))
                    && v.get(c.len()) == Some(&b'\'')
                {
                    v = v.get(c.len() + 1..).unwrap_or(&[]);
                }
            }
            if q.extended {
                percent_decode(v, &mut bytes);
            } else {
                bytes.extend_from_slice(v);
            }
        }
        let value = match &cs {
            Some(c) => {
                let (s, known) = charset::decode_or_fallback(c, &bytes);
                if !known {
                    lx.defect(DefectKind::UnknownCharset);
                }
                Cow::Owned(s.into_owned())
            }
            None => Cow::Owned(charset::bytes_to_text(&bytes).into_owned()),
        };
        // An RFC 2231 value wins over a plain one of the same name.
        let lang = lang.map(Cow::Owned);
        match index.get(p.name.as_ref()).and_then(|&k| out.get_mut(k)) {
            Some(o) => {
                o.value = value;
                o.language = lang;
            }
            None => {
                index.insert(p.name.to_string(), out.len());
                out.push(Param {
                    name: p.name.clone(),
                    value,
                    language: lang,
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(s: &str) -> ContentType<'_> {
        parse_content_type(s.as_bytes(), 32, &mut Vec::new(), 0).unwrap()
    }

    /// The one-pass reader's byte classes say what the general parser's predicates say.
    #[test]
    fn byte_classes_match_the_predicates() {
        for b in 0..=255u8 {
            let c = class(b);
            assert_eq!(c & END_TYPE == 0, is_type_byte(b), "{b:#x} type");
            assert_eq!(c & END_NAME == 0, is_name_byte(b), "{b:#x} name");
            assert_eq!(
                c & END_KIND == 0,
                is_type_byte(b) && b != b'=',
                "{b:#x} kind"
            );
            assert_eq!(c & UPPER != 0, b.is_ascii_uppercase(), "{b:#x} upper");
            assert_eq!(c & ODD != 0, b >= 0x80 || b == b'*', "{b:#x} odd");
            assert_eq!(c & END_QUOTED != 0, b == b'"', "{b:#x} quoted end");
            assert_eq!(
                c & QUOTED_ODD != 0,
                matches!(b, b'\\' | b'\r' | b'\n'),
                "{b:#x} quoted odd"
            );
            assert_eq!(c & EQUALS != 0, b == b'=', "{b:#x} equals");
            assert_eq!(
                c & END_VALUE != 0,
                b == b';' || is_ws(b),
                "{b:#x} value end"
            );
        }
    }

    #[test]
    fn rfc2231_examples() {
        // RFC 2231 section 3, 4 and 4.1.
        let c = ct(
            "message/external-body; access-type=URL;\r\n URL*0=\"ftp://\";\r\n URL*1=\"cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar\"",
        );
        assert_eq!(
            c.param("url"),
            Some("ftp://cs.utk.edu/pub/moore/bulk-mailer/bulk-mailer.tar")
        );
        let c =
            ct("application/x-stuff;\r\n title*=us-ascii'en-us'This%20is%20%2A%2A%2Afun%2A%2A%2A");
        assert_eq!(c.param("title"), Some("This is ***fun***"));
        assert_eq!(c.params[0].language.as_deref(), Some("en-us"));
        let c = ct(
            "application/x-stuff;\r\n title*0*=us-ascii'en'This%20is%20even%20more%20\r\n title*1*=%2A%2A%2Afun%2A%2A%2A%20\r\n title*2=\"isn't it!\"",
        );
        assert_eq!(
            c.param("title"),
            Some("This is even more ***fun*** isn't it!")
        );
        let c = ct("text/plain; name*=\"iso-8859-1''HasenundFr%F6sche.txt\"");
        assert_eq!(c.param("name"), Some("HasenundFrösche.txt"));
        let c = ct("text/plain; name*0*=utf-8''caf%C3; name*1*=%A9");
        assert_eq!(c.param("name"), Some("café"));
    }

    /// Adjacent encoded words in a quoted value are joined (RFC 2047 section 6.2); other
    /// white space in it is kept.
    #[test]
    fn adjacent_encoded_words_in_a_quoted_value() {
        let c = ct("application/octet-stream; name=\"=?utf-8?q?a?= =?utf-8?q?b?=\"");
        assert_eq!(c.param("name"), Some("ab"));
        let c = ct("application/octet-stream; name=\"=?utf-8?q?a?=\r\n =?utf-8?q?b?=.txt\"");
        assert_eq!(c.param("name"), Some("ab.txt"));
        let c = ct("application/octet-stream; name=\" x  =?utf-8?q?a?= y \"");
        assert_eq!(c.param("name"), Some(" x  a y "));
    }

    /// The common-form reader agrees with the general parser wherever it answers, and the
    /// general parser finds no defect there.
    #[test]
    fn simple_form_agrees_with_the_general_parser() {
        let samples: &[&[u8]] = &[
            b"text/plain",
            b" Text/Plain; Charset=\"UTF-8\"; format=flowed",
            b"multipart/mixed;\r\n boundary=\"----=_Part_1\"",
            b"text/plain; charset=us-ascii; charset=utf-8",
            b"text/plain;; ; name=",
            b"text/plain; name=\"\"",
            b"text / plain ; a = b",
            b"text/plain/x; a=\"b;c\" ;",
            b"attachment; filename=\"a b.pdf\"",
            b"inline",
            b"a/b; c*=utf-8''x",
            b"a/b; c=\"=?utf-8?q?x?=\"",
            b"a/b; c=\"unterminated",
            b"a/b; c=\"x\\\"y\"",
            b"a/b (comment)",
            b"a/b; c",
            b"/b",
            b"a/",
            b"a/b; =c",
        ];
        let mut answered = 0;
        let mut check = |raw: &[u8]| {
            if let Some(c) = Simple::new(raw).and_then(Simple::content_type) {
                answered += 1;
                let mut d = Vec::new();
                assert_eq!(Some(c), general_content_type(raw, 32, &mut d, 0), "{raw:?}");
                assert!(d.is_empty(), "{raw:?}");
            }
            if let Some(c) = Simple::new(raw).and_then(Simple::content_disposition) {
                let mut d = Vec::new();
                assert_eq!(
                    Some(c),
                    general_content_disposition(raw, 32, &mut d, 0),
                    "{raw:?}"
                );
                assert!(d.is_empty(), "{raw:?}");
            }
        };
        for raw in samples {
            check(raw);
        }
        // Every string of up to five pieces from an alphabet of the interesting bytes.
        let pieces: &[&[u8]] = &[
            b"a",
            b"B",
            b"/",
            b";",
            b"=",
            b"\"",
            b" ",
            b"\r\n ",
            b"*",
            b"=?",
            b"(",
            b"\\",
            b"\xc3\xa9",
            b"x-y",
            b"\r",
            b"\n",
            b")",
        ];
        let mut buf = Vec::new();
        crate::field::lex::each_string(pieces, 5, |tail| {
            buf.clear();
            buf.extend_from_slice(b"t/s; ");
            buf.extend_from_slice(tail);
            check(&buf);
            check(tail);
        });
        // The reader answers for a good share of them (the comparison is not vacuous).
        assert!(answered > 10_000, "{answered}");
    }

    #[test]
    fn lenient_forms() {
        let c = ct(" text /plain; charset=\"iso-8859-1\"; format=flowed");
        assert_eq!((&*c.media_type, &*c.subtype), ("text", "plain"));
        assert_eq!(c.param("format"), Some("flowed"));
        let c = ct("(hello) text (plain) / (world) plain (eod); charset=us-ascii");
        assert!(c.is("text", "plain"));
        assert_eq!(c.charset(), Some("us-ascii"));
        assert!(parse_content_type(b"/plain", 8, &mut Vec::new(), 0).is_none());
    }

    /// A value that is not `type/subtype` is no content type (RFC 2045 section 5.2), with a
    /// defect.
    #[test]
    fn invalid_forms_are_none() {
        for raw in [
            &b"inline"[..],
            b"application-x-gzip; name=a.gz",
            b"test/",
            b"text/ ; charset=utf-8",
            b"text/plain/format",
            b"text/plain\"x\"",
            b"/plain",
            b"",
            b"(only a comment)",
        ] {
            let mut d = Vec::new();
            assert!(parse_content_type(raw, 8, &mut d, 0).is_none(), "{raw:?}");
            assert!(
                d.iter().any(|d| d.kind == DefectKind::BadContentType),
                "{raw:?}"
            );
        }
        assert!(ct("text/plain (x) ; charset=utf-8").is("text", "plain"));
    }
}
