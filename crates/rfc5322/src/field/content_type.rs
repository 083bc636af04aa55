//! Content-Type and Content-Disposition with their parameters (RFC 2045 section 5, RFC 2183,
//! RFC 2231 continuations, charsets and languages), read leniently.

use crate::decode::{charset, encoded_word};
use crate::defect::{Defect, DefectKind};
use crate::field::lex::{Lexer, is_ws};

/// A MIME parameter after RFC 2231 and RFC 2047 decoding.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Param {
    /// Lower-case name, without RFC 2231 section markers.
    pub name: String,
    /// Decoded value.
    pub value: String,
    /// The RFC 2231 language tag, when one was given.
    pub language: Option<String>,
}

/// A parsed Content-Type (RFC 2045 section 5.1).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ContentType {
    /// The media type, lower case (`text`).
    pub media_type: String,
    /// The subtype, lower case (`plain`). Empty when the field had none.
    pub subtype: String,
    /// Parameters in order of appearance.
    pub params: Vec<Param>,
}

impl Default for ContentType {
    /// `text/plain; charset=us-ascii`, the RFC 2045 section 5.2 default.
    fn default() -> Self {
        ContentType {
            media_type: "text".into(),
            subtype: "plain".into(),
            params: vec![Param {
                name: "charset".into(),
                value: "us-ascii".into(),
                language: None,
            }],
        }
    }
}

impl ContentType {
    /// A content type without parameters.
    pub fn new(media_type: &str, subtype: &str) -> Self {
        ContentType {
            media_type: media_type.to_ascii_lowercase(),
            subtype: subtype.to_ascii_lowercase(),
            params: Vec::new(),
        }
    }

    /// The value of a parameter (name compared ignoring ASCII case).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_str())
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
pub struct ContentDisposition {
    /// `inline`, `attachment` or another token, lower case.
    pub kind: String,
    /// Parameters in order of appearance.
    pub params: Vec<Param>,
}

impl ContentDisposition {
    /// The value of a parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .map(|p| p.value.as_str())
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

fn lower(b: &[u8]) -> String {
    if b.is_ascii() {
        String::from_utf8(b.to_ascii_lowercase()).unwrap_or_default()
    } else {
        charset::bytes_to_text(b).to_lowercase()
    }
}

/// Parses a Content-Type value. `None` when there is no type (`/plain`, `;`, empty).
pub fn parse_content_type(
    raw: &[u8],
    max_depth: usize,
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Option<ContentType> {
    let mut lx = Lexer::new(raw, max_depth, offset);
    lx.skip_cfws(None);
    let t = lx.take_while(is_type_byte);
    if t.is_empty() {
        defects.push(Defect::new(DefectKind::BadContentType, offset));
        defects.append(&mut lx.defects);
        return None;
    }
    let media_type = lower(t);
    lx.skip_cfws(None);
    let mut subtype = String::new();
    if lx.peek() == Some(b'/') {
        lx.pos += 1;
        lx.skip_cfws(None);
        subtype = lower(lx.take_while(|b| is_type_byte(b) || b == b'/'));
    }
    if subtype.is_empty() {
        lx.defect(DefectKind::BadContentType);
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
pub fn parse_content_disposition(
    raw: &[u8],
    max_depth: usize,
    defects: &mut Vec<Defect>,
    offset: usize,
) -> Option<ContentDisposition> {
    let mut lx = Lexer::new(raw, max_depth, offset);
    lx.skip_cfws(None);
    let t = lx.take_while(|b| is_type_byte(b) && b != b'=');
    if t.is_empty() {
        defects.push(Defect::new(DefectKind::BadContentType, offset));
        return None;
    }
    let kind = lower(t);
    let params = parse_params(&mut lx);
    defects.append(&mut lx.defects);
    Some(ContentDisposition { kind, params })
}

/// One raw parameter before RFC 2231 assembly.
struct RawParam<'a> {
    name: String,
    section: Option<u32>,
    extended: bool,
    value: std::borrow::Cow<'a, [u8]>,
    quoted: bool,
}

fn is_name_byte(b: u8) -> bool {
    !is_ws(b) && b != b'=' && b != b';' && b != b'(' && b != b'"'
}

fn split_name(name: String) -> (String, Option<u32>, bool) {
    // name, name*, name*N, name*N*
    let (base, rest) = match name.find('*') {
        Some(i) => (name.get(..i).unwrap_or(""), name.get(i + 1..).unwrap_or("")),
        None => return (name, None, false),
    };
    if rest.is_empty() {
        return (base.to_owned(), None, true);
    }
    let (num, ext) = match rest.strip_suffix('*') {
        Some(n) => (n, true),
        None => (rest, false),
    };
    match num.parse::<u32>() {
        Ok(n) if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit()) && n < 10_000 => {
            (base.to_owned(), Some(n), ext)
        }
        _ => (name.clone(), None, false),
    }
}

fn parse_params<'a>(lx: &mut Lexer<'a>) -> Vec<Param> {
    let mut raw: Vec<RawParam<'a>> = Vec::new();
    loop {
        lx.skip_cfws(None);
        while lx.peek() == Some(b';') {
            lx.pos += 1;
            lx.skip_cfws(None);
        }
        if lx.at_end() {
            break;
        }
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
        let (value, quoted) = if lx.peek() == Some(b'"') {
            let qs = lx.pos;
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
        let name = lower(name);
        let (base, section, extended) = split_name(name);
        if base.is_empty() {
            lx.defect(DefectKind::BadParameter);
            continue;
        }
        raw.push(RawParam {
            name: base,
            section,
            extended,
            value,
            quoted,
        });
    }
    assemble(raw, lx)
}

fn plain_value(p: &RawParam<'_>, lx: &mut Lexer<'_>) -> String {
    let v = charset::bytes_to_text(&p.value);
    if encoded_word::may_hold_encoded_word(v.as_bytes()) {
        let mut tmp = Vec::new();
        let s = encoded_word::decode_unstructured(v.as_bytes(), &mut tmp, lx.offset);
        lx.defects.extend(tmp);
        if p.quoted { keep_spaces(&v, s) } else { s }
    } else {
        v.into_owned()
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
fn assemble(raw: Vec<RawParam<'_>>, lx: &mut Lexer<'_>) -> Vec<Param> {
    use std::collections::HashMap;
    let mut out: Vec<Param> = Vec::with_capacity(raw.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    // Sections of each RFC 2231 name, by raw index, in order of first appearance.
    let mut groups: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, p) in raw.iter().enumerate() {
        if p.section.is_some() || p.extended {
            groups.entry(p.name.as_str()).or_default().push(i);
        }
    }
    for (i, p) in raw.iter().enumerate() {
        if p.section.is_none() && !p.extended {
            if index.contains_key(&p.name) {
                continue;
            }
            let value = plain_value(p, lx);
            index.insert(p.name.clone(), out.len());
            out.push(Param {
                name: p.name.clone(),
                value,
                language: None,
            });
            continue;
        }
        let Some(mut idx) = groups.remove(p.name.as_str()) else {
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
                s.into_owned()
            }
            None => charset::bytes_to_text(&bytes).into_owned(),
        };
        // An RFC 2231 value wins over a plain one of the same name.
        match index.get(&p.name).and_then(|&k| out.get_mut(k)) {
            Some(o) => {
                o.value = value;
                o.language = lang;
            }
            None => {
                index.insert(p.name.clone(), out.len());
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

/// A quoted value keeps its white space: each white-space separated piece is decoded on
/// its own.
fn keep_spaces(orig: &str, decoded: String) -> String {
    if !orig.contains([' ', '\t']) {
        return decoded;
    }
    let mut out = String::with_capacity(orig.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if !word.is_empty() {
            out.push_str(&encoded_word::decode_unstructured(
                word.as_bytes(),
                &mut Vec::new(),
                0,
            ));
            word.clear();
        }
    };
    for c in orig.chars() {
        if c == ' ' || c == '\t' {
            flush(&mut word, &mut out);
            out.push(c);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(s: &str) -> ContentType {
        parse_content_type(s.as_bytes(), 32, &mut Vec::new(), 0).unwrap()
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

    #[test]
    fn lenient_forms() {
        let c = ct(" text /plain; charset=\"iso-8859-1\"; format=flowed");
        assert_eq!(
            (c.media_type.as_str(), c.subtype.as_str()),
            ("text", "plain")
        );
        assert_eq!(c.param("format"), Some("flowed"));
        let c = ct("(hello) text (plain) / (world) plain (eod); charset=us-ascii");
        assert!(c.is("text", "plain"));
        assert_eq!(c.charset(), Some("us-ascii"));
        assert!(parse_content_type(b"/plain", 8, &mut Vec::new(), 0).is_none());
    }
}
