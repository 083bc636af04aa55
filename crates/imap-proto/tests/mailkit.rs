#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

//! MailKit's captured server sessions (tests/data/mailkit, MIT, see PROVENANCE): Gmail,
//! Dovecot, Cyrus, Exchange, Yahoo and Courier. Each file is framed as a client would frame
//! it (in one piece and in 7-octet reads, which must agree), every message is parsed leniently,
//! written back and parsed again.

use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use imap_proto::codec::{
    FrameEvent, Limits, MessageFramer, ParseOptions, Side, encode_response, parse_response_message,
};
use imap_proto::{Data, Mode, Response};

fn files() -> Vec<PathBuf> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mailkit");
    let mut files = Vec::new();
    for vendor in std::fs::read_dir(dir).unwrap() {
        let vendor = vendor.unwrap().path();
        if vendor.is_dir() {
            for f in std::fs::read_dir(&vendor).unwrap() {
                files.push(f.unwrap().path());
            }
        }
    }
    files.sort();
    files
}

/// The file as MailKit's harness sends it: LF as CRLF, a real tag.
fn wire(path: &PathBuf) -> Vec<u8> {
    let raw = std::fs::read(path).unwrap();
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 20);
    for &b in &raw {
        if b == b'\n' && out.last() != Some(&b'\r') {
            out.push(b'\r');
        }
        out.push(b);
    }
    let text = out;
    let tag = b"A########";
    let mut fixed = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(tag) {
            fixed.extend_from_slice(b"A00000001");
            i += tag.len();
        } else {
            fixed.push(text[i]);
            i += 1;
        }
    }
    fixed
}

fn frame(input: &[u8], step: usize) -> Vec<FrameEvent> {
    // Every literal inline, so that each message is parsed whole.
    let limits = Limits::CLIENT.with_max_inline_literal(64 << 20);
    let mut framer = MessageFramer::new(Side::Client, limits);
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    for piece in input.chunks(step) {
        buf.extend_from_slice(piece);
        while let Some(e) = framer.poll(&mut buf) {
            events.push(e);
        }
    }
    assert!(
        buf.is_empty(),
        "left over: {:?}",
        String::from_utf8_lossy(&buf)
    );
    events
}

/// Captures with lines no reading of the grammar accepts: the file, how many of its messages
/// fail, and why. A client reports each as a raw event and goes on, so the rest of the file
/// must still parse.
const UNREADABLE: &[(&str, usize, &str)] = &[
    (
        "exchange/issue115.txt",
        1,
        "Exchange sent a bare `[COPYUID 55 31 6]` line, with neither tag nor `*` (MailKit \
         issue 115)",
    ),
    (
        "gmail/headers.1+unsolicited-info.txt",
        2,
        "the BODY[HEADER] literal announces 515 octets but 518 follow once LF is CRLF (a \
         whitespace line of the capture): the `)` then lands on a line of its own",
    ),
];

#[test]
fn every_captured_session() {
    let files = files();
    assert!(files.len() >= 260, "{} files", files.len());
    let mut failures = Vec::new();
    let mut messages = 0;
    for path in &files {
        let name = path
            .strip_prefix(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mailkit/"))
            .unwrap()
            .display()
            .to_string();
        let allowed = UNREADABLE
            .iter()
            .find(|(n, _, _)| *n == name)
            .map_or(0, |(_, count, _)| *count);
        let before = failures.len();
        let input = wire(path);
        let events = frame(&input, input.len().max(1));
        assert_eq!(events, frame(&input, 7), "{name}: framing differs by split");
        for event in events {
            let FrameEvent::Message(msg) = event else {
                failures.push(format!("{name}: {event:?}"));
                continue;
            };
            messages += 1;
            let response = match parse_response_message(&msg, ParseOptions::lenient(Mode::REV1)) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{name}: {e}"));
                    continue;
                }
            };
            if allowed > 0 {
                continue;
            }
            let mut encoded = Vec::new();
            match encode_response(&response, Mode::REV1, &mut encoded) {
                Ok(()) => {
                    let again = imap_proto::codec::parse_response(
                        &Bytes::from(encoded),
                        ParseOptions::lenient(Mode::REV1),
                    );
                    match again {
                        Ok(imap_proto::codec::Parsed::Complete { value, .. })
                            if value == response => {}
                        other => failures.push(format!("{name}: round trip {other:?}")),
                    }
                }
                Err(e) => failures.push(format!("{name}: not writable: {e}: {response:?}")),
            }
        }
        if allowed > 0 {
            assert_eq!(
                failures.len() - before,
                allowed,
                "{name}: {:?}",
                &failures[before..]
            );
            failures.truncate(before);
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures of {messages}:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(messages, 997);
}

fn first_response(file: &str, inline: u64) -> (Vec<FrameEvent>, Response) {
    let path = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/mailkit")).join(file);
    let input = wire(&path);
    let mut framer =
        MessageFramer::new(Side::Client, Limits::CLIENT.with_max_inline_literal(inline));
    let mut buf = BytesMut::from(&input[..]);
    let mut events = Vec::new();
    while let Some(e) = framer.poll(&mut buf) {
        events.push(e);
    }
    let first = events
        .iter()
        .find_map(|e| match e {
            FrameEvent::Message(m) => {
                Some(parse_response_message(m, ParseOptions::lenient(Mode::REV1)).unwrap())
            }
            _ => None,
        })
        .unwrap();
    (events, first)
}

/// Gmail's 348,483-octet BODY[] streams in chunks, and the FETCH that carried it parses with
/// the literal's size in its place.
#[test]
fn gmail_large_body_streams() {
    use imap_proto::{FetchItem, SectionData};
    let (events, first) = first_response("gmail/fetch.9.txt", 64 * 1024);
    assert!(matches!(
        &events[0],
        FrameEvent::LiteralStart { size: 348_483, .. }
    ));
    let streamed: usize = events
        .iter()
        .map(|e| match e {
            FrameEvent::LiteralChunk { data, .. } => data.len(),
            _ => 0,
        })
        .sum();
    assert_eq!(streamed, 348_483);
    let Response::Data(Data::Fetch { seq, items }) = first else {
        panic!()
    };
    assert_eq!(seq.get(), 9);
    assert!(matches!(
        &items[2],
        FetchItem::BodySection {
            data: SectionData::Streamed { size: 348_483 },
            ..
        }
    ));
}

/// Dovecot with AOL's extension items: unknown FETCH items kept raw, a literal inside one.
#[test]
fn dovecot_unknown_items_are_kept_raw() {
    use imap_proto::FetchItem;
    let (_, first) = first_response("dovecot/fetch1.txt", 64 * 1024);
    let Response::Data(Data::Fetch { items, .. }) = first else {
        panic!()
    };
    assert!(
        matches!(&items[3], FetchItem::Other { name, value } if &name[..] == b"XAOL.SPAM.REASON" && &value[..] == b"0")
    );
    let FetchItem::Other { name, value } = &items[5] else {
        panic!()
    };
    assert_eq!(&name[..], b"XAOL-PAREN-LIST");
    assert_eq!(
        &value[..],
        &b"(XAOL-TOKEN-PARAM1 XAOL-TOKEN-VALUE1 XAOL-TOKEN-PARAM2 {17}\r\nXAOL-TOKEN-VALUE2 XAOL-TOKEN-PARAM3 (XAOL-SUBTOKEN-PARAM XAOL-SUBTOKEN-VALUE))"[..]
    );
}
