//! The trace tap against hostile and pipelined peers: a body is summarised in every direction
//! however the commands around it were pipelined, ends only where the reading machine ends it,
//! and nothing a peer sends can appear in the log as a line it did not send.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::sync::Arc;

use proto_io::{Collector, Trace};

/// Who writes: the client or the server, whichever end the tap is on.
#[derive(Clone, Copy)]
enum By {
    Client,
    Server,
}
use By::{Client as C, Server as S};

/// The texts a tap on `side` shows for the exchange.
fn run(server_side: bool, exchange: &[(By, &[u8])]) -> Vec<String> {
    let collector = Collector::new();
    let mut trace = if server_side {
        Trace::server("t", Arc::new(collector.clone()))
    } else {
        Trace::new("t", Arc::new(collector.clone()))
    };
    for (by, bytes) in exchange {
        match (by, server_side) {
            (By::Client, false) | (By::Server, true) => trace.sent(bytes),
            (By::Client, true) | (By::Server, false) => trace.received(bytes),
        }
    }
    collector.lines().into_iter().map(|l| l.text).collect()
}

/// Both taps of the exchange must show `expected`.
fn both_sides(exchange: &[(By, &[u8])], expected: &[&str]) {
    assert_eq!(run(true, exchange), expected, "server-side tap");
    assert_eq!(run(false, exchange), expected, "client-side tap");
}

#[test]
fn a_data_body_pipelined_with_its_commands_is_summarised_on_the_server() {
    let lines = run(
        true,
        &[
            (S, b"220 mx ESMTP\r\n"),
            (C, b"EHLO c\r\n"),
            (S, b"250-mx\r\n250 PIPELINING\r\n"),
            // Read in one go, before the server answered anything.
            (
                C,
                b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: secret\r\n\r\nhi\r\n.\r\nQUIT\r\n",
            ),
            (S, b"250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n221 bye\r\n"),
        ],
    );
    assert_eq!(
        lines,
        [
            "220 mx ESMTP",
            "EHLO c",
            "250-mx",
            "250 PIPELINING",
            "MAIL FROM:<a@x>",
            "RCPT TO:<b@y>",
            "DATA",
            "250 ok",
            "250 ok",
            "354 go",
            "[message body: 3 lines, 23 octets]\n.",
            "QUIT",
            "250 queued",
            "221 bye",
        ]
    );
}

#[test]
fn a_data_body_sent_after_354_is_summarised_on_both_sides() {
    both_sides(
        &[
            (S, b"220 mx\r\n"),
            (C, b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
            (S, b"250 ok\r\n250 ok\r\n354 go\r\n"),
            (C, b"Subject: secret\r\n"),
            (C, b"\r\nhi\r\n.\r\n"),
            (S, b"250 queued\r\n"),
        ],
        &[
            "220 mx",
            "MAIL FROM:<a@x>",
            "RCPT TO:<b@y>",
            "DATA",
            "250 ok",
            "250 ok",
            "354 go",
            "[message body: 3 lines, 23 octets]\n.",
            "250 queued",
        ],
    );
}

#[test]
fn a_dot_after_a_bare_lf_does_not_end_a_data_body() {
    // Smuggling attempt: to the server the body ends at CRLF "." CRLF only, so neither may
    // the log end it earlier and show the rest as commands.
    let lines = run(
        true,
        &[
            (S, b"220 mx\r\n"),
            (C, b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n"),
            (S, b"250 ok\r\n250 ok\r\n354 go\r\n"),
            (
                C,
                b"hi\n.\nMAIL FROM:<forged@x>\r\n.\r\r\nRCPT TO:<forged@y>\r\n.\r\n",
            ),
            (S, b"250 queued\r\n"),
        ],
    );
    assert_eq!(
        lines[7..],
        ["[message body: 5 lines, 51 octets]\n.", "250 queued"]
    );
    assert!(!lines.iter().any(|l| l.contains("forged")), "{lines:?}");
}

#[test]
fn a_refused_data_turns_what_followed_back_into_commands() {
    let lines = run(
        true,
        &[
            (S, b"220 mx\r\n"),
            (C, b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nNOOP\r\n"),
            (
                S,
                b"250 ok\r\n550 5.1.1 no such user\r\n554 5.5.1 no valid recipients\r\n250 ok\r\n",
            ),
        ],
    );
    assert_eq!(
        lines,
        [
            "220 mx",
            "MAIL FROM:<a@x>",
            "RCPT TO:<b@y>",
            "DATA",
            "250 ok",
            "550 5.1.1 no such user",
            "554 5.5.1 no valid recipients",
            "NOOP",
            "250 ok",
        ]
    );
}

#[test]
fn bytes_held_after_data_are_bounded() {
    let flood = vec![b'x'; 200 * 1024];
    let lines = run(
        true,
        &[
            (S, b"220 mx\r\n"),
            (C, b"DATA\r\n"),
            (C, &flood),
            (C, b"\r\nQUIT\r\n"),
            (S, b"503 5.5.1 need MAIL\r\n"),
        ],
    );
    // Past the bound, held bytes are counted, not kept: the broken line is not shown.
    assert_eq!(lines.len(), 4, "{lines:?}");
    assert_eq!(lines[2], "503 5.5.1 need MAIL");
    assert_eq!(
        lines[3],
        format!(
            "[{} more octets after DATA, not shown]",
            200 * 1024 + 8 - 64 * 1024
        )
    );
}

#[test]
fn lmtp_answers_each_recipient_and_the_next_pipelined_body_is_still_found() {
    let lines = run(
        true,
        &[
            (S, b"220 lmtp\r\n"),
            (
                C,
                b"LHLO c\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nRCPT TO:<c@y>\r\nDATA\r\n",
            ),
            (S, b"250 lmtp\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"),
            (
                C,
                b"one\r\n.\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\ntwo\r\n.\r\n",
            ),
            (
                S,
                b"250 b done\r\n250 c done\r\n250 ok\r\n250 ok\r\n354 go\r\n250 b done\r\n",
            ),
        ],
    );
    let bodies = lines
        .iter()
        .filter(|l| l.starts_with("[message body"))
        .count();
    assert_eq!(bodies, 2, "{lines:?}");
    assert!(!lines.iter().any(|l| l == "two"), "{lines:?}");
}

#[test]
fn pipelined_bdat_chunks_are_counted_on_both_sides() {
    both_sides(
        &[
            (S, b"220 mx\r\n"),
            (
                C,
                b"MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT 6\r\nSubj\r\nBDAT 3 LAST\r\n\n.\nQUIT\r\n",
            ),
            (
                S,
                b"250 ok\r\n250 ok\r\n250 6 octets\r\n250 queued\r\n221 bye\r\n",
            ),
        ],
        &[
            "220 mx",
            "MAIL FROM:<a@x>",
            "RCPT TO:<b@y>",
            "BDAT 6",
            "[BDAT chunk: 6 octets]",
            "BDAT 3 LAST",
            "[BDAT chunk: 3 octets]",
            "QUIT",
            "250 ok",
            "250 ok",
            "250 6 octets",
            "250 queued",
            "221 bye",
        ],
    );
}

#[test]
fn pipelined_retr_and_top_are_summarised_on_both_sides() {
    both_sides(
        &[
            (S, b"+OK ready\r\n"),
            (
                C,
                b"RETR 1\r\nRETR 2\r\nLIST\r\nTOP 3 0\r\nRETR 9\r\nQUIT\r\n",
            ),
            (
                S,
                b"+OK\r\nFrom: a\r\n\r\none\r\n.\r\n+OK\r\nFrom: b\r\n\r\ntwo\r\n.\r\n\
                  +OK 1 message\r\n1 120\r\n.\r\n+OK\r\nFrom: c\r\n\r\n.\r\n\
                  -ERR no such message\r\n+OK bye\r\n",
            ),
        ],
        &[
            "+OK ready",
            "RETR 1",
            "RETR 2",
            "LIST",
            "TOP 3 0",
            "RETR 9",
            "QUIT",
            "+OK",
            "[message body: 3 lines, 16 octets]\n.",
            "+OK",
            "[message body: 3 lines, 16 octets]\n.",
            "+OK 1 message",
            "1 120",
            ".",
            "+OK",
            "[message body: 2 lines, 11 octets]\n.",
            "-ERR no such message",
            "+OK bye",
        ],
    );
}

#[test]
fn a_client_tap_ends_a_received_body_as_the_pop3_client_does() {
    // pop3-proto's client takes a "." line after a bare LF as the end (servers that get line
    // ends wrong): so does a client-side tap, and what follows is the server's next reply.
    let lines = run(
        false,
        &[
            (S, b"+OK ready\r\n"),
            (C, b"RETR 1\r\nNOOP\r\n"),
            (S, b"+OK\nline\n.\n+OK noop\r\n"),
        ],
    );
    assert_eq!(
        lines,
        [
            "+OK ready",
            "RETR 1",
            "NOOP",
            "+OK",
            "[message body: 1 lines, 5 octets]\n.",
            "+OK noop"
        ]
    );
}

#[test]
fn control_characters_cannot_rewrite_a_log_line() {
    let lines = run(
        true,
        &[(S, b"220 mx\r\n"), (C, b"NOOP \x1b[2K\rfake line\r\n")],
    );
    assert_eq!(lines[1], "NOOP \\u{1b}[2K\\rfake line");
}

#[test]
fn imap_literals_are_summarised_on_both_sides_and_passwords_never_shown() {
    both_sides(
        &[
            (S, b"* OK IMAP4rev2 ready\r\n"),
            (C, b"a1 LOGIN {3}\r\n"),
            (S, b"+ Ready\r\n"),
            (C, b"bob {7}\r\n"),
            (S, b"+ Ready\r\n"),
            (C, b"hunter2\r\n"),
            (S, b"a1 OK done\r\n"),
            // Pipelined, non-synchronizing: what looks like commands inside is content.
            (
                C,
                b"a2 APPEND INBOX {22+}\r\nSubject: x\r\n\r\na9 BYE\r\n\r\na3 NOOP\r\n",
            ),
            (S, b"a2 OK appended\r\na3 OK\r\n"),
            (C, b"a4 FETCH 1 BODY[]\r\n"),
            (
                S,
                b"* 1 FETCH (BODY[] {21}\r\nSubject: y\r\n\r\na4 OK\r\n)\r\na4 OK fetched\r\n",
            ),
        ],
        &[
            "* OK IMAP4rev2 ready",
            "a1 LOGIN {3}",
            "+ Ready",
            "[literal: 3 octets]",
            "*** {7}",
            "+ Ready",
            "[literal: 7 octets]",
            "",
            "a1 OK done",
            "a2 APPEND INBOX {22+}",
            "[literal: 22 octets]",
            "",
            "a3 NOOP",
            "a2 OK appended",
            "a3 OK",
            "a4 FETCH 1 BODY[]",
            "* 1 FETCH (BODY[] {21}",
            "[literal: 21 octets]",
            ")",
            "a4 OK fetched",
        ],
    );
}

#[test]
fn a_refused_synchronizing_literal_never_comes() {
    both_sides(
        &[
            (S, b"* OK ready\r\n"),
            (C, b"a1 APPEND INBOX {99999999}\r\n"),
            (S, b"a1 NO [TOOBIG] too big\r\n"),
            (C, b"a2 NOOP\r\n"),
            (S, b"a2 OK\r\n"),
        ],
        &[
            "* OK ready",
            "a1 APPEND INBOX {99999999}",
            "a1 NO [TOOBIG] too big",
            "a2 NOOP",
            "a2 OK",
        ],
    );
}

#[test]
fn braces_mean_nothing_outside_imap() {
    both_sides(
        &[
            (S, b"220 mx\r\n"),
            (C, b"NOOP {4}\r\nQUIT\r\n"),
            (S, b"250 ok\r\n221 bye\r\n"),
        ],
        &["220 mx", "NOOP {4}", "QUIT", "250 ok", "221 bye"],
    );
}

#[test]
fn a_flood_of_pipelined_commands_is_followed_or_hidden_never_misread() {
    // 10,000 NOOPs are one run of the queue: the DATA after them is still matched.
    let mut flood = "NOOP\r\n".repeat(10_000);
    flood.push_str("MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: s\r\n.\r\n");
    let mut replies = "250 ok\r\n".repeat(10_002);
    replies.push_str("354 go\r\n250 queued\r\n");
    let lines = run(
        true,
        &[
            (S, b"220 mx\r\n"),
            (C, flood.as_bytes()),
            (S, replies.as_bytes()),
        ],
    );
    assert!(
        lines.contains(&"[message body: 1 lines, 12 octets]\n.".to_owned()),
        "{:?}",
        &lines[lines.len() - 4..]
    );
    assert!(!lines.contains(&"Subject: s".to_owned()));

    // Runs that cannot be merged fill the queue: then client lines are hidden, not guessed.
    let mut flood = "RSET\r\nNOOP\r\n".repeat(3_000);
    flood.push_str("DATA\r\nSubject: forged\r\n.\r\n");
    let lines = run(true, &[(S, b"220 mx\r\n"), (C, flood.as_bytes())]);
    assert!(!lines.iter().any(|l| l.contains("forged")));
    assert_eq!(
        lines.last().unwrap(),
        "[too many commands pipelined to follow: the client's lines are no longer shown]"
    );
}

#[test]
fn a_password_after_an_imap_literal_is_hidden() {
    let lines = run(
        true,
        &[
            (S, b"* OK ready\r\n"),
            (C, b"a1 LOGIN {3}\r\n"),
            (S, b"+ go\r\n"),
            (C, b"bob hunter2\r\n"),
            (S, b"a1 OK\r\n"),
        ],
    );
    assert_eq!(
        lines,
        [
            "* OK ready",
            "a1 LOGIN {3}",
            "+ go",
            "[literal: 3 octets]",
            "***",
            "a1 OK"
        ]
    );
}
