//! The server machine against probing and smuggling through the side doors: refused recipients
//! count as errors, and BDAT chunks meet the bare line end policy of DATA.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use std::time::Instant;

use common::{BOGUS_ENDS, server_config, small_extensions};
use proto_core::{BareLineEnding, Machine, TransportAction};
use smtp_proto::{EnhancedStatusCode, Limits, ProtocolError, Reply, ReplyCode};
use smtp_proto::{Server, ServerConfig, ServerEvent};

/// Feeds `bytes`, answers every decision (RCPT with `rcpt_reply`), and returns the events
/// and what the server wrote.
fn feed(server: &mut Server, bytes: &[u8], rcpt_reply: Option<u16>) -> (Vec<String>, String) {
    server.receive(bytes, std::time::Instant::now());
    let mut events = Vec::new();
    while let Some(event) = server.poll_event() {
        match event {
            Ok(ServerEvent::BodyChunk(chunk)) => {
                events.push(format!("body {}", chunk.escape_ascii()))
            }
            Ok(ServerEvent::MailFrom { decision, .. }) => server.accept(decision).unwrap(),
            Ok(ServerEvent::RcptTo { decision, .. }) => match rcpt_reply {
                None => server.accept(decision).unwrap(),
                Some(code) => {
                    let reply = Reply::new(
                        ReplyCode::new(code).unwrap(),
                        EnhancedStatusCode::new(code as u8 / 100, 1, 1),
                        "No such user here",
                    )
                    .unwrap();
                    server.reject(decision, reply).unwrap();
                }
            },
            Ok(ServerEvent::DataEnd { decision, size, .. }) => {
                events.push(format!("end {size}"));
                server.accept(decision).unwrap();
            }
            Ok(ServerEvent::MessageRefused { reply }) => {
                events.push(format!("refused {}", reply.code()))
            }
            Ok(other) => events.push(format!("{other:?}")),
            Err(e) => events.push(format!("error {e}")),
        }
    }
    let out = String::from_utf8_lossy(server.transmit()).into_owned();
    server.advance_transmit(out.len());
    (events, out)
}

fn codes(out: &str) -> Vec<&str> {
    out.lines().filter_map(|l| l.get(..3)).collect()
}

#[test]
fn refused_recipients_count_toward_max_errors() {
    let config = server_config("foo.com")
        .with_extensions(small_extensions())
        .with_limits(Limits::default().with_max_errors(3));
    let mut s = Server::new(config, Instant::now());
    feed(&mut s, b"EHLO x\r\nMAIL FROM:<a@b.c>\r\n", None);
    // Temporary refusals are not probing answers: they do not count.
    let (_, out) = feed(
        &mut s,
        b"RCPT TO:<t1@foo.com>\r\nRCPT TO:<t2@foo.com>\r\n",
        Some(450),
    );
    assert_eq!(codes(&out), ["450", "450"]);
    let probe: String = (0..10)
        .map(|i| format!("RCPT TO:<u{i}@foo.com>\r\n"))
        .collect();
    let (events, out) = feed(&mut s, probe.as_bytes(), Some(550));
    assert_eq!(codes(&out), ["550", "550", "550", "550", "421"], "{out}");
    assert!(out.ends_with("421 4.7.0 foo.com Error: too many errors\r\n"));
    assert_eq!(
        events,
        [format!("error {}", ProtocolError::TooManyErrors)],
        "the session ends at the limit"
    );
    assert_eq!(s.poll_transport(), Some(TransportAction::Close));
}

fn chunked(config: ServerConfig, mail: &str, bogus: &[u8], split: usize) -> (Vec<String>, String) {
    let mut s = Server::new(config, Instant::now());
    let setup = format!("EHLO x\r\n{mail}\r\nRCPT TO:<d@foo.com>\r\n");
    feed(&mut s, setup.as_bytes(), None);
    let mut message = b"Subject: x\r\n\r\nhi".to_vec();
    message.extend_from_slice(bogus);
    message.extend_from_slice(b"MAIL FROM:<evil@x.y>\r\n");
    let (first, second) = message.split_at(split.min(message.len()));
    let mut input = format!("BDAT {}\r\n", first.len()).into_bytes();
    input.extend_from_slice(first);
    input.extend_from_slice(format!("BDAT {} LAST\r\n", second.len()).as_bytes());
    input.extend_from_slice(second);
    feed(&mut s, &input, None)
}

#[test]
fn bdat_chunks_refuse_bare_line_ends_like_data() {
    for bogus in BOGUS_ENDS {
        for split in [1, 16, 17, 18, 100] {
            let config = server_config("foo.com").with_extensions(small_extensions());
            let (events, out) = chunked(config, "MAIL FROM:<a@b.c>", bogus, split);
            assert_eq!(
                events.last().map(String::as_str),
                Some("refused 550"),
                "{bogus:?} split at {split}: {events:?}"
            );
            assert!(out.contains("550 5.5.2 foo.com Error: bare"), "{out}");
            assert!(!events.iter().any(|e| e.starts_with("end")));
        }
    }
}

#[test]
fn bdat_chunks_are_normalised_when_data_would_be() {
    for bogus in BOGUS_ENDS {
        for split in [1, 16, 17, 18, 100] {
            let config = server_config("foo.com")
                .with_extensions(small_extensions())
                .with_bare_line_endings(BareLineEnding::Normalize);
            let (events, _) = chunked(config, "MAIL FROM:<a@b.c>", bogus, split);
            let body: String = events
                .iter()
                .filter_map(|e| e.strip_prefix("body "))
                .collect();
            let plain = body.replace("\\r\\n", "");
            assert!(
                !plain.contains("\\r") && !plain.contains("\\n"),
                "{bogus:?} split at {split}: {body}"
            );
            assert!(events.last().unwrap().starts_with("end "), "{events:?}");
        }
    }
}

#[test]
fn binarymime_chunks_pass_as_they_came() {
    let mut extensions = small_extensions();
    extensions.binary_mime = true;
    let config = server_config("foo.com").with_extensions(extensions);
    let (events, _) = chunked(config, "MAIL FROM:<a@b.c> BODY=BINARYMIME", b"\r.\r", 100);
    assert_eq!(
        events,
        [
            "body Subject: x\\r\\n\\r\\nhi\\r.\\rMAIL FROM:<evil@x.y>\\r\\n",
            "end 41"
        ]
    );
}
