//! The sessions the `imap_client` benches time and measure: a client that has selected a
//! mailbox and sent one FETCH, and the server's answer held in memory, handed to the client
//! in 16 KiB reads through `Machine::input_buffer` as a driver's socket reads would.
//!
//! (A directory without `main.rs`, so cargo does not take it for a bench of its own.)

use std::time::Instant;

use bytes::Bytes;
use imap_proto::codec::{ParseOptions, Parsed, parse_command};
use imap_proto::{Client, ClientConfig, ClientEvent, Completion, Data, FetchItem, Mode};
use proto_core::{Machine, TlsPolicy};

/// What one socket read hands the client at most.
pub const READ: usize = 16 * 1024;

/// Messages in the envelope listing.
pub const MESSAGES: u32 = 10_000;

/// The size of the streamed message.
pub const BODY_SIZE: usize = 10 * 1024 * 1024;

const GREETING: &[u8] =
    b"* PREAUTH [CAPABILITY IMAP4rev1 LITERAL+ IDLE UIDPLUS MOVE ENABLE] Dovecot ready.\r\n";

const SELECT_ANSWER: &[u8] = b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded)\r\n* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft $Forwarded \\*)] Flags permitted.\r\n* 10000 EXISTS\r\n* 0 RECENT\r\n* OK [UIDVALIDITY 1733580000] UIDs valid\r\n* OK [UIDNEXT 20001] Predicted next UID\r\nA1 OK [READ-WRITE] Select completed (0.001 + 0.000 secs).\r\n";

const NAMES: [&str; 12] = [
    "Alice Martin",
    "Bob O'Neil",
    "Chen Wei",
    "=?UTF-8?Q?Dorothea_M=C3=BCller?=",
    "=?ISO-8859-1?Q?=C9mile_Zola?=",
    "Fatima Al-Sayed",
    "Grace Hopper",
    "Hiroshi Tanaka",
    "Ines \\\"Ina\\\" Silva",
    "=?UTF-8?B?SsO8cmdlbiBXZWnDnw==?=",
    "Kateryna Kovalenko",
    "Liam O'Brien",
];

const DOMAINS: [&str; 6] = [
    "example.com",
    "mail.example.org",
    "lists.example.net",
    "corp.example.co.uk",
    "university.example.edu",
    "newsletter.example",
];

const SUBJECTS: [&str; 8] = [
    "Re: quarterly report",
    "Meeting notes for Tuesday",
    "Fwd: invoice 2026-0412 (overdue)",
    "=?UTF-8?B?R3LDvMOfZSBhdXMgQmVybGlu?=",
    "[list] Weekly digest, issue 42: patches, reviews and a long discussion of naming",
    "lunch?",
    "Your order has shipped",
    "Re: Re: Re: the \\\"final\\\" plan",
];

/// One address in an envelope's list: `("name" NIL "mailbox" "host")`.
fn address(i: usize) -> String {
    let name = NAMES[i % NAMES.len()];
    let local: String = name
        .split(' ')
        .next()
        .unwrap_or("user")
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_lowercase();
    let domain = DOMAINS[(i / 3) % DOMAINS.len()];
    if i.is_multiple_of(5) {
        // Some senders have no display name.
        format!("(NIL NIL \"{local}{i}\" \"{domain}\")")
    } else {
        format!("(\"{name}\" NIL \"{local}\" \"{domain}\")")
    }
}

fn addresses(first: usize, count: usize) -> String {
    if count == 0 {
        return "NIL".to_owned();
    }
    let list: String = (first..first + count).map(address).collect();
    format!("({list})")
}

/// The answer to `A2 FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE)` for `n` messages, envelopes
/// varied as a real mailbox's are: display names or none, one to four recipients, Cc or not,
/// replies with In-Reply-To, quoted specials, encoded words, and one subject in nine sent as
/// a literal (8-bit text, as Dovecot does).
pub fn envelope_listing(n: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(n as usize * 420);
    for seq in 1..=n {
        let i = seq as usize;
        let flags = match i % 4 {
            0 => "\\Seen",
            1 => "",
            2 => "\\Seen \\Answered",
            _ => "\\Seen $Forwarded",
        };
        let uid = 10_000 + seq;
        let size = 1_500 + (i * 7_919) % 250_000;
        let date = format!(
            "\"{}, {} Nov 2026 {:02}:{:02}:{:02} +0100\"",
            ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][i % 7],
            1 + i % 28,
            i % 24,
            (i * 7) % 60,
            (i * 13) % 60
        );
        let subject = if i.is_multiple_of(9) {
            let text = format!("Grüße aus Köln, Nachricht {i}");
            format!("{{{}}}\r\n{text}", text.len())
        } else {
            format!("\"{} #{i}\"", SUBJECTS[i % SUBJECTS.len()])
        };
        let from = addresses(i, 1);
        let to = addresses(i * 3 + 1, 1 + i % 4);
        let cc = addresses(i * 5 + 2, if i.is_multiple_of(3) { 2 } else { 0 });
        let in_reply_to = if i.is_multiple_of(2) {
            format!("\"<reply-{}@{}>\"", i - 1, DOMAINS[i % DOMAINS.len()])
        } else {
            "NIL".to_owned()
        };
        let message_id = format!(
            "\"<{uid}.{}@{}>\"",
            i * 31,
            DOMAINS[(i + 1) % DOMAINS.len()]
        );
        out.extend_from_slice(
            format!(
                "* {seq} FETCH (FLAGS ({flags}) UID {uid} RFC822.SIZE {size} ENVELOPE ({date} {subject} {from} {from} {from} {to} {cc} NIL {in_reply_to} {message_id}))\r\n"
            )
            .as_bytes(),
        );
    }
    out.extend_from_slice(b"A2 OK Fetch completed (0.052 + 0.000 + 0.051 secs).\r\n");
    out
}

/// A message of `size` octets in CRLF lines, and the answer to `A2 FETCH 1 BODY[]` that
/// carries it.
pub fn body_answer(size: usize) -> (Vec<u8>, Vec<u8>) {
    let mut message = b"From: Alice Martin <alice@example.com>\r\nTo: bob@example.org\r\nSubject: the big attachment\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut i = 0usize;
    while message.len() < size {
        for _ in 0..76 {
            message.push(alphabet[(i * 37 + i / 64) % alphabet.len()]);
            i += 1;
        }
        message.extend_from_slice(b"\r\n");
    }
    message.truncate(size);
    let mut wire = format!("* 1 FETCH (UID 10001 BODY[] {{{size}}}\r\n").into_bytes();
    wire.extend_from_slice(&message);
    wire.extend_from_slice(b")\r\nA2 OK Fetch completed.\r\n");
    (wire, message)
}

fn command(line: &str) -> imap_proto::CommandBody {
    let wire = Bytes::from(format!("X {line}\r\n"));
    match parse_command(&wire, ParseOptions::strict(Mode::REV1)) {
        Ok(Parsed::Complete { value, .. }) => value.body,
        other => panic!("cannot read command {line:?}: {other:?}"),
    }
}

/// A client that selected INBOX and sent `fetch` (as `A2`), its output drained.
pub fn client_fetching(fetch: &str) -> Client {
    let now = Instant::now();
    let config = ClientConfig::new().with_tls(TlsPolicy::Never);
    let mut client = Client::new(config, now);
    client.receive(GREETING, now);
    while let Some(event) = client.poll_event() {
        event.unwrap();
    }
    client.send(command("SELECT INBOX")).unwrap();
    client.receive(SELECT_ANSWER, now);
    let mut selected = false;
    while let Some(event) = client.poll_event() {
        selected |= matches!(event.unwrap(), ClientEvent::Completed(c) if c.is_ok());
    }
    assert!(selected, "SELECT did not complete");
    client.send(command(fetch)).unwrap();
    let n = client.transmit().len();
    client.advance_transmit(n);
    client
}

/// Hands `wire` to `client` in reads of at most [`READ`] octets and passes every event to
/// `on_event`; returns how many events there were. A fatal error panics.
pub fn feed(client: &mut Client, wire: &[u8], mut on_event: impl FnMut(ClientEvent)) -> u64 {
    let now = Instant::now();
    let mut events = 0;
    let mut rest = wire;
    while !rest.is_empty() {
        let buf = client.input_buffer();
        let n = buf.len().min(READ).min(rest.len());
        assert!(n > 0, "the client takes no input");
        buf[..n].copy_from_slice(&rest[..n]);
        client.commit_input(n, now);
        rest = &rest[n..];
        while let Some(event) = client.poll_event() {
            events += 1;
            on_event(event.unwrap());
        }
    }
    events
}

/// The FETCH command of the listing.
pub const FETCH_ENVELOPES: &str = "FETCH 1:* (FLAGS UID RFC822.SIZE ENVELOPE)";

/// The FETCH command of the body.
pub const FETCH_BODY: &str = "FETCH 1 BODY[]";

/// Checks that the listing's completion holds `n` FETCH data, in order, each with its flags,
/// UID, size and envelope.
pub fn check_listing(completion: &Completion, n: u32) {
    assert!(completion.is_ok(), "FETCH failed: {completion:?}");
    assert_eq!(
        completion.data.len(),
        n as usize,
        "FETCH data in the completion"
    );
    for (i, data) in completion.data.iter().enumerate() {
        let Data::Fetch { seq, items } = data else {
            panic!("data {i} is not a FETCH: {data:?}");
        };
        assert_eq!(seq.get() as usize, i + 1);
        assert_eq!(items.len(), 4, "items of message {seq}");
        assert!(
            items
                .iter()
                .any(|item| matches!(item, FetchItem::Uid(u) if u.get() == 10_000 + seq.get()))
        );
        assert!(
            items
                .iter()
                .any(|item| matches!(item, FetchItem::Envelope(e) if !e.from.is_empty()))
        );
    }
}
