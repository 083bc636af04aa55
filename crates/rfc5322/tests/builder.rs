//! Built messages read back by the crate's parser to the same values: header fields (names
//! with specials and non-ASCII, subjects with 1000-character words), bodies, attachments,
//! structure (alternative, related, mixed, report), and refused injection attempts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use proptest::prelude::*;
use rfc5322::builder::{
    Attachment, BuildError, DeliveryStatus, DsnAction, MessageBuilder, RecipientStatus,
    ReturnedContent,
};
use rfc5322::encode::EncodeError;
use rfc5322::{Address, DateTime, Group, Mailbox, Message, Part, PartKind};

fn date() -> DateTime {
    DateTime::new(2024, 2, 29, 23, 59, 58, -330).unwrap()
}

fn builder() -> MessageBuilder {
    let mut n = 0u64;
    MessageBuilder::new().clock(date).random(move || {
        n = n.wrapping_add(0x9E37_79B9_7F4A_7C15);
        n
    })
}

fn alice() -> Mailbox<'static> {
    Mailbox::new(Some("Alice"), "alice", "example.com")
}

fn crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// Every part, depth first.
fn walk(msg: &Message) -> Vec<Part<'_>> {
    msg.parts_in_order()
}

fn media(p: &Part<'_>) -> String {
    let ct = p.content_type();
    format!("{}/{}", ct.media_type, ct.subtype)
}

fn check_lines(raw: &[u8]) {
    for line in raw.split(|&b| b == b'\n') {
        assert!(line.len() <= 999, "line of {} octets", line.len());
    }
    // CRLF only.
    for (i, &b) in raw.iter().enumerate() {
        if b == b'\n' {
            assert_eq!(raw[i - 1], b'\r', "bare LF at {i}");
        }
        if b == b'\r' {
            assert_eq!(raw.get(i + 1), Some(&b'\n'), "bare CR at {i}");
        }
    }
}

fn no_defects(msg: &Message) {
    for p in walk(msg) {
        let d = p.all_defects();
        assert!(
            d.is_empty(),
            "part {:?}: {d:?}\n{}",
            p.id(),
            String::from_utf8_lossy(msg.raw())
        );
    }
}

#[test]
fn simple_text_message() {
    let raw = builder()
        .from(alice())
        .to(Mailbox::new(Some("Bob Smith"), "bob", "example.net"))
        .cc(Mailbox::from_addr_spec("carol@example.org"))
        .subject("Hello")
        .in_reply_to("<prev@example.com>")
        .references("first@example.com")
        .references("<prev@example.com>")
        .header("X-Mailer", "rfc5322 tests")
        .text("Hi Bob,\nsee you.\n")
        .build()
        .unwrap();
    check_lines(&raw);
    let msg = Message::parse(raw.clone()).unwrap();
    no_defects(&msg);
    let root = msg.root();
    assert_eq!(root.from(), vec![Address::Mailbox(alice())]);
    assert_eq!(
        root.to(),
        vec![Address::Mailbox(Mailbox::new(
            Some("Bob Smith"),
            "bob",
            "example.net"
        ))]
    );
    assert_eq!(
        root.cc(),
        vec![Address::Mailbox(Mailbox::from_addr_spec(
            "carol@example.org"
        ))]
    );
    assert_eq!(root.subject().as_deref(), Some("Hello"));
    assert_eq!(root.date(), Some(date()));
    assert!(root.message_id().unwrap().ends_with("@example.com"));
    assert_eq!(root.text("x-mailer").as_deref(), Some("rfc5322 tests"));
    assert_eq!(
        root.field("references").unwrap().raw_value(),
        b" <first@example.com> <prev@example.com>"
    );
    assert_eq!(root.kind(), PartKind::Leaf);
    assert_eq!(media(&root), "text/plain");
    assert_eq!(root.body_text(), "Hi Bob,\r\nsee you.\r\n");
    // Re-serialises byte for byte.
    assert_eq!(msg.to_vec(), raw);
}

#[test]
fn generated_ids_and_dates_come_from_the_sources() {
    let a = builder().from(alice()).text("x").build().unwrap();
    let b = builder().from(alice()).text("x").build().unwrap();
    assert_eq!(a, b, "same clock and random source, same bytes");
    let c = MessageBuilder::new()
        .from(alice())
        .text("x")
        .build()
        .unwrap();
    let d = MessageBuilder::new()
        .from(alice())
        .text("x")
        .build()
        .unwrap();
    let id = |m: &[u8]| {
        Message::parse(m.to_vec())
            .unwrap()
            .root()
            .message_id()
            .unwrap()
            .into_owned()
    };
    assert_ne!(id(&c), id(&d), "the std source differs between messages");
    let m = Message::parse(c).unwrap();
    assert!(m.root().date().is_some());
    let e = builder()
        .from(alice())
        .message_id_domain("ids.example")
        .text("x")
        .build()
        .unwrap();
    assert!(id(&e).ends_with("@ids.example"));
    let f = builder()
        .from(alice())
        .message_id("<given@example.com>")
        .text("x")
        .build()
        .unwrap();
    assert_eq!(id(&f), "given@example.com");
}

#[test]
fn alternative_related_mixed() {
    let png = vec![0x89, b'P', b'N', b'G', 0, 1, 2, 3, 255];
    let raw = builder()
        .from(alice())
        .to(Mailbox::from_addr_spec("bob@example.net"))
        .subject("Pictures")
        .text("See the picture.\n")
        .html("<p>See <img src=\"cid:pic1@example.com\"></p>\n")
        .attachment(Attachment::new("image/png", png.clone()).inline("pic1@example.com"))
        .attachment(
            Attachment::new("application/pdf", b"%PDF-1.4\n...".to_vec())
                .filename("Résumé final (2024).pdf"),
        )
        .attachment(Attachment::message(
            b"From: x@example.com\nSubject: inner\n\ninner body\n".to_vec(),
        ))
        .build()
        .unwrap();
    check_lines(&raw);
    let msg = Message::parse(raw).unwrap();
    no_defects(&msg);
    let kinds: Vec<String> = walk(&msg).iter().map(media).collect();
    assert_eq!(
        kinds,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "multipart/related",
            "text/html",
            "image/png",
            "application/pdf",
            "message/rfc822",
            "text/plain",
        ]
    );
    let parts = walk(&msg);
    assert_eq!(parts[2].body_text(), "See the picture.\r\n");
    assert_eq!(
        parts[4].body_text(),
        "<p>See <img src=\"cid:pic1@example.com\"></p>\r\n"
    );
    assert_eq!(parts[3].content_type().param("type"), Some("text/html"));
    assert_eq!(&*parts[5].decoded_body(), &png[..]);
    assert_eq!(
        parts[5].field("content-id").unwrap().raw_value(),
        b" <pic1@example.com>"
    );
    assert!(parts[5].content_disposition().unwrap().is_inline());
    assert_eq!(
        parts[6].filename().as_deref(),
        Some("Résumé final (2024).pdf")
    );
    assert_eq!(&*parts[6].decoded_body(), b"%PDF-1.4\n...");
    assert_eq!(parts[7].kind(), PartKind::Message);
    assert_eq!(parts[8].subject().as_deref(), Some("inner"));
    assert_eq!(parts[8].body_text(), "inner body\r\n");
}

#[test]
fn inline_parts_without_html_are_mixed() {
    let raw = builder()
        .from(alice())
        .text("t")
        .attachment(Attachment::new("image/gif", b"GIF89a".to_vec()).inline("g@x"))
        .build()
        .unwrap();
    let msg = Message::parse(raw).unwrap();
    let kinds: Vec<String> = walk(&msg).iter().map(media).collect();
    assert_eq!(kinds, ["multipart/mixed", "text/plain", "image/gif"]);
}

#[test]
fn empty_message_has_an_empty_text_body() {
    let raw = builder().from(alice()).build().unwrap();
    let msg = Message::parse(raw).unwrap();
    assert_eq!(media(&msg.root()), "text/plain");
    assert_eq!(msg.root().body_text(), "");
}

#[test]
fn delivery_status_notification() {
    let original =
        b"From: alice@example.com\r\nTo: nobody@example.net\r\nSubject: lost\r\n\r\nhello\r\n";
    let status = DeliveryStatus::new("mx.example.com").recipient(
        RecipientStatus::new("nobody@example.net", DsnAction::Failed, "5.1.1")
            .remote_mta("mx.example.net")
            .diagnostic_code("550 5.1.1 <nobody@example.net>: Recipient address rejected"),
    );
    let raw = builder()
        .from(Mailbox::new(
            Some("Mail Delivery System"),
            "MAILER-DAEMON",
            "example.com",
        ))
        .to(alice())
        .subject("Undelivered Mail Returned to Sender")
        .text("Your message could not be delivered.\n")
        .delivery_report(status, ReturnedContent::Message(original.to_vec()))
        .build()
        .unwrap();
    check_lines(&raw);
    let msg = Message::parse(raw).unwrap();
    no_defects(&msg);
    let parts = walk(&msg);
    let kinds: Vec<String> = parts.iter().map(media).collect();
    assert_eq!(
        kinds,
        [
            "multipart/report",
            "text/plain",
            "message/delivery-status",
            "message/rfc822",
            "text/plain"
        ]
    );
    assert_eq!(
        parts[0].content_type().param("report-type"),
        Some("delivery-status")
    );
    let ds = String::from_utf8(parts[2].decoded_body().into_owned()).unwrap();
    assert!(ds.starts_with("Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; nobody@example.net\r\nAction: failed\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.example.net\r\n"));
    assert!(ds.contains("Diagnostic-Code: smtp; 550 5.1.1 <nobody@example.net>:"));
    // RFC 3464 section 2.1: the body is blocks of header fields; the parser reads the first
    // block (per-message fields) as a header and the rest as its body.
    let block = Message::parse(ds.clone().into_bytes()).unwrap();
    assert_eq!(
        block.root().text("reporting-mta").as_deref(),
        Some("dns; mx.example.com")
    );
    let recipients = Message::parse(block.root().raw_body().to_vec()).unwrap();
    let r = recipients.root();
    assert_eq!(
        r.text("final-recipient").as_deref(),
        Some("rfc822; nobody@example.net")
    );
    assert_eq!(r.text("action").as_deref(), Some("failed"));
    assert_eq!(r.text("status").as_deref(), Some("5.1.1"));
    assert_eq!(
        r.text("diagnostic-code").as_deref(),
        Some("smtp; 550 5.1.1 <nobody@example.net>: Recipient address rejected")
    );
    assert_eq!(parts[4].subject().as_deref(), Some("lost"));
    // Headers only.
    let raw = builder()
        .from(alice())
        .delivery_report(
            DeliveryStatus::new("dns; mx").recipient(RecipientStatus::new(
                "rfc822; a@b",
                DsnAction::Delayed,
                "4.4.7",
            )),
            ReturnedContent::Headers(b"Subject: x\r\n".to_vec()),
        )
        .build()
        .unwrap();
    let msg = Message::parse(raw).unwrap();
    let kinds: Vec<String> = walk(&msg).iter().map(media).collect();
    assert_eq!(
        kinds,
        [
            "multipart/report",
            "text/plain",
            "message/delivery-status",
            "text/rfc822-headers"
        ]
    );
    // Refusals.
    let bad = DeliveryStatus::new("mx").recipient(RecipientStatus::new(
        "a@b",
        DsnAction::Failed,
        "9.9.9",
    ));
    assert!(
        builder()
            .from(alice())
            .delivery_report(bad, ReturnedContent::None)
            .build()
            .is_err()
    );
    let none = DeliveryStatus::new("mx");
    assert!(
        builder()
            .from(alice())
            .delivery_report(none, ReturnedContent::None)
            .build()
            .is_err()
    );
    let ok = DeliveryStatus::new("mx").recipient(RecipientStatus::new(
        "a@b",
        DsnAction::Failed,
        "5.0.0",
    ));
    assert_eq!(
        builder()
            .from(alice())
            .attachment(Attachment::new("a/b", vec![]))
            .delivery_report(ok, ReturnedContent::None)
            .build(),
        Err(BuildError::ReportWithAttachments)
    );
}

#[test]
fn groups_and_bcc() {
    let group = Group {
        name: "Team: A".into(),
        members: vec![
            Mailbox::from_addr_spec("a@example.com"),
            Mailbox::new(Some("B, Jr."), "b", "example.com"),
        ],
    };
    let empty = Group {
        name: "undisclosed-recipients".into(),
        members: vec![],
    };
    let raw = builder()
        .from(alice())
        .to(group.clone())
        .cc(empty.clone())
        .bcc(Mailbox::from_addr_spec("hidden@example.com"))
        .build()
        .unwrap();
    let msg = Message::parse(raw.clone()).unwrap();
    no_defects(&msg);
    assert_eq!(msg.root().to(), vec![Address::Group(group.clone())]);
    assert_eq!(msg.root().cc(), vec![Address::Group(empty)]);
    assert!(msg.root().field("bcc").is_none());
    let raw = builder()
        .from(alice())
        .bcc(Mailbox::from_addr_spec("hidden@example.com"))
        .write_bcc(true)
        .build()
        .unwrap();
    let msg = Message::parse(raw).unwrap();
    assert_eq!(
        msg.root().addresses("bcc"),
        vec![Address::Mailbox(Mailbox::from_addr_spec(
            "hidden@example.com"
        ))]
    );
}

#[test]
fn several_from_need_sender() {
    let raw = builder()
        .from(alice())
        .from(Mailbox::from_addr_spec("bob@example.com"))
        .sender(Mailbox::new(Some("Secretary"), "sec", "example.com"))
        .build()
        .unwrap();
    let msg = Message::parse(raw).unwrap();
    assert_eq!(msg.root().from().len(), 2);
    assert_eq!(
        msg.root().field("sender").unwrap().mailbox(),
        Some(Mailbox::new(Some("Secretary"), "sec", "example.com"))
    );
}

/// A space encoded as `=20` at the end of a quoted-printable line must decode to a space
/// (RFC 2045 section 6.7 rule 3 lets a decoder drop only the *literal* white space there).
#[test]
fn trailing_space_in_quoted_printable_text_survives() {
    let raw = builder()
        .from(alice())
        .text("a a日a \nnext\t\n")
        .build()
        .unwrap();
    let msg = Message::parse(raw).unwrap();
    assert_eq!(
        msg.root()
            .field("content-transfer-encoding")
            .unwrap()
            .raw_value(),
        b" quoted-printable"
    );
    assert_eq!(msg.root().body_text(), "a a日a \r\nnext\t\r\n");
}

// ---- Property tests ----

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z0-9]{1,10}",
        2 => "[!-~]{1,8}",
        2 => "[àéîõüßçñЖжλ日本語😀]{1,6}",
        1 => "[a-zé]{1,3}=\\?[a-z]{1,3}\\?[qb]\\?[a-z]{1,3}\\?=",
        1 => Just("x".repeat(1000)),
        1 => "[a-z]{76,90}",
    ]
}

fn words(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(word(), 1..max).prop_map(|w| w.join(" "))
}

fn local_part() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{1,10}(\\.[a-z0-9]{1,5}){0,2}",
        "[a-z]{1,5} [a-z]{1,5}",
        "[a-z]{1,3}[(),:;<>@\\[\\]\"\\\\][a-z]{1,3}",
        "[a-zé]{1,8}",
    ]
}

fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{1,10}(\\.[a-z]{2,5}){1,2}",
        Just("[192.0.2.1]".to_owned())
    ]
}

fn mailbox() -> impl Strategy<Value = Mailbox<'static>> {
    (prop::option::of(words(5)), local_part(), domain())
        .prop_map(|(n, l, d)| Mailbox::new(n.as_deref(), &l, &d).into_owned())
}

fn address() -> impl Strategy<Value = Address<'static>> {
    prop_oneof![
        4 => mailbox().prop_map(Address::Mailbox),
        1 => (words(4), prop::collection::vec(mailbox(), 0..3))
            .prop_map(|(name, members)| Address::Group(Group { name: name.into(), members })),
    ]
}

fn body() -> impl Strategy<Value = String> {
    prop_oneof![
        "([ -~]{0,80}\n){0,10}",
        "([a-zé日 ]{0,80}\n){0,10}",
        "[a-z]{900,1100}\n",
        "(From [a-z]{0,5}\n|\\.\n|[a-z ]{0,20} \n){0,6}",
    ]
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        "[a-z\r\n]{0,100}".prop_map(String::into_bytes),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Every built message re-parses to the values it was built from, and every folded field
    /// comes back as one field.
    #[test]
    fn built_messages_parse_back(
        from in mailbox(),
        to in prop::collection::vec(address(), 1..4),
        reply_to in prop::option::of(mailbox()),
        subject in words(12),
        extra in words(6),
        text in body(),
        html in prop::option::of(body()),
        attachment in prop::option::of((words(3), bytes())),
    ) {
        let mut b = builder().from(from.clone()).subject(&subject).header("X-Note", &extra).text(&text);
        for m in &to {
            b = b.to(m.clone());
        }
        if let Some(r) = &reply_to {
            b = b.reply_to(r.clone());
        }
        if let Some(h) = &html {
            b = b.html(h);
        }
        if let Some((name, data)) = &attachment {
            b = b.attachment(Attachment::new("application/octet-stream", data.clone()).filename(name));
        }
        let raw = b.build().unwrap();
        check_lines(&raw);
        let msg = Message::parse(raw.clone()).unwrap();
        let root = msg.root();
        for f in root.fields() {
            for line in f.raw().split(|&c| c == b'\n') {
                prop_assert!(line.len() <= 999);
            }
        }
        prop_assert_eq!(root.fields_named("subject").count(), 1);
        prop_assert_eq!(root.fields_named("to").count(), 1);
        prop_assert_eq!(root.from(), vec![Address::Mailbox(from)]);
        prop_assert_eq!(root.to(), to);
        let want_reply: Vec<Address> = reply_to.into_iter().map(Address::Mailbox).collect();
        prop_assert_eq!(root.addresses("reply-to"), want_reply);
        prop_assert_eq!(root.subject().map(String::from), Some(subject));
        prop_assert_eq!(root.text("x-note").map(String::from), Some(extra));
        prop_assert_eq!(root.date(), Some(date()));
        let parts = walk(&msg);
        let plain = parts.iter().find(|p| media(p) == "text/plain").unwrap();
        prop_assert_eq!(plain.body_text(), crlf(&text));
        if let Some(h) = &html {
            let part = parts.iter().find(|p| media(p) == "text/html").unwrap();
            prop_assert_eq!(part.body_text(), crlf(h));
        }
        if let Some((name, data)) = &attachment {
            let part = parts.iter().find(|p| media(p) == "application/octet-stream").unwrap();
            prop_assert_eq!(part.filename(), Some(name.clone()));
            prop_assert_eq!(&*part.decoded_body(), &data[..]);
        }
        for p in &parts {
            prop_assert!(p.all_defects().is_empty(), "{:?}", p.all_defects());
        }
    }

    /// A CR or LF in any value makes build() fail with a line-break error, never a message.
    #[test]
    fn injection_attempts_are_refused(
        which in 0usize..9,
        pos in any::<prop::sample::Index>(),
        brk in prop_oneof![Just("\r\n"), Just("\n"), Just("\r"), Just("\r\nBcc: victim@example.com\r\n"), Just("\r\n\r\n<html>")],
        base in "[a-zé ]{1,20}",
    ) {
        let at = pos.index(base.chars().count() + 1);
        let split: usize = base.char_indices().nth(at).map_or(base.len(), |(i, _)| i);
        let v = format!("{}{}{}", &base[..split], brk, &base[split..]);
        let b = builder().from(alice());
        let b = match which {
            0 => b.subject(&v),
            1 => b.to(Mailbox::new(Some(&v), "a", "example.com")),
            2 => b.to(Mailbox::new(None, &v, "example.com")),
            3 => b.header("X-Any", &v),
            4 => b.raw_header("X-Raw", &v),
            5 => b.attachment(Attachment::new("a/b", vec![1]).filename(&v)),
            6 => b.attachment(Attachment::new("a/b", vec![1]).description(&v)),
            7 => b.message_id(&format!("a{v}@b")),
            _ => b.references(&format!("<x{v}@y>")),
        };
        let r = b.build();
        let refused = matches!(r, Err(BuildError::Encode(EncodeError::LineBreak { .. })));
        prop_assert!(refused, "{:?}", r.map(String::from_utf8));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Arbitrary single-line values (any character but CR and LF) survive as subject,
    /// display name, extra field and file name.
    #[test]
    fn arbitrary_values_round_trip(
        name in "[^\r\n]{1,60}",
        subject in "[^\r\n]{0,200}",
        file in "[^\r\n]{1,100}",
    ) {
        let m = Mailbox::new(Some(&name), "a", "example.com");
        let raw = builder()
            .from(m.clone())
            .subject(&subject)
            .attachment(Attachment::new("a/b", vec![1, 2]).filename(&file))
            .build()
            .unwrap();
        let msg = Message::parse(raw.clone()).unwrap();
        let root = msg.root();
        prop_assert_eq!(root.subject().unwrap(), subject.trim_matches([' ', '\t']));
        // A display name is a phrase: its white space is not significant (runs may come back
        // as one space; leading and trailing white space is not written).
        let phrase = |n: &str| n.split([' ', '\t']).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
        let from = root.from();
        prop_assert_eq!(from.len(), 1);
        let Address::Mailbox(got) = &from[0] else { panic!("not a mailbox") };
        prop_assert_eq!(got.addr_spec(), "a@example.com");
        let want = Some(phrase(&name)).filter(|n| !n.is_empty());
        prop_assert_eq!(got.name.as_deref().map(phrase), want);
        let parts = walk(&msg);
        prop_assert_eq!(parts[1].filename(), Some(file));
    }
}

#[test]
fn long_fields_fold_and_parse_back() {
    let to: Vec<Mailbox> = (0..30)
        .map(|i| {
            Mailbox::new(
                Some(&format!("Person Number {i}, Department of Examples")),
                &format!("person.{i}"),
                "example.com",
            )
            .into_owned()
        })
        .collect();
    let refs: Vec<String> = (0..20)
        .map(|i| format!("<thread-{i}.a-fairly-long-identifier@mail.example.com>"))
        .collect();
    let subject = "A subject that goes on and on, well past the seventy-eight characters that \
                   a line should hold, with some ünïcödé words in the middle and at the end ✓";
    let long_name = "Quoted, Name With Many Words That Will Not Fit On One Line Of Seventy-Eight";
    let mut b = builder()
        .from(Mailbox::new(Some(long_name), "q", "example.com"))
        .subject(subject);
    for m in &to {
        b = b.to(m.clone());
    }
    for r in &refs {
        b = b.references(r);
    }
    let raw = b.build().unwrap();
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = std::str::from_utf8(&raw[..head_end]).unwrap();
    for line in head.split("\r\n") {
        assert!(line.len() <= 78, "{line:?}");
    }
    let msg = Message::parse(raw.clone()).unwrap();
    no_defects(&msg);
    let root = msg.root();
    for name in ["to", "references", "subject", "from"] {
        let fields: Vec<_> = root.fields_named(name).collect();
        assert_eq!(fields.len(), 1, "{name}");
        assert!(fields[0].is_folded(), "{name} should be folded");
    }
    let want: Vec<Address> = to.into_iter().map(Address::Mailbox).collect();
    assert_eq!(root.to(), want);
    assert_eq!(root.subject().as_deref(), Some(subject));
    assert_eq!(
        root.from(),
        vec![Address::Mailbox(Mailbox::new(
            Some(long_name),
            "q",
            "example.com"
        ))]
    );
    let got_refs =
        String::from_utf8(root.field("references").unwrap().unfolded().into_owned()).unwrap();
    assert_eq!(got_refs.trim(), refs.join(" "));
    // Addresses that fit on a line are kept whole: the To field folds after its commas.
    let to_field = std::str::from_utf8(root.field("to").unwrap().raw()).unwrap();
    let lines: Vec<&str> = to_field.trim_end().split("\r\n").collect();
    assert_eq!(lines.len(), 30);
    for l in &lines[..29] {
        assert!(l.ends_with("@example.com>,"), "{l:?}");
    }
}

#[test]
fn an_unbreakable_value_over_998_is_refused() {
    let r = builder()
        .from(alice())
        .message_id(&format!("{}@example.com", "x".repeat(990)))
        .build();
    assert!(
        matches!(r, Err(BuildError::Encode(EncodeError::LineTooLong { .. }))),
        "{r:?}"
    );
    // The longest identifier that fits: folded after the colon, " <id>" is 998 octets.
    let id = format!("{}@example.com", "x".repeat(995 - "@example.com".len()));
    let raw = builder().from(alice()).message_id(&id).build().unwrap();
    check_lines(&raw);
    let msg = Message::parse(raw).unwrap();
    assert_eq!(msg.root().message_id().as_deref(), Some(id.as_str()));
    let too_long = format!("{}@example.com", "x".repeat(996 - "@example.com".len()));
    let r = builder().from(alice()).message_id(&too_long).build();
    assert!(
        matches!(
            r,
            Err(BuildError::Encode(EncodeError::LineTooLong { len: 999 }))
        ),
        "{r:?}"
    );
}
