//! rfc5322's ENVELOPE and BODYSTRUCTURE views written on the wire by this crate (feature
//! `rfc5322`): the IMAP output tests that lived in rfc5322 before its writers moved here
//! (same inputs, same expected octets), message/global by revision, and a proptest that any
//! message's structure, in either revision, is written and parsed back the same.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::num::NonZeroU32;

use bytes::Bytes;
use imap_proto::codec::{ParseOptions, Parsed, encode_response, parse_response};
use imap_proto::rfc5322::{body_structure, envelope};
use imap_proto::{Data, FetchItem, Mode, Response};
use proptest::prelude::*;
use rfc5322::{Message, Part};

/// rfc5322's `tests/reader_imap.rs` message: a multipart/mixed with a multipart/alternative,
/// an attachment with an RFC 2231 name, encoded words and a group.
fn alt() -> Vec<u8> {
    rfc5322_data("reader-imap/alt.eml")
}

/// `* 1 FETCH (item)` written in `mode`, parsed back strictly in `mode` to the same item;
/// returns the item's octets (what follows `NAME `, without the closing parenthesis).
fn written(item: FetchItem, mode: Mode) -> String {
    let response = Response::Data(Data::Fetch {
        seq: NonZeroU32::MIN,
        items: vec![item.clone()],
    });
    let mut wire = Vec::new();
    encode_response(&response, mode, &mut wire).unwrap();
    let back = parse_response(&Bytes::from(wire.clone()), ParseOptions::strict(mode));
    let Ok(Parsed::Complete {
        value: Response::Data(Data::Fetch { items, .. }),
        consumed,
    }) = back
    else {
        panic!("{back:?}")
    };
    assert_eq!((items, consumed), (vec![item], wire.len()));
    let text = String::from_utf8(wire).unwrap();
    let inner = text
        .strip_prefix("* 1 FETCH (")
        .and_then(|t| t.strip_suffix(")\r\n"))
        .unwrap();
    inner.split_once(' ').unwrap().1.to_owned()
}

fn body(part: &Part<'_>, extended: bool, mode: Mode) -> String {
    let structure = Box::new(body_structure(part, extended, mode));
    if extended {
        written(FetchItem::BodyStructure(structure), mode)
    } else {
        written(FetchItem::Body(structure), mode)
    }
}

#[test]
fn envelope_keeps_encoded_words_and_marks_groups() {
    let msg = Message::parse(alt()).unwrap();
    let e = envelope(&msg.root().envelope());
    assert_eq!(
        written(FetchItem::Envelope(Box::new(e)), Mode::REV1),
        "(\"Tue, 1 Jul 2003 10:52:37 +0200\" \"=?utf-8?q?caf=C3=A9?=\" \
((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"example.com\")) \
((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"example.com\")) \
((\"=?utf-8?q?J=C3=B6rg?=\" NIL \"j\" \"example.com\")) \
((NIL NIL \"Team\" NIL)(NIL NIL \"a\" \"example.com\")(\"B\" NIL \"b\" \"example.com\")(NIL NIL NIL NIL)) \
NIL NIL NIL \"<m1@example.com>\")"
    );
}

#[test]
fn bodystructure() {
    let msg = Message::parse(alt()).unwrap();
    assert_eq!(
        body(&msg.root(), false, Mode::REV1),
        "(((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\" \"FORMAT\" \"flowed\") NIL NIL \"QUOTED-PRINTABLE\" 22 2)\
(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 12 1) \"ALTERNATIVE\")\
(\"APPLICATION\" \"PDF\" (\"NAME\" \"x.pdf\") NIL NIL \"BASE64\" 8) \"MIXED\")"
    );
    let pdf = msg.imap_part(&[2]).unwrap();
    // 8-bit: a literal under IMAP4rev1, a quoted UTF-8 string under IMAP4rev2.
    assert_eq!(
        body(&pdf, true, Mode::REV1),
        "(\"APPLICATION\" \"PDF\" (\"NAME\" \"x.pdf\") NIL NIL \"BASE64\" 8 NIL (\"ATTACHMENT\" (\"FILENAME\" {12}\r\nrésumé.pdf)) NIL NIL)"
    );
    assert_eq!(
        body(&pdf, true, Mode::REV2),
        "(\"APPLICATION\" \"PDF\" (\"NAME\" \"x.pdf\") NIL NIL \"BASE64\" 8 NIL (\"ATTACHMENT\" (\"FILENAME\" \"résumé.pdf\")) NIL NIL)"
    );
}

/// rfc5322's test data (mail-parser's corpus, with its licence there).
fn rfc5322_data(path: &str) -> Vec<u8> {
    let dir = env!("CARGO_MANIFEST_DIR");
    std::fs::read(format!("{dir}/../rfc5322/tests/data/{path}")).unwrap()
}

#[test]
fn bodystructure_of_an_enclosed_message_lf_and_crlf() {
    let raw = rfc5322_data("mail-parser/eml/rfc/002.eml");
    let crlf = raw
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect::<Vec<_>>()
        .join(&b"\r\n"[..]);
    let lf = crlf
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect::<Vec<_>>()
        .join(&b"\n"[..]);
    let mut seen = Vec::new();
    for raw in [lf, crlf] {
        let msg = Message::parse(raw).unwrap();
        let s = body(&msg.root(), true, Mode::REV1);
        assert!(
            s.starts_with("((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "),
            "{s}"
        );
        assert!(
            s.contains("(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" "),
            "{s}"
        );
        assert!(s.contains("\"IMAGE\" \"GIF\""), "{s}");
        seen.push(s);
    }
    // Sizes are CRLF octets whichever way the message is stored.
    assert_eq!(seen[0], seen[1]);
}

/// A multipart with no body part holds one empty text/plain part, as Dovecot shows it.
#[test]
fn multipart_without_body_parts() {
    let raw =
        b"Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\nno delimiter here\r\n";
    let msg = Message::parse(&raw[..]).unwrap();
    assert_eq!(
        body(&msg.root(), false, Mode::REV1),
        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0) \"MIXED\")"
    );
    assert_eq!(
        body(&msg.root(), true, Mode::REV1),
        "((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"US-ASCII\") NIL NIL \"7BIT\" 0 0 NIL NIL NIL NIL) \
\"MIXED\" (\"BOUNDARY\" \"b\") NIL NIL NIL)"
    );
}

/// An invalid Content-Type is text/plain; us-ascii (RFC 2045 section 5.2).
#[test]
fn invalid_content_types_are_text_plain() {
    for ct in ["inline", "multipart/"] {
        let raw = format!("Content-Type: {ct}\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n");
        let msg = Message::parse(raw.into_bytes()).unwrap();
        assert_eq!(
            body(&msg.root(), false, Mode::REV1),
            "(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 17 4)",
            "{ct}"
        );
    }
}

/// message/global (RFC 6532) is described like message/rfc822 under IMAP4rev2 (RFC 9051
/// `media-message`), and is a basic part under IMAP4rev1 (RFC 3501 `media-message` is RFC822
/// alone); message/rfc822 encloses in both.
#[test]
fn message_global_encloses_in_imap4rev2_only() {
    let global = b"Content-Type: message/global\r\n\r\nSubject: caf\xc3\xa9\r\nFrom: j@example.com\r\n\r\nhello\r\n";
    let msg = Message::parse(&global[..]).unwrap();
    assert_eq!(
        body(&msg.root(), false, Mode::REV1),
        "(\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 46)"
    );
    assert_eq!(
        body(&msg.root(), false, Mode::REV2),
        "(\"MESSAGE\" \"GLOBAL\" NIL NIL NIL \"7BIT\" 46 (NIL \"café\" ((NIL NIL \"j\" \"example.com\")) \
((NIL NIL \"j\" \"example.com\")) ((NIL NIL \"j\" \"example.com\")) NIL NIL NIL NIL NIL) \
(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 7 1) 4)"
    );
    let rfc822 = b"Content-Type: message/rfc822\r\n\r\nSubject: s\r\n\r\nhello\r\n";
    let msg = Message::parse(&rfc822[..]).unwrap();
    for mode in [Mode::REV1, Mode::REV2] {
        assert_eq!(
            body(&msg.root(), false, mode),
            "(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" 21 (NIL \"s\" NIL NIL NIL NIL NIL NIL NIL NIL) \
(\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" 7 1) 3)"
        );
    }
}

/// A NUL in a header (RFC 5322 forbids it) is left out: IMAP strings cannot hold one, and
/// rfc5322's old writer put it inside a literal.
#[test]
fn a_nul_in_a_header_never_reaches_the_wire() {
    let raw = b"Subject: a\0b\r\nContent-Type: text/plain; name=\"x\0y\"\r\n\r\nbody\r\n";
    let msg = Message::parse(&raw[..]).unwrap();
    for mode in [Mode::REV1, Mode::REV2] {
        let env = written(
            FetchItem::Envelope(Box::new(envelope(&msg.root().envelope()))),
            mode,
        );
        assert!(env.starts_with("(NIL \"ab\" "), "{env}");
        let s = body(&msg.root(), true, mode);
        assert!(s.contains("(\"NAME\" \"xy\")"), "{s}");
    }
}

proptest! {
    /// Any input's parts, in either revision, BODY and BODYSTRUCTURE, are written and parsed
    /// back the same (the `written` helper asserts it), and no NUL is ever written.
    #[test]
    fn any_message_is_written_and_read_back(data in prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        "([A-Za-z-]{1,10}:[ -~]{0,30}\r?\n( [ -~]{0,20}\r?\n)?){0,8}\r?\n(--b(--)?\r?\n|[ -~]{0,40}\r?\n){0,10}"
            .prop_map(|s| format!("Content-Type: multipart/mixed; boundary=b\r\n{s}").into_bytes()),
        "(Content-Type: message/(rfc822|global)\r\n\r\n){1,3}(Subject: [ -~]{0,20}\r\n)?\r\n[ -~]{0,20}"
            .prop_map(String::into_bytes),
    ]) {
        let msg = Message::parse(data).unwrap();
        for p in msg.parts() {
            for mode in [Mode::REV1, Mode::REV2] {
                for extended in [false, true] {
                    prop_assert!(!body(&p, extended, mode).contains('\0'));
                }
                let env = written(FetchItem::Envelope(Box::new(envelope(&p.envelope()))), mode);
                prop_assert!(!env.contains('\0'));
            }
        }
    }
}
