//! Property tests of the parser: any folding of a field, any split of encoded words, RFC 2231
//! sections and base64 lines, multipart bodies in LF and CRLF form, and arbitrary input.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used
)]

use proptest::prelude::*;
use rfc5322::decode::{base64, encoded_word};
use rfc5322::{Message, PartKind};

fn b64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in data.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= c.len() {
                out.push(A[(n >> (18 - 6 * k)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A field folded before any of its spaces (CRLF or LF) is one field, and unfolding gives
    /// the value back (RFC 5322 section 2.2.3).
    #[test]
    fn any_folding_unfolds_to_the_value(
        words in prop::collection::vec("[!-~]{1,12}", 1..12),
        seps in prop::collection::vec(prop_oneof![Just(" "), Just("  "), Just("\t"), Just(" \t")], 12),
        folds in prop::collection::vec(any::<bool>(), 12),
        crlf in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut value = String::new();
        let mut wire = String::new();
        for (i, w) in words.iter().enumerate() {
            if i > 0 {
                value.push_str(seps[i]);
                if folds[i] {
                    wire.push_str(nl);
                }
                wire.push_str(seps[i]);
            }
            value.push_str(w);
            wire.push_str(w);
        }
        let raw = format!("X-Test: {wire}{nl}Other: x{nl}{nl}body");
        let msg = Message::parse(raw.clone().into_bytes()).unwrap();
        prop_assert_eq!(msg.fields().count(), 2);
        let f = msg.field("x-test").unwrap();
        prop_assert_eq!(f.unfolded().into_owned(), format!(" {value}").into_bytes());
        prop_assert_eq!(f.is_folded(), folds.iter().skip(1).take(words.len() - 1).any(|&b| b));
        // Unstructured text: unfolded and trimmed (no encoded word in the alphabet above can
        // be complete with its spaces, but "=?" may occur: compare only without it).
        if !value.contains("=?") {
            prop_assert_eq!(f.text(), value.trim_matches([' ', '\t']));
        }
        prop_assert_eq!(msg.to_vec(), raw.into_bytes());
    }

    /// Text split into B encoded words at any byte (even inside a UTF-8 sequence) decodes
    /// back whole: adjacent words of one charset are joined before decoding.
    #[test]
    fn encoded_words_split_anywhere(text in "[a-zé日😀 ]{1,40}", cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4), fold in any::<bool>()) {
        let bytes = text.as_bytes();
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len())).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        points.dedup();
        let words: Vec<String> = points
            .windows(2)
            .map(|w| format!("=?UTF-8?B?{}?=", b64(&bytes[w[0]..w[1]])))
            .collect();
        let sep = if fold { "\r\n " } else { " " };
        let raw = words.join(sep);
        let got = encoded_word::decode_unstructured(raw.as_bytes(), &mut Vec::new(), 0);
        // White space decoded from the words is content (RFC 2047 section 5(1)).
        prop_assert_eq!(got, text);
    }

    /// A parameter split into RFC 2231 sections at any point, percent-encoded, comes back.
    #[test]
    fn rfc2231_sections_join(value in "[a-zA-Z0-9é日 ;\"'%*]{1,40}", cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..5)) {
        let enc: String = value.bytes().map(|b| format!("%{b:02X}")).collect();
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(value.len()) * 3).collect();
        points.push(0);
        points.push(enc.len());
        points.sort_unstable();
        points.dedup();
        let mut field = String::from("Content-Type: text/plain");
        for (i, w) in points.windows(2).enumerate() {
            let prefix = if i == 0 { "utf-8'en'" } else { "" };
            field.push_str(&format!(";\r\n name*{i}*={prefix}{}", &enc[w[0]..w[1]]));
        }
        let msg = Message::parse(format!("{field}\r\n\r\n").into_bytes()).unwrap();
        let ct = msg.root().content_type();
        prop_assert_eq!(ct.param("name"), Some(value.as_str()));
        prop_assert_eq!(ct.params[0].language.as_deref(), Some("en"));
    }

    /// Base64 wrapped at any line length, with CRLF or LF, decodes to the data.
    #[test]
    fn base64_any_wrapping(data in prop::collection::vec(any::<u8>(), 0..400), width in 1usize..100, crlf in any::<bool>()) {
        let enc = b64(&data);
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut wrapped = String::new();
        for (i, c) in enc.chars().enumerate() {
            if i > 0 && i % width == 0 {
                wrapped.push_str(nl);
            }
            wrapped.push(c);
        }
        wrapped.push_str(nl);
        let (out, report) = base64::decode(wrapped.as_bytes());
        prop_assert_eq!(out, data);
        prop_assert_eq!(report.bad_chars, 0);
        prop_assert!(!report.bad_padding);
    }

    /// Multipart bodies come back exactly, in LF and CRLF form, with preamble and epilogue.
    #[test]
    fn multipart_bodies_round_trip(
        bodies in prop::collection::vec("[a-z \\-\n]{0,60}", 1..6),
        preamble in "[a-z ]{0,20}",
        epilogue in "[a-z ]{0,20}",
        crlf in any::<bool>(),
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let fix = |s: &str| s.replace('\n', nl);
        let mut raw = format!("Content-Type: multipart/mixed; boundary=\"=_b\"{nl}{nl}{preamble}{nl}");
        for b in &bodies {
            raw.push_str(&format!("--=_b{nl}Content-Type: text/plain{nl}{nl}{}{nl}", fix(b)));
        }
        raw.push_str(&format!("--=_b--{nl}{epilogue}"));
        let msg = Message::parse(raw.clone().into_bytes()).unwrap();
        let root = msg.root();
        prop_assert_eq!(root.kind(), PartKind::Multipart);
        prop_assert!(root.defects().is_empty(), "{:?}", root.defects());
        let kids: Vec<_> = root.children().collect();
        prop_assert_eq!(kids.len(), bodies.len());
        for (k, b) in kids.iter().zip(&bodies) {
            let want = fix(b);
            prop_assert_eq!(k.raw_body(), want.as_bytes());
        }
        prop_assert_eq!(root.preamble(), preamble.as_bytes());
        prop_assert_eq!(root.epilogue().unwrap(), epilogue.as_bytes());
        prop_assert_eq!(msg.to_vec(), raw.into_bytes());
    }

    /// Arbitrary bytes parse, every accessor answers, and the input re-serialises.
    #[test]
    fn arbitrary_input(data in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        "([A-Za-z-]{1,10}:[ -~]{0,30}\r?\n( [ -~]{0,20}\r?\n)?){0,8}\r?\n(--b(--)?\r?\n|[ -~]{0,40}\r?\n){0,10}"
            .prop_map(|s| format!("Content-Type: multipart/mixed; boundary=b\r\n{s}").into_bytes()),
    ]) {
        let msg = Message::parse(data.clone()).unwrap();
        prop_assert_eq!(msg.to_vec(), data);
        for p in msg.parts() {
            let _ = (p.body_text(), p.all_defects(), p.envelope(), p.body_fields(), p.filename());
            for f in p.fields() {
                let _ = (f.text(), f.addresses(8), f.date(), f.message_ids(), f.content_type());
            }
        }
        let _ = (msg.text_body(), msg.html_body(), msg.attachments());
    }
}
