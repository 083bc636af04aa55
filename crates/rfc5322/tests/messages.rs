//! Whole messages: mail-parser's RFC messages (offsets, tree, decoded text) and MimeKit's
//! messages, each in LF and CRLF form; byte-for-byte re-serialisation of every one.

#![allow(
    clippy::indexing_slicing,
    clippy::unwrap_used,
    clippy::panic,
    clippy::expect_used,
    clippy::type_complexity,
    clippy::only_used_in_recursion
)]

mod common;
use common::*;
use rfc5322::{Message, Part, PartKind};

const MP_MESSAGES: [&str; 11] = [
    "rfc/000",
    "rfc/001",
    "rfc/002",
    "rfc/003",
    "rfc/004",
    "rfc/005",
    "rfc/006",
    "rfc/007",
    "rfc/008",
    "rfc/009",
    "thirdparty/012",
];

/// Compares one mail-parser message model with our tree (recursing into enclosed messages).
fn compare(msg: &Message, root: Part<'_>, exp: &Json, ctx: &str, errs: &mut Vec<String>) {
    // mail-parser lists the parts of one message flat, in document order; enclosed messages
    // are nested models.
    let mut mine: Vec<Part<'_>> = Vec::new();
    let mut stack = vec![root];
    while let Some(p) = stack.pop() {
        mine.push(p);
        if p.kind() == PartKind::Multipart {
            let kids: Vec<_> = p.children().collect();
            stack.extend(kids.into_iter().rev());
        }
    }
    let parts = exp.get("parts").arr();
    if parts.len() != mine.len() {
        errs.push(format!("{ctx}: {} parts, want {}", mine.len(), parts.len()));
        return;
    }
    for (i, (p, e)) in mine.iter().zip(parts).enumerate() {
        let n = |k: &str| e.get(k).num().unwrap() as usize;
        let got = (p.range().start, p.body_range().start, p.range().end);
        let want = (n("offset_header"), n("offset_body"), n("offset_end"));
        if got != want {
            errs.push(format!("{ctx} part {i}: offsets {got:?}, want {want:?}"));
        }
        let fields: Vec<_> = p
            .fields()
            .map(|f| (f.range().start, f.value_range().start, f.range().end))
            .collect();
        let want_f: Vec<_> = e
            .get("headers")
            .arr()
            .iter()
            .map(|h| {
                let n = |k: &str| h.get(k).num().unwrap() as usize;
                (n("offset_field"), n("offset_start"), n("offset_end"))
            })
            .collect();
        if fields != want_f {
            errs.push(format!(
                "{ctx} part {i}: fields {fields:?}, want {want_f:?}"
            ));
        }
        let body = e.get("body");
        // rfc/000 parts 4 and 5 hold placeholder text labelled base64: mail-parser shows the
        // raw text when base64 decoding fails, we decode what is there and record a defect.
        let placeholder = ctx.starts_with("rfc/000") && (i == 4 || i == 5);
        if placeholder {
            assert!(
                p.all_defects()
                    .iter()
                    .any(|d| d.kind == rfc5322::DefectKind::Base64BadCharacter)
            );
        }
        if let Some(t) = body
            .get("Text")
            .str()
            .or(body.get("Html").str())
            .filter(|_| !placeholder)
        {
            let got = p.body_text();
            if got != t {
                errs.push(format!("{ctx} part {i}: text {got:?}, want {t:?}"));
            }
        }
        if !body.get("Message").is_null() {
            if let Some(m) = p.decode_enclosed_message() {
                compare(
                    &m,
                    m.root(),
                    body.get("Message"),
                    &format!("{ctx}/{i}(decoded)"),
                    errs,
                );
            } else if p.kind() != PartKind::Message {
                errs.push(format!("{ctx} part {i}: not a message part"));
            } else {
                let inner = p.children().next().unwrap();
                compare(msg, inner, body.get("Message"), &format!("{ctx}/{i}"), errs);
            }
        }
        if !body.get("Multipart").is_null() && p.kind() != PartKind::Multipart {
            errs.push(format!("{ctx} part {i}: not multipart"));
        }
    }
}

#[test]
fn mail_parser_rfc_messages_lf_and_crlf() {
    let mut errs = Vec::new();
    for name in MP_MESSAGES {
        let raw = data(&format!("mail-parser/eml/{name}.eml"));
        for (form, bytes, json) in [
            ("lf", to_lf(&raw), "json"),
            ("crlf", to_crlf(&raw), "crlf.json"),
        ] {
            let exp = parse_json(
                &String::from_utf8(data(&format!("mail-parser/eml/{name}.{json}"))).unwrap(),
            );
            let msg = Message::parse(bytes.clone()).unwrap();
            assert_eq!(msg.to_vec(), bytes, "{name} {form}: re-serialisation");
            compare(&msg, msg.root(), &exp, &format!("{name}.{form}"), &mut errs);
        }
    }
    assert!(
        errs.is_empty(),
        "{} mismatches:\n{}",
        errs.len(),
        errs.join("\n")
    );
}

fn mimekit(name: &str) -> Vec<u8> {
    data(&format!("mimekit/messages/{name}"))
}

#[test]
fn mimekit_messages_reserialise_lf_and_crlf() {
    let dir = format!("{}/tests/data/mimekit/messages", env!("CARGO_MANIFEST_DIR"));
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let path = e.unwrap().path();
        let raw = std::fs::read(&path).unwrap();
        for bytes in [to_lf(&raw), to_crlf(&raw), raw.clone()] {
            let msg = Message::parse(bytes.clone()).unwrap();
            assert_eq!(msg.to_vec(), bytes, "{path:?}");
            // Every accessor on every part answers without panicking.
            for p in msg.parts() {
                let _ = (
                    p.body_text(),
                    p.all_defects(),
                    p.filename(),
                    p.size(),
                    p.body_lines(),
                );
                for f in p.fields() {
                    let _ = (
                        f.text(),
                        f.addresses(32),
                        f.date(),
                        f.message_ids(),
                        f.content_type(),
                    );
                }
            }
            n += 1;
        }
    }
    assert!(n >= 90);
}

#[test]
fn digest_children_default_to_message_rfc822() {
    for bytes in [
        to_lf(&mimekit("multipart-digest.txt")),
        to_crlf(&mimekit("multipart-digest.txt")),
    ] {
        let msg = Message::parse(bytes).unwrap();
        let root = msg.root();
        assert_eq!(
            root.field("from").unwrap().addresses(8)[0].mailboxes()[0].addr_spec(),
            "user@domain.org"
        );
        assert_eq!(root.kind(), PartKind::Message);
        let inner = root.children().next().unwrap();
        assert!(inner.content_type().is("multipart", "digest"));
        assert_eq!(inner.subject().as_deref(), Some("submsg"));
        assert_eq!(
            inner.preamble(),
            if inner.raw().contains(&b'\r') {
                &b"prologue\r\n"[..]
            } else {
                &b"prologue\n"[..]
            }
        );
        assert_eq!(
            inner
                .epilogue()
                .unwrap()
                .iter()
                .filter(|&&b| b != b'\r')
                .copied()
                .collect::<Vec<_>>(),
            b"\nepilogue\n\n"
        );
        let kids: Vec<_> = inner.children().collect();
        assert_eq!(kids.len(), 2);
        for (k, want) in kids.iter().zip(["m1", "m2"]) {
            assert_eq!(k.kind(), PartKind::Message);
            let m = k.children().next().unwrap();
            assert_eq!(m.subject().as_deref(), Some(want));
            assert_eq!(m.body_text().trim(), format!("{want} body"));
        }
        assert_eq!(kids[1].field("x-mime").unwrap().text(), "m2 header");
        assert!(msg.defects().is_empty(), "{:?}", msg.defects());
    }
}

#[test]
fn empty_multipart_alternative_keeps_its_sibling() {
    let msg = Message::parse(mimekit("empty-multipart.txt")).unwrap();
    let kids: Vec<_> = msg.root().children().collect();
    assert_eq!(kids.len(), 2);
    assert!(kids[0].content_type().is("multipart", "alternative"));
    assert_eq!(kids[0].children().len(), 0);
    assert!(
        kids[0]
            .defects()
            .iter()
            .any(|d| d.kind == rfc5322::DefectKind::NoBoundaryFound)
    );
    assert!(kids[1].content_type().is("text", "plain"));
    assert!(
        kids[1]
            .body_text()
            .starts_with("This part should be on the same level")
    );
}

#[test]
fn epilogue_and_empty_base64_part() {
    let msg = Message::parse(to_crlf(&mimekit("epilogue.txt"))).unwrap();
    let root = msg.root();
    assert_eq!(root.children().len(), 2);
    assert_eq!(root.children().nth(1).unwrap().decoded_body().len(), 0);
    assert!(
        root.epilogue()
            .unwrap()
            .starts_with(b"Peter Urka <pcu@umich.edu>\r\n")
    );
    assert_eq!(root.field("lines").unwrap().text(), "32");
    assert_eq!(root.date().unwrap().year, 1995);
}

#[test]
fn delivery_status_fields_are_readable() {
    for name in [
        "delivery-status.txt",
        "delivery-status-multiple-blank-lines.txt",
        "delivery-status-no-blank-line.txt",
        "delivery-status2.txt",
    ] {
        let msg = Message::parse(mimekit(name)).unwrap();
        assert!(
            msg.root().content_type().is("multipart", "report"),
            "{name}"
        );
        let report = msg
            .parts()
            .find(|p| p.content_type().is("message", "delivery-status"))
            .unwrap();
        let ds = report.delivery_status().unwrap();
        assert!(!ds.per_message.is_empty(), "{name}: {ds:?}");
        assert!(!ds.per_recipient.is_empty(), "{name}: {ds:?}");
        let r = &ds.per_recipient[0];
        assert!(
            r.iter()
                .any(|(n, _)| n.to_ascii_lowercase().ends_with("-recipient")),
            "{name}: {r:?}"
        );
    }
    let msg = Message::parse(mimekit("delivery-status.txt")).unwrap();
    let ds = msg.parts().find_map(|p| p.delivery_status()).unwrap();
    assert!(ds.field("reporting-mta").is_some(), "{ds:?}");
    assert_eq!(
        ds.per_recipient[0][1],
        ("Action".to_string(), "failed".to_string())
    );
}

/// An invalid Content-Type (no `/`, an empty type or subtype, junk after the subtype) is
/// text/plain; charset=us-ascii (RFC 2045 section 5.2), with a defect; the raw value stays
/// reachable through the field.
#[test]
fn invalid_content_type_is_text_plain_with_a_defect() {
    let msg = Message::parse(mimekit("missing-subtype.txt")).unwrap();
    let root = msg.root();
    assert_eq!(root.content_type(), &rfc5322::ContentType::default());
    assert!(!root.has_content_type());
    assert!(
        root.defects()
            .iter()
            .any(|d| d.kind == rfc5322::DefectKind::BadContentType)
    );
    assert_eq!(
        root.field("content-type").unwrap().raw_value(),
        b" application-x-gzip; name=\"document.xml.gz\""
    );
    assert_eq!(root.kind(), PartKind::Leaf);
    for ct in [
        "inline",
        "test/",
        "text/plain/format",
        "multipart",
        "multipart/",
    ] {
        let raw = format!("Content-Type: {ct}\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n");
        let msg = Message::parse(raw.into_bytes()).unwrap();
        let root = msg.root();
        assert!(root.content_type().is("text", "plain"), "{ct}");
        assert_eq!(root.content_type().charset(), Some("us-ascii"), "{ct}");
        assert_eq!(root.kind(), PartKind::Leaf, "{ct}");
        // As a BODYSTRUCTURE (imap-proto's tests/rfc5322_views.rs): text/plain, 17 octets.
        assert_eq!((root.body_size_crlf(), root.body_lines()), (17, 4), "{ct}");
    }
    // In a digest too: an invalid Content-Type is text/plain, not message/rfc822.
    let raw = b"Content-Type: multipart/digest; boundary=d\r\n\r\n--d\r\nContent-Type: inline\r\n\r\nx\r\n--d\r\n\r\nSubject: m\r\n\r\ny\r\n--d--\r\n";
    let msg = Message::parse(&raw[..]).unwrap();
    let kids: Vec<_> = msg.root().children().collect();
    assert!(kids[0].content_type().is("text", "plain"));
    assert!(kids[1].content_type().is("message", "rfc822"));
}

#[test]
fn bare_lf_sizes_count_crlf() {
    let msg = Message::parse(&b"Subject: x\n\nline1\nline2\r\nline3"[..]).unwrap();
    let r = msg.root();
    assert_eq!(r.body_size(), 18);
    assert_eq!(r.body_size_crlf(), 19);
    assert_eq!(r.body_lines(), 3);
    assert_eq!(r.header_size(), (12, 14));
    assert_eq!(r.size(), (30, 33));
}

#[test]
fn imap_section_numbers() {
    let raw = to_crlf(&data("mail-parser/eml/rfc/002.eml"));
    let msg = Message::parse(raw).unwrap();
    assert!(
        msg.imap_part(&[1])
            .unwrap()
            .content_type()
            .is("text", "plain")
    );
    let p2 = msg.imap_part(&[2]).unwrap();
    assert!(p2.content_type().is("message", "rfc822"));
    assert!(
        msg.imap_part(&[2, 1])
            .unwrap()
            .content_type()
            .is("text", "plain")
    );
    assert!(
        msg.imap_part(&[2, 2])
            .unwrap()
            .content_type()
            .is("image", "gif")
    );
    assert!(msg.imap_part(&[3]).is_none());
    let single = Message::parse(&b"Subject: a\r\n\r\nbody"[..]).unwrap();
    assert_eq!(single.imap_part(&[1]).unwrap().raw_body(), b"body");
}

#[test]
fn byte_order_mark_and_mbox_from_line_are_skipped() {
    let msg = Message::parse(mimekit("feedback-report.txt")).unwrap();
    assert_eq!(msg.fields().next().unwrap().name(), "From");
    assert!(msg.root().content_type().is("multipart", "report"));
    let msg = Message::parse(mimekit("multipart-digest.txt")).unwrap();
    assert_eq!(msg.fields().next().unwrap().name(), "From");
    assert_eq!(msg.to_vec(), mimekit("multipart-digest.txt"));
}

/// A header line that is no field is skipped with a defect, as Dovecot does, instead of
/// being glued onto the field before it.
#[test]
fn header_line_that_is_no_field_is_skipped() {
    // MimeKit issue 358: a folded line lost its leading white space.
    let msg = Message::parse(mimekit("issue358.txt")).unwrap();
    let root = msg.root();
    assert!(root.content_type().is("multipart", "alternative"));
    assert!(
        root.defects()
            .iter()
            .any(|d| d.kind == rfc5322::DefectKind::BrokenFolding)
    );
    let f = root.field("x-microsoft-exchange-diagnostics").unwrap();
    assert!(f.raw_value().ends_with(b"/7xmc"), "{f:?}");
    assert!(root.fields().all(|f| !f.raw().starts_with(b"P8Fx")));
    assert_eq!(root.field("x-priority").unwrap().text(), "3");
    // The issue's example: the Message-ID keeps its value.
    for raw in [
        &b"Message-ID: <a@b>\r\nno colon on this line\r\nSubject: s\r\n\r\nbody"[..],
        b"Message-ID: <a@b>\nno colon on this line\n  and its continuation\nSubject: s\n\nbody",
        b"Message-ID: <a@b>\r\nno colon on this line\r\n\r\nbody",
        b"Message-ID: <a@b>\r\n\xe4\xf6: 8-bit name\r\nSubject: s\r\n\r\nbody",
    ] {
        let m = Message::parse(raw).unwrap();
        let r = m.root();
        assert_eq!(r.message_id().as_deref(), Some("a@b"), "{raw:?}");
        assert_eq!(r.field("message-id").unwrap().raw_value(), b" <a@b>");
        assert_eq!(r.raw_body(), b"body", "{raw:?}");
        assert_eq!(
            r.defects().iter().map(|d| d.kind).collect::<Vec<_>>(),
            vec![rfc5322::DefectKind::BrokenFolding],
            "{raw:?}"
        );
        let names: Vec<_> = r.fields().map(|f| f.name()).collect();
        assert!(
            names == ["Message-ID", "Subject"] || names == ["Message-ID"],
            "{raw:?}"
        );
        assert_eq!(m.to_vec(), raw.to_vec());
    }
    // A body that starts without a blank line is still a body.
    let m = Message::parse(&b"Subject: a\r\nHello there\r\nmore\r\n"[..]).unwrap();
    assert_eq!(m.root().raw_body(), b"Hello there\r\nmore\r\n");
    assert_eq!(
        m.root().defects()[0].kind,
        rfc5322::DefectKind::MissingHeaderBodySeparator
    );
    // A body part without header and without blank line keeps its first line.
    let m = Message::parse(&b"Hello\r\n\r\nmore"[..]).unwrap();
    assert_eq!(m.root().raw_body(), b"Hello\r\n\r\nmore");
}

/// NUL, bare CR and 8-bit bytes that are not UTF-8 in header fields are defects at their
/// offsets, in LF and CRLF form; clean headers (UTF-8 included) have none.
#[test]
fn byte_level_header_defects() {
    use rfc5322::DefectKind::{BareCr, EightBitHeader, Nul};
    let kinds = |raw: &[u8]| -> Vec<(rfc5322::DefectKind, usize)> {
        let m = Message::parse(raw.to_vec()).unwrap();
        m.root()
            .defects()
            .iter()
            .filter(|d| matches!(d.kind, Nul | BareCr | EightBitHeader))
            .map(|d| (d.kind, d.offset))
            .collect()
    };
    for eol in ["\n", "\r\n"] {
        let clean = format!(
            "Subject: caf\u{e9}{eol}X-Long: {}{eol} folded{eol}{eol}body\r",
            "a".repeat(90)
        );
        assert!(kinds(clean.as_bytes()).is_empty(), "{eol:?}");
        let mut raw = format!("From: a@b{eol}Subject: x y{eol}X: z{eol}{eol}body").into_bytes();
        let subject = raw.iter().position(|&b| b == b'x').unwrap();
        raw[subject] = 0;
        raw[subject + 1] = b'\r';
        let z = raw.iter().position(|&b| b == b'z').unwrap();
        raw[z] = 0xE9;
        assert_eq!(
            kinds(&raw),
            vec![(Nul, subject), (BareCr, subject + 1), (EightBitHeader, z)],
            "{eol:?}"
        );
    }
}

/// The readings where an independent reader disagreed and the RFCs side with it, each
/// through the message accessors.
#[test]
fn rfc_readings_where_readers_disagreed() {
    use rfc5322::Address;
    let raw = b"From: (comment)\r\n\
To: undisclosed-recipients:; (comment)\r\n\
Cc: unlisted-recipients:; (no To-header on input)\r\n\
Subject: =?iso-8859-1?q?_?=\r\n\
Message-ID: <9209252113.AA00975@ ebony >\r\n\
In-Reply-To: <1234 @ local(blah) .machine .example>\r\n\
References: <a(x)@b> < c @ d >\r\n\
Date: Thu, 10 Jul 1997 14:53:31 EST5EDT\r\n\
Content-Type: application/octet-stream; name=\"=?utf-8?q?a?= =?utf-8?q?b?=\"\r\n\
\r\n\
x";
    for raw in [raw.to_vec(), to_lf(raw)] {
        let msg = Message::parse(raw).unwrap();
        let root = msg.root();
        assert_eq!(root.from(), vec![]);
        let empty_group = |name: &'static str| {
            vec![Address::Group(rfc5322::Group {
                name: name.into(),
                members: vec![],
            })]
        };
        assert_eq!(root.to(), empty_group("undisclosed-recipients"));
        assert_eq!(root.cc(), empty_group("unlisted-recipients"));
        assert_eq!(root.subject().as_deref(), Some(" "));
        assert_eq!(
            root.message_id().as_deref(),
            Some("9209252113.AA00975@ebony")
        );
        assert_eq!(
            root.field("in-reply-to").unwrap().message_ids(),
            vec!["1234@local.machine.example"]
        );
        assert_eq!(
            root.field("references").unwrap().message_ids(),
            vec!["a@b", "c@d"]
        );
        let date = root.date().unwrap();
        assert_eq!((date.offset_minutes, date.offset_unknown), (0, true));
        assert_eq!(root.filename().as_deref(), Some("ab"));
        let envelope = root.envelope();
        assert!(envelope.from.is_empty());
        assert_eq!(
            envelope.to,
            vec![
                rfc5322::imap::EnvelopeAddress {
                    mailbox: Some("undisclosed-recipients".into()),
                    ..Default::default()
                },
                rfc5322::imap::EnvelopeAddress::default()
            ]
        );
    }
}

/// Document order is not arena order when a multipart nests another: the walk must give
/// a part's whole subtree before its next sibling, and the enclosed message of a
/// message/rfc822 part right after that part.
#[test]
fn parts_in_order_is_document_order() {
    let raw = b"Content-Type: multipart/mixed; boundary=o\r\n\r\n\
--o\r\nContent-Type: multipart/alternative; boundary=i\r\n\r\n\
--i\r\nContent-Type: text/plain\r\n\r\na\r\n\
--i\r\nContent-Type: text/html\r\n\r\nb\r\n\
--i--\r\n\
--o\r\nContent-Type: message/rfc822\r\n\r\nSubject: c\r\n\r\nc\r\n\
--o\r\nContent-Type: text/x-d\r\n\r\nd\r\n\
--o--\r\n";
    let msg = Message::parse(&raw[..]).unwrap();
    let order: Vec<String> = msg
        .parts_in_order()
        .iter()
        .map(|p| {
            let ct = p.content_type();
            format!("{}/{}:{}", ct.media_type, ct.subtype, p.id().0)
        })
        .collect();
    assert_eq!(
        order,
        [
            "multipart/mixed:0",
            "multipart/alternative:1",
            "text/plain:4",
            "text/html:5",
            "message/rfc822:2",
            "text/plain:6",
            "text/x-d:3",
        ]
    );
    // A leaf alone.
    let one = Message::parse(&b"Subject: x\r\n\r\nbody"[..]).unwrap();
    assert_eq!(one.parts_in_order().len(), 1);
}
