//! The encoders checked against small decoders written here (RFC 2047, RFC 2045 6.7 and 6.8,
//! RFC 2231), independent of the crate's parser, plus their line-length rules.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use rfc5322::encode::{
    self, EncodeError, FieldWriter, TransferEncoding, choose_transfer_encoding, encoded_words,
    parameter,
};

fn b64_decode(s: &[u8]) -> Vec<u8> {
    let val = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("bad base64 {c}"),
        }
    };
    let clean: Vec<u8> = s
        .iter()
        .copied()
        .filter(|&c| c != b'\r' && c != b'\n')
        .collect();
    assert_eq!(clean.len() % 4, 0);
    let mut out = Vec::new();
    for q in clean.chunks(4) {
        let pad = q.iter().filter(|&&c| c == b'=').count();
        let n = q
            .iter()
            .map(|&c| if c == b'=' { 0 } else { val(c) })
            .fold(0u32, |a, v| (a << 6) | v);
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    out
}

fn hex(a: u8, b: u8) -> u8 {
    let h = |c: u8| (c as char).to_digit(16).unwrap() as u8;
    h(a) * 16 + h(b)
}

/// RFC 2045 6.7 decoding (strict: only `=XX` and soft breaks).
fn qp_decode(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'=' {
            if s[i + 1..].starts_with(b"\r\n") {
                i += 3;
            } else {
                out.push(hex(s[i + 1], s[i + 2]));
                i += 3;
            }
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

/// One RFC 2047 word to its bytes.
fn ew_decode(w: &str) -> Vec<u8> {
    let inner = w.strip_prefix("=?").unwrap().strip_suffix("?=").unwrap();
    let mut parts = inner.splitn(3, '?');
    assert!(parts.next().unwrap().eq_ignore_ascii_case("utf-8"));
    let enc = parts.next().unwrap();
    let text = parts.next().unwrap();
    if enc.eq_ignore_ascii_case("b") {
        b64_decode(text.as_bytes())
    } else {
        let t = text.replace('_', " ");
        qp_decode(t.as_bytes())
    }
}

fn crlf(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, &b) in data.iter().enumerate() {
        if b == b'\n' && (i == 0 || data[i - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,200}",
        "[a-z ]{0,300}",
        "[\\x00-\\x7f]{0,100}",
        "[é日😀a ]{0,120}",
        Just("x".repeat(1000)),
    ]
}

proptest! {
    #[test]
    fn encoded_words_decode_back(text in any_text()) {
        let words = encoded_words(&text);
        let mut joined = Vec::new();
        for w in &words {
            prop_assert!(w.len() <= 75, "{} is {} long", w, w.len());
            prop_assert!(w.is_ascii());
            prop_assert!(!w.contains(' ') && !w.contains('\t'));
            let bytes = ew_decode(w);
            // No UTF-8 sequence is split between two words.
            prop_assert!(std::str::from_utf8(&bytes).is_ok());
            joined.extend(bytes);
        }
        prop_assert_eq!(String::from_utf8(joined).unwrap(), text);
    }

    #[test]
    fn base64_lines_and_value(data in prop::collection::vec(any::<u8>(), 0..600)) {
        let enc = encode::base64(&data);
        let s = std::str::from_utf8(&enc).unwrap();
        for line in s.split_terminator("\r\n") {
            prop_assert!(line.len() <= 76);
        }
        prop_assert!(!s.replace("\r\n", "").contains(['\r', '\n']));
        prop_assert_eq!(b64_decode(&enc), data);
    }

    #[test]
    fn quoted_printable_rules(data in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        "[a-zA-Z =\\t\\n.]{0,400}".prop_map(String::into_bytes),
        "(From [a-z]{0,5}\\n){0,4}".prop_map(String::into_bytes),
    ]) {
        let enc = encode::quoted_printable(&data);
        let s = std::str::from_utf8(&enc).unwrap();
        for line in s.split("\r\n") {
            prop_assert!(line.len() <= 76, "{:?}", line);
            prop_assert!(!line.ends_with(' ') && !line.ends_with('\t'), "{:?}", line);
            prop_assert!(line.bytes().all(|b| (33..=126).contains(&b) || b == b' ' || b == b'\t'));
            prop_assert!(!line.starts_with("From "));
        }
        // Line breaks become CRLF; everything else comes back.
        let mut want = Vec::new();
        for (i, &b) in data.iter().enumerate() {
            if b == b'\r' && data.get(i + 1) == Some(&b'\n') {
                continue;
            }
            if b == b'\n' {
                want.extend_from_slice(b"\r\n");
            } else {
                want.push(b);
            }
        }
        prop_assert_eq!(qp_decode(&enc), want);
    }

    #[test]
    fn chosen_encoding_round_trips(data in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        ".{0,300}".prop_map(String::into_bytes),
        "[a-z\\n]{0,2000}".prop_map(String::into_bytes),
    ], is_text in any::<bool>()) {
        let te = choose_transfer_encoding(&data, is_text);
        let enc = encode::encode_body(&te, &data, is_text);
        let canonical = if is_text { crlf(&data) } else { data.clone() };
        match te {
            TransferEncoding::SevenBit => {
                prop_assert!(enc.iter().all(|&b| b < 128 && b != 0));
                for line in enc.split(|&b| b == b'\n') {
                    prop_assert!(line.len() <= 999);
                }
                prop_assert_eq!(enc, canonical);
            }
            TransferEncoding::QuotedPrintable => {
                prop_assert!(is_text);
                prop_assert_eq!(qp_decode(&enc), canonical);
            }
            TransferEncoding::Base64 => prop_assert_eq!(b64_decode(&enc), data),
            other => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    /// Folding never changes the unfolded value, keeps lines within 78 (76 with encoded
    /// words) when the pieces allow, and never passes 998.
    #[test]
    fn unstructured_folds_losslessly(value in prop_oneof![
        "[a-zA-Z0-9,.!?é ]{0,400}",
        prop::collection::vec("[a-zA-Z0-9,.!?é]{1,15}", 0..40).prop_map(|w| w.join(" ")),
    ]) {
        let value = value.trim().to_owned();
        let field = encode::unstructured("Subject", &value).unwrap();
        prop_assert!(field.ends_with("\r\n"));
        let body = &field[..field.len() - 2];
        // Folding happens only before single spaces: with those only, every line fits in 78.
        let limit = if value.contains("  ") { 998 } else { 78 };
        for (i, line) in body.split("\r\n").enumerate() {
            prop_assert!(line.len() <= limit, "{:?}", line);
            if i > 0 {
                prop_assert!(line.starts_with(' ') || line.starts_with('\t'));
                prop_assert!(!line.trim().is_empty());
            }
        }
        // Decode: unfold, then decode encoded words (adjacent ones joined).
        let unfolded = body.replace("\r\n", "");
        let v = unfolded.strip_prefix("Subject:").unwrap().trim_start();
        let mut out = String::new();
        let mut prev_ew = false;
        let mut pending_ws = String::new();
        for tok in v.split_inclusive(' ') {
            let (word, ws) = match tok.strip_suffix(' ') { Some(w) => (w, " "), None => (tok, "") };
            if word.is_empty() { pending_ws.push_str(ws); continue; }
            let is_ew = word.starts_with("=?") && word.ends_with("?=");
            if !(is_ew && prev_ew) { out.push_str(&pending_ws); }
            pending_ws.clear();
            if is_ew {
                out.push_str(&String::from_utf8(ew_decode(word)).unwrap());
            } else {
                out.push_str(word);
            }
            pending_ws.push_str(ws);
            prev_ew = is_ew;
        }
        prop_assert_eq!(out, value);
    }

    #[test]
    fn parameters_decode_back(value in prop_oneof!["[^\\r\\n]{0,150}", "[a-z]{0,200}", "[ -~]{0,100}"]) {
        let segs = parameter("filename", &value).unwrap();
        for s in &segs {
            prop_assert!(s.len() <= 76, "{}", s);
            prop_assert!(s.is_ascii());
        }
        // Decode RFC 2231: join continuations in order, percent-decode extended ones.
        let mut bytes = Vec::new();
        for (i, s) in segs.iter().enumerate() {
            let (name, v) = s.split_once('=').unwrap();
            let extended = name.ends_with('*');
            if segs.len() > 1 {
                let numbered = name.starts_with(&format!("filename*{i}"));
                prop_assert!(numbered);
            }
            let v = if extended && i == 0 { v.strip_prefix("utf-8''").unwrap() } else { v };
            if extended {
                let mut j = 0;
                let b = v.as_bytes();
                while j < b.len() {
                    if b[j] == b'%' { bytes.push(hex(b[j + 1], b[j + 2])); j += 3; } else { bytes.push(b[j]); j += 1; }
                }
            } else if let Some(q) = v.strip_prefix('"') {
                let q = q.strip_suffix('"').unwrap();
                let mut esc = false;
                for c in q.bytes() {
                    if esc { bytes.push(c); esc = false; } else if c == b'\\' { esc = true; } else { bytes.push(c); }
                }
            } else {
                bytes.extend_from_slice(v.as_bytes());
            }
        }
        prop_assert_eq!(String::from_utf8(bytes).unwrap(), value);
    }

    /// CR or LF anywhere in a value is refused by every writer.
    #[test]
    fn line_breaks_are_refused(prefix in "[a-zé ]{0,20}", brk in prop_oneof![Just("\r"), Just("\n"), Just("\r\n"), Just("\r\nBcc: evil@example.com")], suffix in "[a-z ]{0,20}") {
        let v = format!("{prefix}{brk}{suffix}");
        let is_lb = |r: Result<String, EncodeError>| matches!(r, Err(EncodeError::LineBreak { .. }));
        prop_assert!(is_lb(encode::unstructured("Subject", &v)));
        prop_assert!(is_lb(encode::display_name(&v)));
        prop_assert!(is_lb(encode::addr_spec(&v, "example.com")));
        prop_assert!(is_lb(encode::addr_spec("a", &v)));
        let p = matches!(parameter("name", &v), Err(EncodeError::LineBreak { .. }));
        prop_assert!(p);
        let mut f = FieldWriter::new("X-Test").unwrap();
        let w = matches!(f.push(" ", &v), Err(EncodeError::LineBreak { .. }));
        prop_assert!(w);
    }
}

#[test]
fn display_names_quote_specials() {
    for (name, want) in [
        ("Joe Q. Public", "\"Joe Q. Public\""),
        ("Mary Smith", "Mary Smith"),
        ("Giant; \"Big\" Box", r#""Giant; \"Big\" Box""#),
        ("a\\b", r#""a\\b""#),
        ("Pete(A nice \\) chap)", r#""Pete(A nice \\) chap)""#),
        ("<admin@example.com>", "\"<admin@example.com>\""),
        ("two  spaces", "\"two  spaces\""),
    ] {
        assert_eq!(encode::display_name(name).unwrap(), want, "{name}");
    }
    assert!(
        encode::display_name("=?utf-8?q?x?=")
            .unwrap()
            .starts_with("=?utf-8?")
    );
}

#[test]
fn folding_at_address_commas() {
    let mut f = FieldWriter::new("To").unwrap();
    for i in 0..8 {
        let sep = " ";
        let text = if i < 7 {
            format!("user{i}@example.com,")
        } else {
            format!("user{i}@example.com")
        };
        f.push(sep, &text).unwrap();
    }
    let s = f.finish();
    for line in s.trim_end().split("\r\n") {
        assert!(line.len() <= 78);
        assert!(
            line.ends_with(',') || line.ends_with("user7@example.com"),
            "{line}"
        );
    }
}
