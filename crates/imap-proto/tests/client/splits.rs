//! proptest: however the server's bytes are cut into reads, the client reports the same
//! events and sends the same bytes.

use std::time::Instant;

use imap_proto::codec::Limits;
use imap_proto::{Client, ClientEvent};
use proptest::prelude::*;
use proto_core::Machine;

use crate::adapter::{body_of, describe, plain_config};

/// A whole session's server side: every command is queued up front, and the client sends
/// each as the pipelining rules allow, while the answers arrive in one stream.
const GREETING: &str = "* OK [CAPABILITY IMAP4rev1 LITERAL+ IDLE] ready\r\n";
const SERVER: &str = "A1 OK [CAPABILITY IMAP4rev1 IDLE] in\r\n\
* 3 EXISTS\r\n* FLAGS (\\Seen)\r\n* OK [UIDVALIDITY 7] v\r\nA2 OK [READ-WRITE] sel\r\n\
* 1 FETCH (UID 10 BODY[] {41}\r\nSubject: one\r\n\r\nA body of a dozen lines\r\n)\r\n\
* 2 FETCH (UID 20 BODY[] {5}\r\nshort)\r\n\
* 2 EXPUNGE\r\n* 1 FETCH (FLAGS (\\Seen))\r\nA3 OK fetched\r\n\
* SEARCH 1 2\r\nA4 OK searched\r\n\
* BYE bye\r\nA5 OK out\r\n";

const COMMANDS: &[&str] = &[
    "SELECT INBOX",
    "UID FETCH 1:* (UID BODY[])",
    "SEARCH ALL",
    "LOGOUT",
];

fn session(cuts: &[usize]) -> (Vec<String>, Vec<u8>) {
    let now = Instant::now();
    let config = plain_config().with_limits(Limits::CLIENT.with_max_inline_literal(16));
    let mut c = Client::new(config, now);
    let (mut events, mut sent) = (Vec::new(), Vec::new());
    let drain = |c: &mut Client, events: &mut Vec<String>, sent: &mut Vec<u8>| {
        while let Some(e) = c.poll_event() {
            let text = match e {
                Ok(ClientEvent::BodyChunk { data, .. }) => {
                    format!("chunk {}", String::from_utf8_lossy(&data))
                }
                Ok(e) => describe(e),
                Err(e) => format!("error: {e}"),
            };
            // Chunks are compared as the octets they carry, whatever the cut.
            match (events.last_mut(), text.strip_prefix("chunk ")) {
                (Some(last), Some(more)) if last.starts_with("chunk ") => last.push_str(more),
                _ => events.push(text),
            }
        }
        sent.extend_from_slice(c.transmit());
        let n = c.transmit().len();
        c.advance_transmit(n);
    };
    let feed = |c: &mut Client, events: &mut Vec<String>, sent: &mut Vec<u8>, text: &str| {
        let mut rest = text.as_bytes();
        let mut i = 0;
        while !rest.is_empty() {
            let n = cuts[i % cuts.len()].clamp(1, rest.len());
            i += 1;
            c.receive(&rest[..n], now);
            rest = &rest[n..];
            drain(c, events, sent);
        }
    };
    feed(&mut c, &mut events, &mut sent, GREETING);
    // Everything queued at once: LOGIN, then what needs it, each sent when it may go.
    c.login("alice", "secret").unwrap();
    for command in COMMANDS {
        if *command == "LOGOUT" {
            c.logout().unwrap();
        } else {
            c.send(body_of(command, c.mode()).unwrap()).unwrap();
        }
    }
    drain(&mut c, &mut events, &mut sent);
    feed(&mut c, &mut events, &mut sent, SERVER);
    c.receive_eof(now);
    drain(&mut c, &mut events, &mut sent);
    (events, sent)
}

#[test]
fn the_whole_session_completes() {
    let (events, sent) = session(&[usize::MAX]);
    let sent = String::from_utf8(sent).unwrap();
    assert_eq!(
        sent,
        "A1 LOGIN alice secret\r\nA2 SELECT INBOX\r\nA3 UID FETCH 1:* (UID BODY[])\r\n\
         A4 SEARCH ALL\r\nA5 LOGOUT\r\n"
    );
    assert!(events.contains(&"chunk Subject: one\r\n\r\nA body of a dozen lines\r\n".to_owned()));
    assert_eq!(events.last().map(String::as_str), Some("closed"));
    assert!(!events.iter().any(|e| e.starts_with("error")), "{events:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_cut_gives_the_same_events(cuts in prop::collection::vec(1usize..48, 1..12)) {
        prop_assert_eq!(session(&cuts), session(&[usize::MAX]));
    }
}
