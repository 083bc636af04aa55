//! IMAP section numbers and the bytes of each section form, against every `body.peek[...]`
//! expectation of imaptest's `fetch-body-message-rfc822`, `fetch-body-message-rfc822-mime`
//! and `fetch-body-message-rfc822-x2` scripts, byte for byte, in LF and CRLF form; then
//! message/global by IMAP revision and a multipart without body parts.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used
)]

mod common;
use common::*;
use rfc5322::mbox::MboxReader;
use rfc5322::{ImapRevision, Message};

/// One `ok fetch 1 (body.peek[SECTION])` command of a script and the literal it expects.
struct Expectation {
    section: String,
    literal: Vec<u8>,
}

/// Reads the expectations of an imaptest script: after the `key: value` header and its
/// blank line, a command line, then `* 1 fetch (body[SECTION] {{{`, the literal's lines, and
/// `}}})`. The literal is the text between the line break after `{{{` and the one before
/// `}}}`.
fn expectations(script: &str) -> Vec<Expectation> {
    let (_, commands) = script.split_once("\n\n").unwrap();
    let mut out = Vec::new();
    let mut lines = commands.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("ok fetch 1 (body.peek[") else {
            assert!(line.is_empty(), "unexpected script line {line:?}");
            continue;
        };
        let section = rest.strip_suffix("])").unwrap().to_owned();
        let reply = lines.next().unwrap();
        assert_eq!(reply, format!("* 1 fetch (body[{section}] {{{{{{"));
        let mut literal: Vec<&str> = Vec::new();
        for l in lines.by_ref() {
            if l == "}}})" {
                break;
            }
            literal.push(l);
        }
        out.push(Expectation {
            section,
            literal: literal.join("\n").into_bytes(),
        });
    }
    out
}

/// The one message of a script's mbox, its `From ` line removed.
fn mbox_message(name: &str) -> Vec<u8> {
    let mbox = data(&format!("imaptest/{name}.mbox"));
    assert_eq!(MboxReader::new(&mbox).count(), 1, "{name}");
    let (from_line, message) = mbox.split_at(mbox.iter().position(|&b| b == b'\n').unwrap() + 1);
    assert!(from_line.starts_with(b"From "));
    message.to_vec()
}

/// The bytes a section names: `1.2.MIME` is part 1.2's MIME header, `1.header.fields (a
/// b)` the fields a and b of part 1's message, `text` the message's body.
fn fetch(msg: &Message, section: &str) -> Option<Vec<u8>> {
    let (spec, names) = match section.split_once(" (") {
        Some((s, list)) => (s, list.strip_suffix(')').unwrap().split(' ').collect()),
        None => (section, Vec::new()),
    };
    let mut path = Vec::new();
    let mut form = String::new();
    for (i, piece) in spec.split('.').enumerate() {
        match piece.parse::<u32>() {
            Ok(n) if form.is_empty() => path.push(n),
            _ => {
                form = spec
                    .split('.')
                    .skip(i)
                    .collect::<Vec<_>>()
                    .join(".")
                    .to_ascii_uppercase();
                break;
            }
        }
    }
    let part = msg.imap_section(&path, ImapRevision::Imap4rev1)?;
    let bytes = match form.as_str() {
        "" => part.whole().to_vec(),
        "HEADER" => part.header()?.to_vec(),
        "TEXT" => part.text()?.to_vec(),
        "MIME" => part.mime()?.to_vec(),
        "HEADER.FIELDS" => part.header_fields(&names)?,
        "HEADER.FIELDS.NOT" => part.header_fields_not(&names)?,
        other => panic!("unknown section form {other}"),
    };
    Some(bytes)
}

fn run_script(name: &str, count: usize) {
    let script = String::from_utf8(data(&format!("imaptest/{name}"))).unwrap();
    let exps = expectations(&script);
    assert_eq!(exps.len(), count, "{name}");
    let message = mbox_message(name);
    for (raw, want) in [
        (message.clone(), &to_lf as &dyn Fn(&[u8]) -> Vec<u8>),
        (to_crlf(&message), &to_crlf),
    ] {
        let msg = Message::parse(raw).unwrap();
        for e in &exps {
            let got = fetch(&msg, &e.section).unwrap_or_else(|| panic!("{name}: no {}", e.section));
            assert_eq!(
                String::from_utf8(got).unwrap(),
                String::from_utf8(want(&e.literal)).unwrap(),
                "{name}: body[{}]",
                e.section
            );
        }
    }
}

#[test]
fn imaptest_fetch_body_message_rfc822() {
    run_script("fetch-body-message-rfc822", 8);
}

#[test]
fn imaptest_fetch_body_message_rfc822_mime() {
    run_script("fetch-body-message-rfc822-mime", 13);
}

#[test]
fn imaptest_fetch_body_message_rfc822_x2() {
    run_script("fetch-body-message-rfc822-x2", 9);
}

/// The sections are slices of the input, and numbers past the tree name nothing.
#[test]
fn sections_are_slices_of_the_input() {
    let raw = bytes::Bytes::from(mbox_message("fetch-body-message-rfc822-mime"));
    let msg = Message::parse(raw.clone()).unwrap();
    let rev1 = ImapRevision::Imap4rev1;
    let whole = msg.imap_section(&[], rev1).unwrap().whole();
    assert_eq!(whole.as_ptr(), raw.as_ptr());
    let p12 = msg.imap_section(&[1, 2], rev1).unwrap();
    let text = p12.text().unwrap();
    let at = text.as_ptr() as usize - raw.as_ptr() as usize;
    assert_eq!(&raw[at..at + text.len()], b"m2 body\n");
    assert_eq!(
        p12.message().unwrap().subject().as_deref(),
        Some("m2"),
        "the enclosed message of part 1.2"
    );
    assert!(p12.part().unwrap().content_type().is("message", "rfc822"));
    assert!(msg.imap_section(&[], rev1).unwrap().mime().is_none());
    // 1.2.1 is the enclosed message's body; it has no part 1.2.1.1 nor 1.2.2.
    assert_eq!(
        &msg.imap_section(&[1, 2, 1], rev1).unwrap().whole()[..],
        b"m2 body\n"
    );
    for path in [&[2][..], &[0], &[1, 3], &[1, 2, 2], &[1, 2, 1, 1], &[1, 0]] {
        assert!(msg.imap_section(path, rev1).is_none(), "{path:?}");
    }
    // A leaf part has no HEADER or TEXT.
    let leaf = msg.imap_section(&[1, 2, 1], rev1).unwrap();
    assert!(leaf.header().is_none() && leaf.text().is_none());
    assert!(leaf.header_fields(&["subject"]).is_none());
    // imap_part agrees with the section's part.
    assert_eq!(
        msg.imap_part(&[1, 2]).unwrap().id(),
        p12.part().unwrap().id()
    );
    assert_eq!(msg.imap_part(&[1]).unwrap().id(), msg.root().id());
}

/// message/global encloses a message in IMAP4rev2 only (RFC 9051 section 7.5.2).
#[test]
fn message_global_by_revision() {
    let raw = b"Subject: outer\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: message/global\r\n\r\nSubject: inner\r\n\r\nhello\r\n--b--\r\n";
    let msg = Message::parse(&raw[..]).unwrap();
    let rev1 = msg.imap_section(&[1], ImapRevision::Imap4rev1).unwrap();
    assert_eq!(&rev1.whole()[..], b"Subject: inner\r\n\r\nhello");
    assert!(rev1.header().is_none() && rev1.text().is_none());
    assert!(msg.imap_section(&[1, 1], ImapRevision::Imap4rev1).is_none());
    let rev2 = msg.imap_section(&[1], ImapRevision::Imap4rev2).unwrap();
    assert_eq!(&rev2.whole()[..], b"Subject: inner\r\n\r\nhello");
    assert_eq!(&rev2.header().unwrap()[..], b"Subject: inner\r\n\r\n");
    assert_eq!(&rev2.text().unwrap()[..], b"hello");
    assert_eq!(
        &rev2.mime().unwrap()[..],
        b"Content-Type: message/global\r\n\r\n"
    );
    assert_eq!(
        rev2.header_fields(&["SUBJECT"]).unwrap(),
        b"Subject: inner\r\n\r\n"
    );
    assert_eq!(rev2.header_fields_not(&["subject"]).unwrap(), b"\r\n");
    let inner = msg.imap_section(&[1, 1], ImapRevision::Imap4rev2).unwrap();
    assert_eq!(&inner.whole()[..], b"hello");
    // message/rfc822 encloses in both.
    let raw = b"Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhello";
    let msg = Message::parse(&raw[..]).unwrap();
    for rev in [ImapRevision::Imap4rev1, ImapRevision::Imap4rev2] {
        assert_eq!(
            &msg.imap_section(&[1, 1], rev).unwrap().whole()[..],
            b"hello"
        );
    }
}

/// A multipart with no body part holds one empty text/plain part, as Dovecot shows it.
#[test]
fn multipart_without_body_parts() {
    let raw =
        b"Subject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\nno delimiter here\r\n";
    let msg = Message::parse(&raw[..]).unwrap();
    let rev = ImapRevision::Imap4rev1;
    let one = msg.imap_section(&[1], rev).unwrap();
    assert!(one.part().is_none());
    assert_eq!(&one.whole()[..], b"");
    assert_eq!(&one.mime().unwrap()[..], b"");
    assert!(one.header().is_none());
    assert!(msg.imap_section(&[2], rev).is_none());
    assert!(msg.imap_section(&[1, 1], rev).is_none());
    // Its BODYSTRUCTURE, written by imap-proto, is tested there (tests/rfc5322_views.rs).
    // Also as part 2 of a message, and a close delimiter alone.
    let raw = b"Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n\r\na\r\n--o\r\n\
Content-Type: multipart/alternative; boundary=i\r\n\r\n--i--\r\n--o--\r\n";
    let msg = Message::parse(&raw[..]).unwrap();
    let p21 = msg.imap_section(&[2, 1], rev).unwrap();
    assert!(p21.part().is_none());
    assert_eq!(&p21.whole()[..], b"");
    assert!(msg.imap_section(&[2, 2], rev).is_none());
}
