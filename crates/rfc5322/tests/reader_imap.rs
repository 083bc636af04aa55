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
use rfc5322::imap::{EnvelopeAddress, write_envelope};

const ALT: &str = "From: =?utf-8?q?J=C3=B6rg?= <j@example.com>\r\n\
To: Team: a@example.com, \"B\" <b@example.com>;\r\n\
Subject: =?utf-8?q?caf=C3=A9?=\r\n\
Date: Tue, 1 Jul 2003 10:52:37 +0200\r\n\
Message-ID: <m1@example.com>\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=outer\r\n\
\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=alt\r\n\
\r\n\
--alt\r\n\
Content-Type: text/plain; charset=utf-8; format=flowed\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
Hello =C3=A9=20\r\n\
world\r\n\
--alt\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>Hello</p>\r\n\
--alt--\r\n\
--outer\r\n\
Content-Type: application/pdf; name=\"x.pdf\"\r\n\
Content-Disposition: attachment; filename*=utf-8''r%C3%A9sum%C3%A9.pdf\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
JVBERi0=\r\n\
--outer--\r\n";

#[test]
fn bodies_and_attachments() {
    let msg = Message::parse(ALT.as_bytes().to_vec()).unwrap();
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
    let msg = Message::parse(ALT.as_bytes().to_vec()).unwrap();
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
    let mut out = Vec::new();
    write_envelope(&mut out, &e);
    assert_eq!(
        String::from_utf8(out).unwrap(),
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
    let msg = Message::parse(ALT.as_bytes().to_vec()).unwrap();
    let mut out = Vec::new();
    msg.root().write_imap_bodystructure(false, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "(((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\" \"FORMAT\" \"flowed\") NIL NIL \"QUOTED-PRINTABLE\" 22 2)\
(\"TEXT\" \"HTML\" (\"CHARSET\" \"utf-8\") NIL NIL \"7BIT\" 12 1) \"ALTERNATIVE\")\
(\"APPLICATION\" \"PDF\" (\"NAME\" \"x.pdf\") NIL NIL \"BASE64\" 8) \"MIXED\")"
    );
    let mut out = Vec::new();
    msg.imap_part(&[2])
        .unwrap()
        .write_imap_bodystructure(true, &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "(\"APPLICATION\" \"PDF\" (\"NAME\" \"x.pdf\") NIL NIL \"BASE64\" 8 NIL (\"ATTACHMENT\" (\"FILENAME\" {12}\r\nrésumé.pdf)) NIL NIL)"
    );
}

#[test]
fn bodystructure_of_enclosed_message_and_lf_sizes() {
    for (raw, crlf) in [
        (to_lf(&data("mail-parser/eml/rfc/002.eml")), false),
        (to_crlf(&data("mail-parser/eml/rfc/002.eml")), true),
    ] {
        let msg = Message::parse(raw).unwrap();
        let mut a = Vec::new();
        msg.root().write_imap_bodystructure(true, &mut a);
        let s = String::from_utf8_lossy(&a).into_owned();
        assert!(
            s.starts_with("((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"us-ascii\") NIL NIL \"7BIT\" "),
            "{s}"
        );
        assert!(
            s.contains("(\"MESSAGE\" \"RFC822\" NIL NIL NIL \"7BIT\" "),
            "{s}"
        );
        assert!(s.contains("\"IMAGE\" \"GIF\""), "{s}");
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
