//! Build a message from fuzzed values, parse it back, and panic when a value differs.
//!
//! The input is split at 0xFF bytes into: display name, local part, subject, text body,
//! attachment file name, attachment bytes, HTML body, extra field value. A header value
//! holding CR or LF must make the build fail (header injection); otherwise the build fails
//! only for an address that cannot be written, and the parsed message must give every value
//! back. The random source is constant, so nested boundaries must stay apart by themselves.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mail_fuzz as _;
use rfc5322::builder::{Attachment, BuildError, MessageBuilder};
use rfc5322::encode::EncodeError;
use rfc5322::{Address, DateTime, Mailbox, Message};

fn crlf(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut prev = '\0';
    for c in s.chars() {
        if c == '\n' && prev != '\r' {
            out.push('\r');
        }
        out.push(c);
        prev = c;
    }
    out
}

fn phrase(n: &str) -> String {
    n.split([' ', '\t'])
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fuzz_target!(|data: &[u8]| {
    let mut fields = data.split(|&b| b == 0xFF);
    let mut next = || String::from_utf8_lossy(fields.next().unwrap_or_default()).into_owned();
    let (name, local, subject, text) = (next(), next(), next(), next());
    let (file, attachment, html, extra) = (next(), next(), next(), next());
    let local = if local.is_empty() {
        "a".to_owned()
    } else {
        local
    };

    let from = Mailbox::new(Some(&name), &local, "example.com");
    let mut b = MessageBuilder::new()
        .from(from)
        .to(Mailbox::new(None, "to", "example.net"))
        .subject(&subject)
        .header("X-Extra", &extra)
        .text(&text)
        .clock(|| DateTime::new(2020, 1, 1, 0, 0, 0, 0).unwrap_or_default())
        .random(|| 42);
    if !html.is_empty() {
        b = b.html(&html);
    }
    if !file.is_empty() {
        b = b.attachment(
            Attachment::new("application/octet-stream", attachment.as_bytes()).filename(&file),
        );
    }
    let header_values = [&name, &local, &subject, &file, &extra];
    let injected = header_values
        .iter()
        .any(|v| v.contains(['\r', '\n']) && !(v == &&file && file.is_empty()));
    let raw = match b.build() {
        Ok(raw) => raw,
        // Refused: by the line-break check, or by an earlier check of another value.
        Err(_) if injected => return,
        Err(BuildError::Encode(EncodeError::Address(_) | EncodeError::LineTooLong { .. }))
            if !injected =>
        {
            return;
        }
        Err(e) => panic!("unexpected build error {e:?} (injected: {injected})"),
    };
    assert!(!injected, "a CR or LF in a header value was accepted");
    for line in raw.split(|&b| b == b'\n') {
        assert!(line.len() <= 999, "line of {} octets", line.len());
    }
    let msg = Message::parse(raw).expect("a built message parses");
    let root = msg.root();
    assert_eq!(
        root.subject().unwrap_or_default(),
        subject.trim_matches([' ', '\t']),
        "subject"
    );
    assert_eq!(
        root.text("x-extra").unwrap_or_default(),
        extra.trim_matches([' ', '\t']),
        "extra field"
    );
    let got = root.from();
    let Some(Address::Mailbox(m)) = got.first() else {
        panic!("From did not parse: {got:?}");
    };
    assert_eq!(m.local_part, local, "local part");
    assert_eq!(m.domain, "example.com");
    let want_name = Some(phrase(&name)).filter(|n| !n.is_empty());
    assert_eq!(m.name.as_deref().map(phrase), want_name, "display name");
    let parts = msg.parts_in_order();
    let find = |t: &str, s: &str| parts.iter().find(|p| p.content_type().is(t, s)).copied();
    let plain = find("text", "plain").expect("a text/plain part");
    assert_eq!(plain.body_text(), crlf(&text), "text body");
    if !html.is_empty() {
        let h = find("text", "html").expect("a text/html part");
        assert_eq!(h.body_text(), crlf(&html), "html body");
    }
    if !file.is_empty() {
        let a = find("application", "octet-stream").expect("the attachment");
        assert_eq!(a.filename().as_deref(), Some(file.as_str()), "file name");
        assert_eq!(
            &*a.decoded_body(),
            attachment.as_bytes(),
            "attachment bytes"
        );
    }
});
