//! Charset decoding (RFC 2045 section 5.1, RFC 2046 section 4.1.2) with WHATWG labels:
//! UTF-8, US-ASCII, ISO-8859-1 (read as windows-1252) built in, every other charset through
//! encoding_rs behind the default-on `charsets` feature.

use std::borrow::Cow;

/// windows-1252 code points of the bytes 0x80..=0x9F (undefined ones map to the C1 control).
const W1252_HIGH: [char; 32] = [
    '\u{20AC}', '\u{81}', '\u{201A}', '\u{0192}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{02C6}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{0152}', '\u{8D}', '\u{017D}', '\u{8F}',
    '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{02DC}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{0153}', '\u{9D}', '\u{017E}', '\u{0178}',
];

/// Decodes windows-1252 (the WHATWG reading of ISO-8859-1 and US-ASCII).
pub fn decode_windows_1252(bytes: &[u8]) -> Cow<'_, str> {
    if bytes.is_ascii() {
        return Cow::Borrowed(std::str::from_utf8(bytes).unwrap_or(""));
    }
    let mut s = String::with_capacity(bytes.len() + bytes.len() / 2);
    for &b in bytes {
        if (0x80..0xA0).contains(&b) {
            s.push(
                W1252_HIGH
                    .get(usize::from(b - 0x80))
                    .copied()
                    .unwrap_or('\u{FFFD}'),
            );
        } else {
            s.push(char::from(b));
        }
    }
    Cow::Owned(s)
}

/// True when the label names a charset this build can decode.
pub fn is_known(label: &str) -> bool {
    let l = label.trim();
    if builtin(l).is_some() {
        return true;
    }
    #[cfg(feature = "charsets")]
    {
        encoding_rs::Encoding::for_label(l.as_bytes()).is_some()
    }
    #[cfg(not(feature = "charsets"))]
    {
        false
    }
}

#[derive(Clone, Copy)]
enum Builtin {
    Utf8,
    W1252,
}

const UTF8_LABELS: [&str; 4] = ["utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8"];
const W1252_LABELS: [&str; 18] = [
    "us-ascii",
    "ascii",
    "iso-8859-1",
    "iso8859-1",
    "iso_8859-1",
    "latin1",
    "l1",
    "windows-1252",
    "cp1252",
    "x-cp1252",
    "cp819",
    "ibm819",
    "iso-ir-100",
    "iso_8859-1:1987",
    "csisolatin1",
    "iso88591",
    "ansi_x3.4-1968",
    "us",
];

/// The built-in charsets by label (trimmed; ASCII case ignored).
fn builtin(l: &str) -> Option<Builtin> {
    // The labels nearly every message uses, as they are usually written: one comparison.
    match l {
        "utf-8" | "UTF-8" => return Some(Builtin::Utf8),
        "us-ascii" | "US-ASCII" | "iso-8859-1" | "ISO-8859-1" => return Some(Builtin::W1252),
        _ => {}
    }
    let is = |labels: &[&str]| labels.iter().any(|x| x.eq_ignore_ascii_case(l));
    if is(&UTF8_LABELS) {
        Some(Builtin::Utf8)
    } else if is(&W1252_LABELS) {
        Some(Builtin::W1252)
    } else {
        None
    }
}

/// Decodes `bytes` in the charset named by `label` (WHATWG labels, case-insensitive).
/// `None` when the charset is unknown to this build. Malformed sequences become U+FFFD.
pub fn decode<'a>(label: &str, bytes: &'a [u8]) -> Option<Cow<'a, str>> {
    let l = label.trim();
    match builtin(l) {
        Some(Builtin::Utf8) => return Some(String::from_utf8_lossy(bytes)),
        Some(Builtin::W1252) => {
            // US-ASCII text that is really UTF-8 is common: RFC 6532 first.
            return Some(match std::str::from_utf8(bytes) {
                Ok(s) => Cow::Borrowed(s),
                Err(_) => decode_windows_1252(bytes),
            });
        }
        None => {}
    }
    #[cfg(feature = "charsets")]
    {
        let enc = encoding_rs::Encoding::for_label(l.as_bytes())?;
        let (s, _) = enc.decode_without_bom_handling(bytes);
        Some(s)
    }
    #[cfg(not(feature = "charsets"))]
    {
        None
    }
}

/// Decodes with a fallback: the charset when known, else UTF-8 when valid, else windows-1252.
/// The flag is false when the charset was unknown.
pub fn decode_or_fallback<'a>(label: &str, bytes: &'a [u8]) -> (Cow<'a, str>, bool) {
    match decode(label, bytes) {
        Some(s) => (s, true),
        None => (bytes_to_text(bytes), false),
    }
}

/// [`decode_or_fallback`] of bytes the caller owns: the text reuses the buffer when the
/// bytes are UTF-8 and the charset reads them as such (UTF-8 itself, or the built-in
/// windows-1252 labels, whose UTF-8 reading comes first), validated once.
pub(crate) fn decode_vec_or_fallback(label: &str, bytes: Vec<u8>) -> String {
    let builtin = builtin(label.trim());
    if builtin.is_none() {
        return match decode_or_fallback(label, &bytes).0 {
            Cow::Borrowed(_) => String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            Cow::Owned(s) => s,
        };
    }
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => match builtin {
            Some(Builtin::Utf8) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            _ => decode_windows_1252(e.as_bytes()).into_owned(),
        },
    }
}

/// 8-bit text of unknown charset: UTF-8 first (RFC 6532), then windows-1252.
pub fn bytes_to_text(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => decode_windows_1252(bytes),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_is_windows_1252() {
        assert_eq!(decode("ISO-8859-1", b"caf\xe9 \x80").unwrap(), "café €");
        assert_eq!(decode("us-ascii", b"abc").unwrap(), "abc");
        assert_eq!(decode("utf-8", "é".as_bytes()).unwrap(), "é");
        assert!(decode("x-no-such", b"a").is_none());
        assert_eq!(bytes_to_text(b"\xe9"), "é");
    }

    #[cfg(feature = "charsets")]
    #[test]
    fn encoding_rs_labels() {
        assert_eq!(decode("iso-8859-8", b"\xe0").unwrap(), "\u{5d0}");
        assert_eq!(decode("koi8-r", b"\xc1").unwrap(), "\u{430}");
        assert_eq!(decode("shift_jis", b"\x82\xa0").unwrap(), "\u{3042}");
    }
}
