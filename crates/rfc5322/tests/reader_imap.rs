//! Reader conveniences and IMAP views.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used
)]

mod common;
use common::*;
use rfc5322::Message;
use rfc5322::imap::EnvelopeAddress;

/// A multipart/mixed with a multipart/alternative, an attachment with an RFC 2231 name,
/// encoded words and a group (also read by imap-proto's tests/rfc5322_views.rs).
fn alt() -> Vec<u8> {
    data("reader-imap/alt.eml")
}

#[test]
fn bodies_and_attachments() {
    let msg = Message::parse(alt()).unwrap();
    assert_eq!(msg.text_body().unwrap(), "Hello é world\n");
    assert_eq!(msg.html_body().unwrap(), "<p>Hello</p>");
    let att = msg.attachments();
    assert_eq!(att.len(), 1);
    assert_eq!(att[0].filename().unwrap(), "résumé.pdf");
    assert_eq!(&att[0].decoded_body()[..], b"%PDF-");
    assert_eq!(msg.root().subject().unwrap(), "café");
    assert_eq!(
        msg.root().from()[0].mailboxes()[0].name.as_deref(),
        Some("Jörg")
    );
    assert!(msg.defects().is_empty());
}

#[test]
fn envelope_keeps_encoded_words_and_marks_groups() {
    let msg = Message::parse(alt()).unwrap();
    let e = msg.root().envelope();
    assert_eq!(e.subject.as_deref(), Some("=?utf-8?q?caf=C3=A9?="));
    assert_eq!(e.from[0].name.as_deref(), Some("=?utf-8?q?J=C3=B6rg?="));
    assert_eq!(e.sender, e.from);
    assert_eq!(e.reply_to, e.from);
    assert_eq!(
        e.to,
        vec![
            EnvelopeAddress {
                mailbox: Some("Team".into()),
                ..Default::default()
            },
            EnvelopeAddress {
                name: None,
                adl: None,
                mailbox: Some("a".into()),
                host: Some("example.com".into())
            },
            EnvelopeAddress {
                name: Some("B".into()),
                adl: None,
                mailbox: Some("b".into()),
                host: Some("example.com".into())
            },
            EnvelopeAddress::default(),
        ]
    );
    // Its IMAP form is written by imap-proto (tests/rfc5322_views.rs there).
}

#[test]
fn enclosed_message_and_lf_sizes() {
    for (raw, crlf) in [
        (to_lf(&data("mail-parser/eml/rfc/002.eml")), false),
        (to_crlf(&data("mail-parser/eml/rfc/002.eml")), true),
    ] {
        let msg = Message::parse(raw).unwrap();
        // Sizes are CRLF octets whichever way the message is stored.
        let p = msg.imap_part(&[1]).unwrap();
        assert_eq!(
            p.body_size_crlf(),
            p.raw_body().len() + if crlf { 0 } else { p.body_lines() - 1 }
        );
        let enc = msg.imap_part(&[2]).unwrap();
        let inner = enc.children().next().unwrap();
        assert_eq!(
            inner.envelope().subject.as_deref(),
            Some("Map of Argentina with Description")
        );
    }
}

#[test]
fn mime_fields() {
    let raw = b"MIME-Version: 1.0 (generated)\r\nContent-Type: text/plain\r\nContent-ID: <part1@example.com>\r\n\
Content-Description: =?utf-8?q?r=C3=A9sum=C3=A9?=\r\nContent-Language: en, de\r\n\
Content-Location: http://example.com/\r\n a/b.txt\r\n\r\nx";
    let msg = Message::parse(&raw[..]).unwrap();
    let r = msg.root();
    assert_eq!(r.mime_version(), Some((1, 0)));
    assert_eq!(r.content_id().as_deref(), Some("part1@example.com"));
    assert_eq!(r.content_description().as_deref(), Some("résumé"));
    assert_eq!(r.content_language(), vec!["en", "de"]);
    assert_eq!(
        r.content_location().as_deref(),
        Some("http://example.com/a/b.txt")
    );
    let f = r.body_fields();
    assert_eq!(f.id.as_deref(), Some("<part1@example.com>"));
    assert_eq!(f.language, vec!["en", "de"]);
    assert_eq!(f.lines, Some(1));
}
